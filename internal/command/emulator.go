package command

import "fmt"

var _ = register(&Command{
	Name:  "emulator",
	Usage: "herald emulator",
	Short: "TODO",
	Long:  "TODO",
	Run: func(env *Env, args []string) int {
		fmt.Fprintln(env.Stderr, "herald emulator: not built yet")
		return ExitError
	},
})
