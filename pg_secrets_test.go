package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

// TestPGPasswordNeverLeaks runs the commands that use the pg backend, at
// trace level, in text and -json, with a database password full of the
// characters URLs and libpq quote (right, wrong, for a server that does
// not answer, and in a connection string that does not parse), and then
// looks for the password, in every encoding it might travel in, in
// everything herald wrote.
func TestPGPasswordNeverLeaks(t *testing.T) {
	herald := heraldProgram(t)
	admin := statemgrtest.PostgresURL(t)
	const password = `p@ss:w/rd?#&=%+ 'q"\x;`
	const wrongPassword = `wr@ng:p/ss?#&=%+ 'q"`
	var b [6]byte
	rand.Read(b[:])
	role, schema := "leak_"+hex.EncodeToString(b[:]), "leak_"+hex.EncodeToString(b[:])

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var create string
	if err := conn.QueryRow(ctx, "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", role, password).Scan(&create); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "GRANT CREATE ON DATABASE "+pgx.Identifier{mustDatabase(t, admin)}.Sanitize()+" TO "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		conn.Exec(context.Background(), "REVOKE CREATE ON DATABASE "+pgx.Identifier{mustDatabase(t, admin)}.Sanitize()+" FROM "+role)
		conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	withPassword := func(pw, host string) string {
		v := *u
		v.User = url.UserPassword(role, pw)
		if host != "" {
			v.Host = host
		}
		q := v.Query()
		q.Set("connect_timeout", "5")
		v.RawQuery = q.Encode()
		return v.String()
	}
	keyValue := fmt.Sprintf("host=%s port=%s dbname=%s user=%s password='%s' sslmode=disable",
		u.Hostname(), u.Port(), mustDatabase(t, admin), role, strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password))

	dir := t.TempDir()
	cfg := `
herald {
  backend "pg" {
    conn_str    = env("HERALD_PG_CONN_STR")
    schema_name = "` + schema + `"
  }
}

provider "kaleyra" {
  sid      = "HXLEAK0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123", "+12025550124"]
  body = "Hello"
  ref  = "leak-1"
}
`
	if err := os.WriteFile(filepath.Join(dir, "report.csv"), []byte("WHATSAPP_ID,SENT_AT\nm-none,2026-12-01 09:00:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "herald.log")
	var output strings.Builder
	run := func(connStr string, wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(herald, append([]string{"-chdir=" + dir}, args...)...)
		cmd.Env = append(os.Environ(), "HERALD_PG_CONN_STR="+connStr, "HERALD_LOG=trace", "HERALD_LOG_PATH="+logPath, "PG_CONN_STR=", "PGPASSWORD=")
		out, err := cmd.CombinedOutput()
		output.Write(out)
		if ok := err == nil; ok != wantOK {
			t.Errorf("herald %s: ok = %v, want %v\n%s", strings.Join(args, " "), ok, wantOK, out)
		}
		return string(out)
	}
	good := withPassword(password, "")
	for _, connStr := range []string{good, keyValue} {
		run(connStr, true, "validate")
		run(connStr, true, "plan", "-no-color")
		run(connStr, true, "plan", "-json")
		run(connStr, true, "plan", "-no-color", "-out=saved.plan")
		run(connStr, true, "show", "-json", "saved.plan")
		run(connStr, true, "apply", "-auto-approve", "-no-color")
		run(connStr, true, "apply", "-auto-approve", "-json")
		run(connStr, true, "state", "list")
		run(connStr, true, "state", "pull")
		run(connStr, true, "show", "-no-color")
		run(connStr, true, "state", "import-receipts", "report.csv")
	}
	for _, tt := range []struct {
		name, connStr string
		want          []string
	}{
		{"wrong password", withPassword(wrongPassword, ""), []string{"password", "database", mustDatabase(t, admin)}},
		{"unreachable", withPassword(password, "127.0.0.1:1"), []string{"127.0.0.1:1", "database"}},
		{"does not parse", "postgres://" + role + ":" + password + "@" + u.Host + "/x?sslmode=disable", []string{"could not be parsed"}},
		{"does not parse, key=value", "host=127.0.0.1 port=1 password='" + password + " dbname=x", []string{"could not be parsed"}},
	} {
		for _, args := range [][]string{{"plan", "-no-color"}, {"plan", "-json"}, {"apply", "-auto-approve", "-json"}, {"state", "list"}, {"state", "import-receipts", "report.csv"}, {"listen", "-listen", "127.0.0.1:0"}} {
			out := run(tt.connStr, false, args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: herald %s does not say %q:\n%s", tt.name, strings.Join(args, " "), w, out)
				}
			}
		}
	}

	secrets := redact.New(password, wrongPassword)
	if got := output.String(); secrets.String(got) != got {
		t.Errorf("the database password appeared in herald's output:\n%s", got)
	}
	if log, _ := os.ReadFile(logPath); !strings.Contains(string(log), "[TRACE]") && !strings.Contains(string(log), "[DEBUG]") {
		t.Errorf("the log at trace level is empty; the test would not see a leak there")
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if secrets.String(string(b)) != string(b) {
			t.Errorf("the database password appears in %s", filepath.Base(path))
		}
		return nil
	})
}

func mustDatabase(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}
