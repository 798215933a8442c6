package command

import "fmt"

var _ = register(&Command{
	Name:  "version",
	Usage: "herald version",
	Short: "Print herald's version",
	Long:  "Prints herald's version.",
	Run: func(env *Env, args []string) int {
		fmt.Fprintf(env.Stdout, "herald v%s\n", env.Version)
		return 0
	},
})
