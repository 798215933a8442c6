package command

import "fmt"

var _ = register(&Command{
	Name:  "state show",
	Usage: "herald state show",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald state show: not built yet")
		return ExitError
	},
})
