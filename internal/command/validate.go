package command

import "fmt"

var _ = register(&Command{
	Name:  "validate",
	Usage: "herald validate",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald validate: not built yet")
		return ExitError
	},
})
