package command

import "fmt"

var _ = register(&Command{
	Name:  "show",
	Usage: "herald show",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald show: not built yet")
		return ExitError
	},
})
