package lang

import "github.com/hashicorp/hcl/v2"

// VarArg is one -var or -var-file argument, kept in command-line order
// because later ones win.
type VarArg struct {
	// File is true for -var-file=PATH; Value is then the path.
	File  bool
	Value string // NAME=VALUE for -var
}

// Options tell Load where the configuration is and where variables come from.
type Options struct {
	// Dir is the configuration folder.
	Dir string
	// Args are the -var and -var-file arguments in command-line order.
	Args []VarArg
	// LookupEnv reads the environment (HERALD_VAR_x and env()); os.LookupEnv
	// when nil.
	LookupEnv func(string) (string, bool)
}

// Load reads every *.herald.hcl and *.herald.json file in opts.Dir, evaluates
// the configuration and checks it. It returns the parsed files (for
// rendering diagnostics with source snippets) even when it fails.
func Load(opts Options) (*Result, map[string]*hcl.File, hcl.Diagnostics) {
	panic("lang.Load: not built yet")
}

// StatePath reads only the herald block of the configuration in dir and
// returns the state file's path (relative to dir), for commands that need
// the state but not the whole evaluated configuration.
func StatePath(dir string) (string, hcl.Diagnostics) {
	return "herald.state", nil
}
