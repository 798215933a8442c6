package command

import "fmt"

var _ = register(&Command{
	Name:  "force-unlock",
	Usage: "herald force-unlock",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald force-unlock: not built yet")
		return ExitError
	},
})
