package command

import "fmt"

var _ = register(&Command{
	Name:  "state rm",
	Usage: "herald state rm",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald state rm: not built yet")
		return ExitError
	},
})
