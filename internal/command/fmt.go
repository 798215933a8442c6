package command

import "fmt"

var _ = register(&Command{
	Name:  "fmt",
	Usage: "herald fmt",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald fmt: not built yet")
		return ExitError
	},
})
