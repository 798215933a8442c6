package command

import "fmt"

var _ = register(&Command{
	Name:  "plan",
	Usage: "herald plan",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald plan: not built yet")
		return ExitError
	},
})
