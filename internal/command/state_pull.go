package command

import (
	"github.com/heraldhq/herald/internal/states/statefile"
)

var cmdStatePull = &Command{
	UsageLine: "herald state pull",
	Short:     "Print the state as a state file",
	Long: `Prints the whole state, wherever the configuration keeps it, as a state
file document: the format of the local herald.state
(schema/state.schema.json). It takes no lock.

To keep a copy of a PostgreSQL state, or to move it:

  herald state pull > herald.state.copy`,
	Run: runStatePull,
}

func runStatePull(env *Env, args []string) int {
	fs := newFlagSet(env, "state pull")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	dw := &diagWriter{env: env}
	if fs.NArg() != 0 {
		dw.fail("Unexpected argument", "The state pull command takes no arguments: it prints the whole state.")
		return ExitError
	}
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	defer closeBackend(env, backend)
	st, err := backend.Read()
	if err != nil {
		dw.err("Error reading the state", err)
		return ExitError
	}
	if err := statefile.Write(env.Stdout, st); err != nil {
		dw.err("Error writing the state", err)
		return ExitError
	}
	return 0
}
