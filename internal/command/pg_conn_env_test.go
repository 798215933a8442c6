package command

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

const pgEnvConfig = `
herald {
  backend "pg" {
    schema_name = env("HERALD_PG_SCHEMA")
  }
}

provider "kaleyra" {
  sid      = "HXPGENV001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Hello"
  ref  = "hello-1"
}
`

// TestPGConnStrFromEnvironment: without conn_str, the backend connects
// with PG_CONN_STR, and without that with libpq's PG* variables; both
// reach the same ledger, so the second run finds the delivery sent.
func TestPGConnStrFromEnvironment(t *testing.T) {
	server := statemgrtest.PostgresURL(t)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	t.Setenv("HERALD_PG_SCHEMA", "t_"+hex.EncodeToString(b[:]))
	for _, name := range []string{"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE", "PGSERVICE", "PGPASSFILE"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(pgEnvConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(f func(*Env, []string) int, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
		status := f(env, append([]string{"-no-color"}, args...))
		return status, stdout.String() + stderr.String()
	}

	t.Setenv("PG_CONN_STR", server)
	if status, out := run(runApply, "-auto-approve"); status != 0 || !strings.Contains(out, "1 sent") {
		t.Fatalf("apply with PG_CONN_STR: status %d\n%s", status, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.state")); err == nil {
		t.Error("apply with the pg backend wrote a local herald.state")
	}

	t.Setenv("PG_CONN_STR", "")
	password, _ := u.User.Password()
	t.Setenv("PGHOST", u.Hostname())
	t.Setenv("PGPORT", u.Port())
	t.Setenv("PGUSER", u.User.Username())
	t.Setenv("PGPASSWORD", password)
	t.Setenv("PGDATABASE", strings.TrimPrefix(u.Path, "/"))
	if mode := u.Query().Get("sslmode"); mode != "" {
		t.Setenv("PGSSLMODE", mode)
	}
	status, out := run(runPlan)
	if status != 0 || !strings.Contains(out, "0 to send") || !strings.Contains(out, "1 already sent") {
		t.Errorf("plan with the PG* variables: status %d, want the delivery the first run sent\n%s", status, out)
	}
	if password != "" && strings.Contains(out, password) {
		t.Errorf("plan output shows the password:\n%s", out)
	}
}

// TestPGRefusalsSendNothing: an apply against a database whose herald
// tables are newer than this herald, or with a wrong password, stops
// before sending anything, and its error names neither the password nor
// the connection string.
func TestPGRefusalsSendNothing(t *testing.T) {
	server := statemgrtest.PostgresURL(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	t.Setenv("HERALD_PG_SCHEMA", schema)
	t.Setenv("PG_CONN_STR", server)
	dir := t.TempDir()
	config := filepath.Join(dir, "main.herald.hcl")
	if err := os.WriteFile(config, []byte(pgEnvConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(f func(*Env, []string) int, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
		status := f(env, append([]string{"-no-color"}, args...))
		return status, stdout.String() + stderr.String()
	}
	sends := func() int {
		outbox, _ := os.ReadFile(filepath.Join(dir, "herald.outbox.jsonl"))
		return strings.Count(string(outbox), `"message_id"`)
	}
	if status, out := run(runApply, "-auto-approve"); status != 0 || !strings.Contains(out, "1 sent") {
		t.Fatalf("apply: status %d\n%s", status, out)
	}
	if n := sends(); n != 1 {
		t.Fatalf("the outbox holds %d sends after the first apply, want 1", n)
	}
	// A new release: one more delivery to send, were the state readable.
	if err := os.WriteFile(config, []byte(strings.Replace(pgEnvConfig, `"hello-1"`, `"hello-2"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	const wrongPassword = "not-the-password-4417"
	u.User = url.UserPassword(u.User.Username(), wrongPassword)
	t.Run("wrong password", func(t *testing.T) {
		t.Setenv("PG_CONN_STR", u.String())
		status, out := run(runApply, "-auto-approve")
		if status == 0 {
			// A server that trusts every password lets the apply through.
			t.Skip("the server accepted a wrong password")
		}
		if strings.Contains(out, wrongPassword) {
			t.Errorf("the error shows the password:\n%s", out)
		}
		if !strings.Contains(out, "database") {
			t.Errorf("the error does not name the database:\n%s", out)
		}
		if n := sends(); n != 1 {
			t.Errorf("the outbox holds %d sends, want the first apply's 1", n)
		}
	})

	t.Run("newer schema", func(t *testing.T) {
		if status, out := run(runPlan); status != 0 || !strings.Contains(out, "1 to send") {
			t.Fatalf("plan before the upgrade: status %d\n%s", status, out)
		}
		bumpSchemaVersion(t, server, schema)
		status, out := run(runApply, "-auto-approve")
		if flat := strings.Join(strings.Fields(out), " "); status == 0 || !strings.Contains(flat, "newer than this herald understands") || !strings.Contains(flat, "upgrade herald") {
			t.Errorf("apply against a newer schema: status %d, want a refusal that says to upgrade herald\n%s", status, out)
		}
		if strings.Contains(out, server) {
			t.Errorf("the error shows the connection string:\n%s", out)
		}
		if n := sends(); n != 1 {
			t.Errorf("the outbox holds %d sends, want the first apply's 1", n)
		}
	})
}

// bumpSchemaVersion makes schema's tables look as a newer herald left them.
func bumpSchemaVersion(t *testing.T, server, schema string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "UPDATE "+pgx.Identifier{schema, "schema_version"}.Sanitize()+" SET version = version + 1"); err != nil {
		t.Fatal(err)
	}
}
