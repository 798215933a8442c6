package command

import "fmt"

var _ = register(&Command{
	Name:  "version",
	Usage: "herald version",
	Short: "Print herald's version",
	Long:  "Prints herald's version.",
	Run: func(env *Env, args []string) int {
		fs := newFlagSet(env, "version")
		if status, ok := parseFlags(fs, args); !ok {
			return status
		}
		if fs.NArg() > 0 {
			dw := &diagWriter{env: env}
			dw.err("Unexpected argument", fmt.Errorf("version takes no arguments, got %q", fs.Arg(0)))
			return ExitError
		}
		fmt.Fprintf(env.Stdout, "herald v%s\n", env.Version)
		return 0
	},
})
