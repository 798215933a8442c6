package command

import "fmt"

var _ = register(&Command{
	Name:  "state list",
	Usage: "herald state list",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald state list: not built yet")
		return ExitError
	},
})
