package command

import "fmt"

var _ = register(&Command{
	Name:  "apply",
	Usage: "herald apply",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald apply: not built yet")
		return ExitError
	},
})
