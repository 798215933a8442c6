package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// TestKillDuringApply kills a real "herald apply" with SIGKILL at random
// moments, many times over, against an emulator that outlives it, then lets
// an apply finish. Whatever the timing, the emulator's outbox must never
// hold one delivery twice, and every declared delivery must end up either
// sent (and in the outbox) or marked unknown; every delivery in the outbox
// must be recorded in the state.
func TestKillDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes for several seconds")
	}
	herald := heraldProgram(t)
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox.jsonl")
	const key = "crash-test-key-0123456789"
	_, url := startEmulator(t, emulator.Options{
		SID:    "HXCRASH01IN",
		APIKey: key,
		Outbox: outbox,
		Faults: emulator.Faults{Latency: 15 * time.Millisecond},
	})

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	statePath := filepath.Join(dir, "herald.state")
	apply := func() *exec.Cmd {
		cmd := exec.Command(herald, "apply", "-auto-approve", "-no-color", "-parallelism=4")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "KALEYRA_API_KEY="+key)
		return cmd
	}

	// Each round declares fresh deliveries (a new ref), kills a few applies
	// part-way, then lets one finish and checks the books.
	const rounds, killsPerRound = 8, 4
	var kills, midApply, nSent, nUnknown int
	for round := 0; round < rounds; round++ {
		declared := writeCrashConfig(t, dir, url, fmt.Sprintf("r%d", round))
		// Once every delivery is recorded, sent or unknown (a kill leaves
		// the claims of a window unknown), an apply has nothing left to
		// be killed in.
		for k := 0; k < killsPerRound && !allRecorded(t, statePath, declared); k++ {
			cmd := apply()
			killSoon(t, cmd, outbox, k%2 == 1, time.Duration(20+rng.Intn(150))*time.Millisecond, rng)
			kills++

			// Whatever instant the kill came at, the state loads.
			st, err := statemgr.NewFilesystem(statePath, nil).Read()
			if err != nil {
				t.Fatalf("round %d, after kill %d the state does not load: %v", round, k, err)
			}
			if recorded(st, declared) < len(declared) {
				midApply++
			}
			checkNoDuplicates(t, outbox)
		}

		out, _ := apply().CombinedOutput() // exits 1 when some deliveries are unknown
		if !strings.Contains(string(out), "Apply complete:") {
			t.Fatalf("round %d: the last apply did not complete:\n%s", round, out)
		}
		if strings.Contains(string(out), key) {
			t.Fatal("the API key appeared in apply's output")
		}

		sent := checkNoDuplicates(t, outbox)
		st, err := statemgr.NewFilesystem(statePath, nil).Read()
		if err != nil {
			t.Fatal(err)
		}
		s, u := checkBooks(t, st, declared, sent)
		nSent += s
		nUnknown += u
	}
	t.Logf("%d kills, %d of them mid-apply: %d deliveries sent once, %d unknown, none twice", kills, midApply, nSent, nUnknown)
	if midApply < kills/2 {
		t.Errorf("only %d of %d kills landed mid-apply; the test is not testing much: slow the emulator or kill sooner", midApply, kills)
	}
}

// checkBooks checks, after an apply that ran to its end, that every
// declared delivery is sent (and in the outbox) or unknown, and that every
// delivery in the outbox is recorded sent or unknown. It returns the
// counts of sent and unknown.
func checkBooks(t *testing.T, st *states.State, declared []outboxKey, sent map[outboxKey]bool) (nSent, nUnknown int) {
	t.Helper()
	for _, k := range declared {
		rec := st.Get(k.key())
		switch {
		case rec == nil:
			t.Errorf("%v: declared but neither sent nor unknown after the last apply", k)
		case rec.Status == states.Sent:
			nSent++
			if !sent[k] {
				t.Errorf("%v: state says sent, but the emulator never accepted it", k)
			}
		case rec.Status == states.Unknown:
			nUnknown++
		default:
			t.Errorf("%v: status %s after the last apply", k, rec.Status)
		}
	}
	for k := range sent {
		if rec := st.Get(k.key()); rec == nil || (rec.Status != states.Sent && rec.Status != states.Unknown) {
			t.Errorf("%v: the emulator accepted it but the state does not record it (%+v)", k, rec)
		}
	}
	return nSent, nUnknown
}

// recorded counts the declared deliveries the state has any record of.
func recorded(st *states.State, declared []outboxKey) int {
	n := 0
	for _, k := range declared {
		if st.Get(k.key()) != nil {
			n++
		}
	}
	return n
}

type outboxKey struct{ from, to, ref, ref1, ref2 string }

func (k outboxKey) key() delivery.Key {
	return delivery.Key{Channel: "whatsapp", Sender: k.from, Recipient: k.to, Ref: k.ref, Ref1: k.ref1, Ref2: k.ref2}
}

// checkNoDuplicates reads the outbox and fails on any delivery accepted
// twice; it returns the set accepted.
func checkNoDuplicates(t *testing.T, path string) map[outboxKey]bool {
	t.Helper()
	seen := map[outboxKey]bool{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return seen
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			From, To, Ref, Ref1, Ref2 string
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
		k := outboxKey{plus(line.From), plus(line.To), line.Ref, line.Ref1, line.Ref2}
		if seen[k] {
			t.Fatalf("delivered twice: %+v", k)
		}
		seen[k] = true
	}
	return seen
}

// allRecorded reports whether the state at path records every delivery
// of declared. A state not written yet records none.
func allRecorded(t *testing.T, path string, declared []outboxKey) bool {
	t.Helper()
	st, err := statemgr.NewFilesystem(path, nil).Read()
	if err != nil {
		t.Fatalf("the state does not load: %v", err)
	}
	return recorded(st, declared) == len(declared)
}

// killSoon starts cmd and kills it with SIGKILL: after delay, or, when
// afterSend, once the outbox shows that one of its requests was accepted
// and then up to 45ms more, so that the kill lands among its sends
// however long the process took to start. Either way it returns once cmd
// has exited.
func killSoon(t *testing.T, cmd *exec.Cmd, outbox string, afterSend bool, delay time.Duration, rng *rand.Rand) {
	t.Helper()
	size := func() int64 {
		if fi, err := os.Stat(outbox); err == nil {
			return fi.Size()
		}
		return 0
	}
	before := size()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	if afterSend {
		for deadline := time.Now().Add(10 * time.Second); size() == before && time.Now().Before(deadline); {
			select {
			case <-exited:
				return
			case <-time.After(time.Millisecond):
			}
		}
		delay = time.Duration(rng.Intn(45)) * time.Millisecond
	}
	select {
	case <-exited:
		return
	case <-time.After(delay):
	}
	cmd.Process.Kill()
	<-exited
}

func plus(n string) string {
	if strings.HasPrefix(n, "+") {
		return n
	}
	return "+" + n
}

// writeCrashConfig declares 120 deliveries over three messages, batched
// and unbatched, one depending on another, and returns their keys.
func writeCrashConfig(t *testing.T, dir, url, round string) []outboxKey {
	var nums []string
	for i := 0; i < 40; i++ {
		nums = append(nums, fmt.Sprintf("%q", fmt.Sprintf("+1202555%04d", 1000+i)))
	}
	cfg := fmt.Sprintf(`
provider "kaleyra" {
  sid                    = "HXCRASH01IN"
  api_key                = env("KALEYRA_API_KEY")
  endpoint               = %[1]q
  messages_per_second    = 100000
}

provider "kaleyra" {
  alias                  = "batched"
  sid                    = "HXCRASH01IN"
  api_key                = env("KALEYRA_API_KEY")
  endpoint               = %[1]q
  messages_per_second    = 100000
  recipients_per_request = 5
}

sender "ops" {
  number = "+12025550100"
}

sender "bulk" {
  number   = "+12025550101"
  provider = kaleyra.batched
}

recipients "all" {
  numbers = [%[2]s]
}

message "first" {
  from = sender.ops
  to   = recipients.all
  body = "first"
  ref  = "crash-first-%[3]s"
}

message "second" {
  from       = sender.bulk
  to         = recipients.all
  body       = "second"
  ref        = "crash-second-%[3]s"
  depends_on = [message.first]
}

message "third" {
  for_each = toset(["a", "b"])
  from     = sender.ops
  to       = slice(recipients.all.numbers, 0, 20)
  body     = "third ${each.key}"
  ref      = "crash-third-%[3]s"
  ref1     = each.key
}
`, url, strings.Join(nums, ", "), round)
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var keys []outboxKey
	for i := 0; i < 40; i++ {
		n := fmt.Sprintf("+1202555%04d", 1000+i)
		keys = append(keys, outboxKey{"+12025550100", n, "crash-first-" + round, "", ""})
		keys = append(keys, outboxKey{"+12025550101", n, "crash-second-" + round, "", ""})
		if i < 20 {
			keys = append(keys, outboxKey{"+12025550100", n, "crash-third-" + round, "a", ""})
			keys = append(keys, outboxKey{"+12025550100", n, "crash-third-" + round, "b", ""})
		}
	}
	return keys
}

// TestInterruptDuringApply: the first SIGINT stops new sends, lets those in
// flight finish, saves and exits 1; nothing becomes unknown, and the next
// apply sends exactly the rest.
func TestInterruptDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	herald := heraldProgram(t)
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox.jsonl")
	const key = "interrupt-test-key-42"
	emu, url := startEmulator(t, emulator.Options{SID: "HXCRASH01IN", APIKey: key, Outbox: outbox,
		Faults: emulator.Faults{Latency: 40 * time.Millisecond}})
	declared := writeCrashConfig(t, dir, url, "int")

	cmd := exec.Command(herald, "apply", "-auto-approve", "-no-color", "-parallelism=2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KALEYRA_API_KEY="+key)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once sends are under way: a fixed sleep raced herald's own
	// start-up on a loaded machine and killed it before its handler was set.
	for deadline := time.Now().Add(30 * time.Second); emu.Requests() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no requests reached the emulator:\n%s", out.String())
		}
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("interrupted apply exited with %v, want status 1\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Interrupt received") {
		t.Errorf("no word of the interrupt in the output:\n%s", out.String())
	}

	st, err := statemgr.NewFilesystem(filepath.Join(dir, "herald.state"), nil).Read()
	if err != nil {
		t.Fatal(err)
	}
	sent := checkNoDuplicates(t, outbox)
	for rec := range st.Deliveries.All() {
		if rec.Status != states.Sent {
			t.Errorf("after a graceful interrupt %s is %s, want only sent records", rec.Key, rec.Status)
		}
	}
	if st.Deliveries.Len() != len(sent) || len(sent) == 0 || len(sent) == len(declared) {
		t.Fatalf("state records %d sends, emulator accepted %d of %d: want the same, part-way", st.Deliveries.Len(), len(sent), len(declared))
	}

	rest := exec.Command(herald, "apply", "-auto-approve", "-no-color")
	rest.Dir = dir
	rest.Env = cmd.Env
	if b, err := rest.CombinedOutput(); err != nil {
		t.Fatalf("the apply after the interrupt failed: %v\n%s", err, b)
	}
	if got := checkNoDuplicates(t, outbox); len(got) != len(declared) {
		t.Errorf("after the second apply %d of %d delivered", len(got), len(declared))
	}
}

// TestInterruptWhileWaitingForLock: Ctrl-C ends an apply that is waiting
// for another herald's lock, at once and having sent nothing; and plan,
// which has nothing to finish, simply dies on it.
func TestInterruptWhileWaitingForLock(t *testing.T) {
	herald := heraldProgram(t)
	dir := t.TempDir()
	config := `
provider "kaleyra" {
  sid      = "HXLOCK01IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Hello"
  ref  = "lock-1"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	backend := statemgr.NewFilesystem(filepath.Join(dir, "herald.state"), nil)
	lock, err := backend.Lock(context.Background(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Unlock(lock.ID)

	for _, args := range [][]string{
		{"apply", "-auto-approve", "-lock-timeout=1m"},
		{"plan", "-lock-timeout=1m"},
	} {
		cmd := exec.Command(herald, args...)
		cmd.Dir = dir
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: exited 0 after an interrupt", args[0])
			}
			t.Logf("%s ended %v after the interrupt", args[0], time.Since(start).Round(time.Millisecond))
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s: still waiting for the lock 10s after Ctrl-C:\n%s", args[0], out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.outbox.jsonl")); err == nil {
		t.Error("something was sent")
	}
}
