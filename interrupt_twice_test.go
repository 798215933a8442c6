package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// TestInterruptTwiceDuringApply: a second SIGINT exits at once, without
// waiting for the requests in flight; those are unknown on the next run,
// never sent again by themselves, and nothing is recorded twice.
func TestInterruptTwiceDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	herald := heraldProgram(t)
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox.jsonl")
	const key = "interrupt-twice-key-42"
	// Answers take far longer than the test waits: after the first
	// interrupt, apply would wait for them; after the second it must not.
	emu, url := startEmulator(t, emulator.Options{SID: "HXCRASH01IN", APIKey: key, Outbox: outbox,
		Faults: emulator.Faults{Latency: 5 * time.Second}})
	declared := writeCrashConfig(t, dir, url, "twice")

	cmd := exec.Command(herald, "apply", "-auto-approve", "-no-color", "-parallelism=2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KALEYRA_API_KEY="+key)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once both requests are in flight at the emulator.
	for deadline := time.Now().Add(30 * time.Second); emu.Requests() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no requests reached the emulator:\n%s", out.String())
		}
	}
	cmd.Process.Signal(os.Interrupt)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("the second interrupt took %v to end apply; want at once", waited)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("apply exited with %v, want status 1\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Second interrupt") {
		t.Errorf("no word of the second interrupt in the output:\n%s", out.String())
	}

	st, err := statemgr.NewFilesystem(filepath.Join(dir, "herald.state"), nil).Read()
	if err != nil {
		t.Fatalf("the state does not load after the second interrupt: %v", err)
	}
	unknown := 0
	for rec := range st.Deliveries.All() {
		if rec.Status == states.Unknown {
			unknown++
		}
	}
	if unknown != 2 {
		t.Errorf("%d deliveries unknown after cutting off 2 in flight\n%s", unknown, out.String())
	}
	if st.Deliveries.Len() >= len(declared) {
		t.Errorf("%d of %d recorded: the apply was not cut off part-way", st.Deliveries.Len(), len(declared))
	}
	checkNoDuplicates(t, outbox)
}
