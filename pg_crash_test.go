package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

// pgState is a PostgreSQL state of a test's own: the server's URL and a
// new schema.
type pgState struct {
	url, schema string
}

func newPGState(t *testing.T) pgState {
	t.Helper()
	url := statemgrtest.PostgresURL(t)
	var b [6]byte
	rand.Read(b[:])
	return pgState{url: url, schema: "crash_" + hex.EncodeToString(b[:])}
}

// env is what a herald process needs to reach the state.
func (s pgState) env(key string) []string {
	return append(os.Environ(), "KALEYRA_API_KEY="+key, "HERALD_PG_CONN_STR="+s.url, "HERALD_PG_SCHEMA="+s.schema)
}

func (s pgState) read(t *testing.T) *states.State {
	t.Helper()
	b := statemgr.NewPostgres(statemgr.PostgresConfig{ConnStr: s.url, Schema: s.schema}, nil)
	defer b.Close()
	st, err := b.Read()
	if err != nil {
		t.Fatalf("reading the PostgreSQL state: %v", err)
	}
	return st
}

// writePGCrashConfig is writeCrashConfig with the state in PostgreSQL.
func writePGCrashConfig(t *testing.T, dir, url, round string) []outboxKey {
	t.Helper()
	keys := writeCrashConfig(t, dir, url, round)
	path := filepath.Join(dir, "main.herald.hcl")
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block := `herald {
  backend "pg" {
    conn_str    = env("HERALD_PG_CONN_STR")
    schema_name = env("HERALD_PG_SCHEMA")
  }
}
`
	if err := os.WriteFile(path, append([]byte(block), cfg...), 0o644); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestPGKillDuringApply is TestKillDuringApply with the state in
// PostgreSQL: herald killed with SIGKILL at random moments, many times,
// then an apply that finishes; no delivery is ever accepted twice.
func TestPGKillDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes for several seconds")
	}
	pg := newPGState(t)
	herald := heraldProgram(t)
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox.jsonl")
	const key = "crash-test-key-0123456789"
	_, url := startEmulator(t, emulator.Options{
		SID: "HXCRASH01IN", APIKey: key, Outbox: outbox,
		Faults: emulator.Faults{Latency: 15 * time.Millisecond},
	})
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := mrand.New(mrand.NewSource(seed))
	apply := func() *exec.Cmd {
		cmd := exec.Command(herald, "apply", "-auto-approve", "-no-color", "-parallelism=4", "-lock-timeout=10s")
		cmd.Dir = dir
		cmd.Env = pg.env(key)
		return cmd
	}
	const rounds, killsPerRound = 5, 4
	var kills, midApply, nSent, nUnknown int
	for round := 0; round < rounds; round++ {
		declared := writePGCrashConfig(t, dir, url, fmt.Sprintf("r%d", round))
		// Once every delivery is recorded, sent or unknown (a kill leaves
		// the claims of a window unknown), an apply has nothing left to
		// be killed in.
		for k := 0; k < killsPerRound && recorded(pg.read(t), declared) < len(declared); k++ {
			cmd := apply()
			killSoon(t, cmd, outbox, k%2 == 1, time.Duration(40+rng.Intn(200))*time.Millisecond, rng)
			kills++
			if recorded(pg.read(t), declared) < len(declared) {
				midApply++
			}
			checkNoDuplicates(t, outbox)
		}
		out, _ := apply().CombinedOutput()
		if !strings.Contains(string(out), "Apply complete:") {
			t.Fatalf("round %d: the last apply did not complete:\n%s", round, out)
		}
		s, u := checkBooks(t, pg.read(t), declared, checkNoDuplicates(t, outbox))
		nSent += s
		nUnknown += u
	}
	t.Logf("%d kills, %d of them mid-apply: %d deliveries sent once, %d unknown, none twice", kills, midApply, nSent, nUnknown)
	if midApply < kills/2 {
		t.Errorf("only %d of %d kills landed mid-apply; the test is not testing much", midApply, kills)
	}
}

// TestPGConnectionKilledDuringApply ends the applier's database session
// with pg_terminate_backend part-way: herald stops sending at once, says
// why and exits 1; the next apply records what was on the wire as unknown
// and sends the rest, none twice.
func TestPGConnectionKilledDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	pg := newPGState(t)
	herald := heraldProgram(t)
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox.jsonl")
	const key = "crash-test-key-0123456789"
	_, url := startEmulator(t, emulator.Options{
		SID: "HXCRASH01IN", APIKey: key, Outbox: outbox,
		Faults: emulator.Faults{Latency: 20 * time.Millisecond},
	})
	declared := writePGCrashConfig(t, dir, url, "term")
	const parallelism = 4
	cmd := exec.Command(herald, "apply", "-auto-approve", "-no-color", fmt.Sprintf("-parallelism=%d", parallelism))
	cmd.Dir = dir
	cmd.Env = pg.env(key)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Once some deliveries are out, end the holder's session.
	deadline := time.Now().Add(30 * time.Second)
	for len(checkNoDuplicates(t, outbox)) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("no sends after 30s:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	conn, err := pgx.Connect(context.Background(), pg.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ended int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+pg.schema+".locks WHERE pg_terminate_backend(backend_pid)").Scan(&ended); err != nil || ended != 1 {
		t.Fatalf("ending the applier's session: %d ended, %v", ended, err)
	}
	atKill := len(checkNoDuplicates(t, outbox))
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("apply whose connection was ended exited with %v, want status 1:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "connection to the PostgreSQL database") || !strings.Contains(out.String(), "was lost") {
		t.Errorf("apply does not say it lost the connection:\n%s", out.String())
	}
	// At most the requests already on the wire (one per worker, of at most
	// 5 recipients) complete after the session ends.
	after := len(checkNoDuplicates(t, outbox))
	if after-atKill > parallelism*5 {
		t.Errorf("%d deliveries were accepted after the connection was ended (%d before); want at most the %d on the wire", after-atKill, atKill, parallelism*5)
	}
	if after == len(declared) {
		t.Fatal("everything was sent before the session ended; the test tests nothing")
	}

	rerun := exec.Command(herald, "apply", "-auto-approve", "-no-color")
	rerun.Dir = dir
	rerun.Env = pg.env(key)
	if b, _ := rerun.CombinedOutput(); !strings.Contains(string(b), "Apply complete:") {
		t.Fatalf("the re-run did not complete:\n%s", b)
	}
	s, u := checkBooks(t, pg.read(t), declared, checkNoDuplicates(t, outbox))
	t.Logf("%d accepted before the session ended, %d after; in the end %d sent once, %d unknown", atKill, after-atKill, s, u)
}

// TestPGTwoAppliersAtOnce starts two appliers at the same instant from two
// folders on one state: one waits for the other's lock and then sends
// nothing; no delivery is accepted twice.
func TestPGTwoAppliersAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	pg := newPGState(t)
	herald := heraldProgram(t)
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	const key = "crash-test-key-0123456789"
	_, url := startEmulator(t, emulator.Options{
		SID: "HXCRASH01IN", APIKey: key, Outbox: outbox,
		Faults: emulator.Faults{Latency: 5 * time.Millisecond},
	})
	var declared []outboxKey
	var cmds []*exec.Cmd
	outs := make([]strings.Builder, 2)
	for i := range 2 {
		dir := t.TempDir()
		declared = writePGCrashConfig(t, dir, url, "twice")
		cmd := exec.Command(herald, "apply", "-auto-approve", "-no-color", "-parallelism=8", "-lock-timeout=60s")
		cmd.Dir = dir
		cmd.Env = pg.env(key)
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 2)
	for i, cmd := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = cmd.Run()
		}()
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range cmds {
		if errs[i] != nil {
			t.Errorf("applier %d: %v\n%s", i, errs[i], outs[i].String())
		}
		if strings.Contains(outs[i].String(), "Apply complete: 0 sent") {
			continue
		}
		total++
	}
	if total != 1 {
		t.Errorf("%d appliers sent something; want exactly one:\n%s\n---\n%s", total, outs[0].String(), outs[1].String())
	}
	s, u := checkBooks(t, pg.read(t), declared, checkNoDuplicates(t, outbox))
	if s != len(declared) || u != 0 {
		t.Errorf("%d sent, %d unknown; want all %d sent", s, u, len(declared))
	}
}

// ownPGServer starts a PostgreSQL server of the test's own with
// scripts/pg-test-server.sh, for tests that stop or restart it, and
// returns its folder and URL. It skips, or fails where a skipped
// PostgreSQL test is a failure, when the server's programs are missing.
func ownPGServer(t *testing.T) (dir, url string) {
	t.Helper()
	// Directly under the temporary folder, not in t.TempDir(), whose
	// parent the server's user (when the test runs as root) cannot enter.
	parent, err := os.MkdirTemp("", "herald-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	dir = filepath.Join(parent, "pg")
	out, err := exec.Command("scripts/pg-test-server.sh", "start", dir).Output()
	if err != nil {
		msg := fmt.Sprintf("starting a PostgreSQL server of the test's own: %v", err)
		if ee, ok := err.(*exec.ExitError); ok {
			msg += "\n" + string(ee.Stderr)
		}
		if os.Getenv(statemgrtest.PostgresRequiredVar) != "" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { exec.Command("scripts/pg-test-server.sh", "stop", dir).Run() })
	return dir, strings.TrimSpace(string(out))
}

// TestPGServerRestartedDuringApply restarts the database server part-way
// through an apply, as an administrator would (fast) and as a crash does
// (immediate): herald stops sending at once, says it lost the connection
// and exits 1; a re-run once the server is back records what was on the
// wire as unknown, sends the rest and sends nothing twice.
func TestPGServerRestartedDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a real server")
	}
	herald := heraldProgram(t)
	for _, mode := range []string{"fast", "immediate"} {
		t.Run(mode, func(t *testing.T) {
			serverDir, serverURL := ownPGServer(t)
			pg := pgState{url: serverURL, schema: "restart"}
			dir := t.TempDir()
			outbox := filepath.Join(dir, "outbox.jsonl")
			const key = "crash-test-key-0123456789"
			_, url := startEmulator(t, emulator.Options{
				SID: "HXCRASH01IN", APIKey: key, Outbox: outbox,
				Faults: emulator.Faults{Latency: 20 * time.Millisecond},
			})
			declared := writePGCrashConfig(t, dir, url, "restart-"+mode)
			const parallelism = 4
			cmd := exec.Command(herald, "apply", "-auto-approve", "-no-color", fmt.Sprintf("-parallelism=%d", parallelism))
			cmd.Dir = dir
			cmd.Env = pg.env(key)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			deadline := time.Now().Add(30 * time.Second)
			for len(checkNoDuplicates(t, outbox)) < 10 {
				if time.Now().After(deadline) {
					t.Fatalf("no sends after 30s:\n%s", out.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			restart := exec.Command("scripts/pg-test-server.sh", "restart", serverDir, mode)
			if b, err := restart.CombinedOutput(); err != nil {
				t.Fatalf("restarting the server: %v\n%s", err, b)
			}
			atRestart := len(checkNoDuplicates(t, outbox))
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("apply whose server restarted exited with %v, want status 1:\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "connection to the PostgreSQL database") || !strings.Contains(out.String(), "was lost") {
				t.Errorf("apply does not say it lost the connection:\n%s", out.String())
			}
			// At most the requests already on the wire (one per worker, of
			// at most 5 recipients) are accepted after the restart.
			after := len(checkNoDuplicates(t, outbox))
			if after-atRestart > parallelism*5 {
				t.Errorf("%d deliveries were accepted after the restart (%d before); want at most the %d on the wire", after-atRestart, atRestart, parallelism*5)
			}
			if after == len(declared) {
				t.Fatal("everything was sent before the restart; the test tests nothing")
			}

			rerun := exec.Command(herald, "apply", "-auto-approve", "-no-color")
			rerun.Dir = dir
			rerun.Env = pg.env(key)
			if b, _ := rerun.CombinedOutput(); !strings.Contains(string(b), "Apply complete:") {
				t.Fatalf("the re-run did not complete:\n%s", b)
			}
			s, u := checkBooks(t, pg.read(t), declared, checkNoDuplicates(t, outbox))
			t.Logf("%d accepted before the restart, %d after; in the end %d sent once, %d unknown", atRestart, after-atRestart, s, u)
		})
	}
}
