package command

import (
	"encoding/json"
	"fmt"
	"runtime"
)

var cmdVersion = &Command{
	UsageLine: "herald version [-json]",
	Short:     "Print herald's version",
	Long: `Prints herald's version. With -json, prints it for tools as
{"herald_version": "...", "platform": "OS_ARCH"}, as "terraform version
-json" does.`,
	Run: func(env *Env, args []string) int {
		fs := newFlagSet(env, "version")
		asJSON := fs.Bool("json", false, "print JSON")
		if status, ok := parseFlags(fs, args); !ok {
			return status
		}
		if fs.NArg() > 0 {
			dw := &diagWriter{env: env}
			dw.fail("Unexpected argument", fmt.Sprintf("The version command takes no arguments, got %q.", fs.Arg(0)))
			return ExitError
		}
		if *asJSON {
			out, _ := json.MarshalIndent(struct {
				Version  string `json:"herald_version"`
				Platform string `json:"platform"`
			}{env.Version, runtime.GOOS + "_" + runtime.GOARCH}, "", "  ")
			fmt.Fprintf(env.Stdout, "%s\n", out)
			return 0
		}
		fmt.Fprintf(env.Stdout, "herald v%s\n", env.Version)
		return 0
	},
}
