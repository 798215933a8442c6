package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"herald": func() { os.Exit(run(os.Args[1:])) },
	})
}

// heraldProgram is the herald binary that testscript.Main puts on PATH, for
// the tests that must run it as a real process (to kill or interrupt it).
func heraldProgram(t *testing.T) string {
	t.Helper()
	herald, err := exec.LookPath("herald")
	if err != nil {
		t.Fatalf("the herald program is not on PATH (testscript.Main puts it there): %v", err)
	}
	return herald
}

// startEmulator serves an emulator with opts on a free loopback port until
// the test ends, and returns it with its URL.
func startEmulator(t *testing.T, opts emulator.Options) (*emulator.Server, string) {
	t.Helper()
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		emu.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	return emu, url
}

// TestScripts runs the end-to-end CLI scenarios in testdata/script.
// Run one with: go test -run TestScripts/NAME .
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":   cmdStatus,
			"holdlock": cmdHoldLock,
		},
		Setup: func(e *testscript.Env) error {
			// Scripts must not inherit the developer's settings.
			e.Setenv("HERALD_LOG", "")
			e.Setenv("HERALD_LOG_PATH", "")
			e.Setenv("NO_COLOR", "")
			return nil
		},
	})
}

// cmdStatus runs a program and checks its exact exit status, which "exec"
// cannot: status CODE PROGRAM [ARGS...]. Its stdout and stderr can be
// checked after it like exec's.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %q is not an exit code", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("status: %v", err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdHoldLock takes the lock of the state file in the script's folder, as
// another herald would, and holds it until the script ends: holdlock STATE.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock STATEFILE")
	}
	backend := statemgr.NewFilesystem(ts.MkAbs(args[0]), nil)
	lock, err := backend.Lock(context.Background(), "apply", 0)
	if err != nil {
		ts.Fatalf("holdlock: %v", err)
	}
	ts.Defer(func() { backend.Unlock(lock.ID) })
}
