package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"herald": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs the end-to-end CLI scenarios in testdata/script.
// Run one with: go test -run TestScripts/NAME .
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			// Scripts must not inherit the developer's settings.
			e.Setenv("HERALD_LOG", "")
			e.Setenv("HERALD_LOG_PATH", "")
			e.Setenv("NO_COLOR", "")
			return nil
		},
	})
}
