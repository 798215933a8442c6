// Package githubactions_test runs the herald commands of the example
// workflow, exactly as herald.yml writes them, against the example
// configuration: the plan job's on a copy of notifications/, and the apply
// job's against the built-in emulator, each with its state in a PostgreSQL
// database of its own on the test server. It keeps the workflow, the
// configuration and herald's flags from drifting apart.
package githubactions_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/command"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

// newDatabase creates an empty database on the test server, as the
// README's setup does, and sets HERALD_PG_CONN_STR to it: the secret the
// workflow passes to herald.
func newDatabase(t *testing.T) {
	t.Helper()
	server := statemgrtest.PostgresURL(t)
	conn, err := pgx.Connect(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var b [6]byte
	rand.Read(b[:])
	name := "workflow_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), server)
		if err == nil {
			conn.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
			conn.Close(context.Background())
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Setenv("HERALD_PG_CONN_STR", u.String())
}

// workflow is what the test reads from herald.yml.
type workflow struct {
	env map[string]string
	// runs are the "run: herald ..." lines, in order.
	runs []string
	// marker is the string the comment script looks for.
	marker string
}

func readWorkflow(t *testing.T) workflow {
	t.Helper()
	data, err := os.ReadFile("herald.yml")
	if err != nil {
		t.Fatal(err)
	}
	w := workflow{env: map[string]string{}}
	for _, m := range regexp.MustCompile(`(?m)^  ([A-Z_]+): "?([^"\n]*)"?$`).FindAllStringSubmatch(string(data), -1) {
		w.env[m[1]] = m[2]
	}
	for _, m := range regexp.MustCompile(`(?m)^ +run: (herald .*)$`).FindAllStringSubmatch(string(data), -1) {
		w.runs = append(w.runs, m[1])
	}
	if m := regexp.MustCompile(`const marker = '([^']+)'`).FindStringSubmatch(string(data)); m != nil {
		w.marker = m[1]
	}
	if w.env["MAX_SENDS"] == "" || len(w.runs) == 0 || w.marker == "" {
		t.Fatalf("herald.yml: could not find MAX_SENDS, the herald commands or the comment marker (found %+v)", w)
	}
	return w
}

// run runs one workflow line in dir, as the shell would: variables
// expanded, quotes removed, "> FILE" redirected. It returns the exit status
// and what went to stdout and stderr.
func (w workflow) run(t *testing.T, dir, line string) (int, string) {
	t.Helper()
	var redirect string
	if before, after, ok := strings.Cut(line, " > "); ok {
		line, redirect = before, strings.TrimSpace(after)
	}
	var args []string
	for _, f := range strings.Fields(line)[1:] {
		if strings.HasPrefix(f, "${REPLACE") {
			continue // empty unless run by hand with an address
		}
		f = os.Expand(f, func(name string) string { return w.env[name] })
		args = append(args, strings.ReplaceAll(f, `"`, ""))
	}
	var stdout, stderr bytes.Buffer
	env := &command.Env{
		Stdin:   strings.NewReader(""),
		Stdout:  &stdout,
		Stderr:  &stderr,
		Logger:  hclog.NewNullLogger(),
		Dir:     dir,
		Version: "0.0.0-test",
	}
	cmd := command.Lookup(args[0])
	if cmd == nil {
		t.Fatalf("%s: herald has no command %q", line, args[0])
	}
	status := cmd.Run(env, args[1:])
	if redirect != "" {
		if err := os.WriteFile(filepath.Join(dir, redirect), stdout.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return status, stdout.String() + stderr.String()
}

// copyConfig copies notifications/ into a new folder, and returns it.
func copyConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("notifications")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("notifications", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWorkflowPlanJob(t *testing.T) {
	w := readWorkflow(t)
	dir := copyConfig(t)
	t.Chdir(dir)
	t.Setenv("KALEYRA_SID", "HXAP16XXXXXX17IN")
	t.Setenv("KALEYRA_API_KEY", "") // the plan job has no key
	newDatabase(t)

	var ran []string
	for _, line := range w.runs {
		if strings.HasPrefix(line, "herald apply") {
			continue
		}
		status, out := w.run(t, dir, line)
		if status != 0 {
			t.Fatalf("%s: exit status %d\n%s", line, status, out)
		}
		ran = append(ran, strings.Fields(line)[1])
	}
	if got, want := strings.Join(ran, " "), "fmt validate plan show"; got != want {
		t.Errorf("the plan job runs herald %s, want %s", got, want)
	}
	md, err := os.ReadFile(filepath.Join(dir, "plan.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), w.marker+"\n") {
		t.Errorf("plan.md does not start with the marker the comment script looks for, %q:\n%.300s", w.marker, md)
	}
	if !strings.Contains(string(md), "## herald plan: 9 messages to send") {
		t.Errorf("plan.md does not announce the example's 9 sends:\n%.600s", md)
	}
}

func TestWorkflowApplyJob(t *testing.T) {
	w := readWorkflow(t)
	dir := copyConfig(t)
	t.Chdir(dir)
	t.Setenv("KALEYRA_SID", "HXAP16XXXXXX17IN")
	t.Setenv("KALEYRA_API_KEY", "")
	newDatabase(t)

	// The example talks to Kaleyra; here it talks to the built-in emulator.
	providers := filepath.Join(dir, "providers.herald.hcl")
	data, err := os.ReadFile(providers)
	if err != nil {
		t.Fatal(err)
	}
	withEmulator := strings.Replace(string(data), "provider \"kaleyra\" {\n", "provider \"kaleyra\" {\n  emulator = true\n", 1)
	if err := os.WriteFile(providers, []byte(withEmulator), 0o600); err != nil {
		t.Fatal(err)
	}

	var apply string
	for _, line := range w.runs {
		if strings.HasPrefix(line, "herald apply") {
			apply = line
		}
	}
	if !strings.Contains(apply, "-auto-approve") || !strings.Contains(apply, "-max-sends=") {
		t.Fatalf("the apply job runs %q, want -auto-approve and -max-sends", apply)
	}

	// The first run sends; the second, on another runner (a fresh copy of
	// the configuration) with the same database, sends nothing.
	second := t.TempDir()
	for _, f := range []string{"providers.herald.hcl", "release.herald.hcl"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(second, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"Apply complete: 9 sent, 0 failed, 0 unknown.", "Apply complete: 0 sent, 0 failed, 0 unknown."} {
		runner := []string{dir, second}[i]
		status, out := w.run(t, runner, apply)
		if status != 0 || !strings.Contains(out, want) {
			t.Fatalf("%s: exit status %d, want 0 and %q:\n%s", apply, status, want, out)
		}
		if strings.Contains(out, os.Getenv("HERALD_PG_CONN_STR")) {
			t.Errorf("apply printed the connection string:\n%s", out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.state")); err == nil {
		t.Error("the apply wrote a local herald.state; the state belongs in PostgreSQL")
	}

	// Everything herald leaves must be ignored by the example's
	// .gitignore, so that nothing of a run is ever committed.
	ignore, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(ignore), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".herald.hcl") || name == ".gitignore" || name == "herald.state" || name == "herald.outbox.jsonl" {
			continue
		}
		ignored := false
		for _, p := range patterns {
			if ok, _ := filepath.Match(p, name); ok {
				ignored = true
			}
		}
		if !ignored {
			t.Errorf("herald left %s, which .gitignore does not cover", name)
		}
	}
}
