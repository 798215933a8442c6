package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
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
			"emulate":  cmdEmulate,
			"release":  cmdRelease,
			"waitfile": cmdWaitFile,
			"sleep":    cmdSleep,
			"freeport": cmdFreePort,
			"waithttp": cmdWaitHTTP,
			"post":     cmdPost,
			"pgstate":  cmdPGState,
		},
		Condition: pgCondition,
		Setup: func(e *testscript.Env) error {
			// Scripts must not inherit the developer's settings.
			e.Setenv("HERALD_LOG", "")
			e.Setenv("HERALD_LOG_PATH", "")
			e.Setenv("NO_COLOR", "")
			e.Setenv("PG_CONN_STR", "")
			e.Setenv("HERALD_PG_CONN_STR", "")
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

// The receipts scripts need both backends to record receipts.
var (
	_ statemgr.ReceiptStore = (*statemgr.Filesystem)(nil)
	_ statemgr.ReceiptStore = (*statemgr.Postgres)(nil)
)

// pgCondition is the script condition [pg]: there is a PostgreSQL server
// for the test (HERALD_TEST_PG_URL). In CI its absence is an error, not a
// skip: a skipped PostgreSQL test there would hide a broken backend.
func pgCondition(cond string) (bool, error) {
	if cond != "pg" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if os.Getenv(statemgrtest.PostgresURLVar) != "" {
		return true, nil
	}
	if os.Getenv(statemgrtest.PostgresRequiredVar) != "" || os.Getenv("CI") == "true" {
		return false, fmt.Errorf("no PostgreSQL server: %s is not set; a skipped PostgreSQL test in CI is a failure", statemgrtest.PostgresURLVar)
	}
	return false, nil
}

// cmdPGState gives the script a PostgreSQL state of its own: it sets
// HERALD_PG_CONN_STR to the test server and HERALD_PG_SCHEMA to a new
// schema name: pgstate. Scripts check [pg] first.
func cmdPGState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: pgstate")
	}
	url := os.Getenv(statemgrtest.PostgresURLVar)
	if url == "" {
		ts.Fatalf("no PostgreSQL server: %s is not set; guard the script with [!pg] skip", statemgrtest.PostgresURLVar)
	}
	var b [6]byte
	rand.Read(b[:])
	ts.Setenv("HERALD_PG_CONN_STR", url)
	ts.Setenv("HERALD_PG_SCHEMA", "script_"+hex.EncodeToString(b[:]))
}

// gates holds, per script, the gate its emulator's requests wait at.
var gates sync.Map // *testscript.TestScript -> chan struct{}

// cmdEmulate serves an emulator (outbox emulator.outbox.jsonl in the
// script's folder) until the script ends, and sets EMULATOR_URL to it:
// emulate [-hold] [-api-key=KEY]. With -hold, every request waits until
// "release", so a script can look at an apply whose requests are in
// flight; with -api-key, it accepts only that key.
func cmdEmulate(ts *testscript.TestScript, neg bool, args []string) {
	opts := emulator.Options{Outbox: ts.MkAbs("emulator.outbox.jsonl")}
	hold := false
	for _, a := range args {
		switch key, ok := strings.CutPrefix(a, "-api-key="); {
		case a == "-hold" && !neg:
			hold = true
		case ok && !neg:
			opts.APIKey = key
		default:
			ts.Fatalf("usage: emulate [-hold] [-api-key=KEY]")
		}
	}
	emu, err := emulator.New(opts)
	if err != nil {
		ts.Fatalf("emulate: %v", err)
	}
	gate := make(chan struct{})
	if !hold {
		close(gate)
	}
	gates.Store(ts, gate)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-gate
		emu.ServeHTTP(w, r)
	}))
	ts.Defer(func() {
		if g, _ := gates.LoadAndDelete(ts); g != nil {
			select {
			case <-g.(chan struct{}):
			default:
				close(g.(chan struct{}))
			}
		}
		srv.Close()
		emu.Close()
	})
	ts.Setenv("EMULATOR_URL", srv.URL)
}

// cmdRelease lets the held requests of "emulate -hold" through.
func cmdRelease(ts *testscript.TestScript, neg bool, args []string) {
	g, ok := gates.Load(ts)
	if neg || len(args) != 0 || !ok {
		ts.Fatalf("usage: release, after emulate -hold")
	}
	select {
	case <-g.(chan struct{}):
	default:
		close(g.(chan struct{}))
	}
}

// cmdWaitFile waits, up to 20 seconds, until FILE exists and matches
// REGEXP: waitfile FILE REGEXP.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfile FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	if err != nil {
		ts.Fatalf("waitfile: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		if err == nil && re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s does not match %s after 20s", args[0], args[1])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdSleep pauses the script: sleep DURATION. For what a script cannot
// wait for otherwise, such as a background process taking in a signal.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("sleep: %v", err)
	}
	time.Sleep(d)
}

// cmdFreePort sets VAR to a loopback TCP port that was free a moment ago:
// freeport VAR. For a server a script starts in the background, whose
// address the configuration must name before it runs.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("freeport: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ts.Setenv(args[0], strconv.Itoa(port))
}

// cmdWaitHTTP GETs URL, up to 20 seconds, until it answers with a body
// that matches REGEXP, whatever the status: waithttp URL REGEXP. For a
// server started in the background, to be up or to have counted something.
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waithttp URL REGEXP")
	}
	re, err := regexp.Compile(args[1])
	if err != nil {
		ts.Fatalf("waithttp: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	last := ""
	for {
		resp, err := http.Get(args[0])
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
			if re.Match(body) {
				return
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waithttp: %s does not answer %s after 20s; last: %s", args[0], args[1], last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdPost POSTs a form to URL and checks that the answer is 2xx (with !,
// that it is not), writing the answer's body to the file "posted":
// post URL [NAME=VALUE...].
func cmdPost(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: post URL [NAME=VALUE...]")
	}
	form := url.Values{}
	for _, kv := range args[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			ts.Fatalf("post: %q is not NAME=VALUE", kv)
		}
		form.Add(k, v)
	}
	resp, err := http.PostForm(args[0], form)
	if err != nil {
		ts.Fatalf("post: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := os.WriteFile(ts.MkAbs("posted"), body, 0o600); err != nil {
		ts.Fatalf("post: %v", err)
	}
	if ok := resp.StatusCode/100 == 2; ok == neg {
		ts.Fatalf("post %s: answered %d %s", args[0], resp.StatusCode, body)
	}
}
