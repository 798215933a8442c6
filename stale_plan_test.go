package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSavedPlanAfterTwoKilledApplies: a plan saved while the journal of a
// killed apply was still unfolded must be refused once a second apply has
// sent something and been killed too. Both killed runs leave the state
// unwritten, so only the state's serial can tell the plan that the second
// run's sends happened; if it did not, applying the plan would send them
// again.
func TestSavedPlanAfterTwoKilledApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and kills real processes")
	}
	herald := heraldProgram(t)
	const a, b = "12025550123", "12025550124"

	// A Kaleyra stand-in that counts the requests for each recipient and,
	// while hang is set, never answers: the apply is killed waiting.
	var (
		mu       sync.Mutex
		received = map[string]int{}
		hang     atomic.Bool
		release  = make(chan struct{})
	)
	hang.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		to := ""
		for _, n := range []string{a, b} {
			if strings.Contains(string(body)+r.URL.RawQuery, n) {
				to = n
			}
		}
		mu.Lock()
		received[to]++
		mu.Unlock()
		if hang.Load() {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":"req-1","data":[{"message_id":"msg-%s","recipient":"%s"}]}`, to, to)
	}))
	defer srv.Close()
	defer close(release)
	count := func(n string) int {
		mu.Lock()
		defer mu.Unlock()
		return received[n]
	}

	dir := t.TempDir()
	journal := filepath.Join(dir, "herald.state.journal")
	configure := func(recipients ...string) {
		var to []string
		for _, n := range recipients {
			to = append(to, fmt.Sprintf("%q", "+"+n))
		}
		cfg := fmt.Sprintf(`
provider "kaleyra" {
  sid      = "HXSTALE01IN"
  api_key  = "stale-plan-test-key"
  endpoint = %q
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = [%s]
  body = "Hello"
  ref  = "stale-1"
}
`, srv.URL, strings.Join(to, ", "))
		if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	herald1 := func(args ...string) *exec.Cmd {
		cmd := exec.Command(herald, args...)
		cmd.Dir = dir
		return cmd
	}
	// killedApply starts an apply and kills it once its request for n has
	// reached the server, so n is in flight in the journal.
	killedApply := func(n string) {
		t.Helper()
		before := count(n)
		cmd := herald1("apply", "-auto-approve", "-no-color")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for count(n) == before {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the request for %s never came:\n%s", n, out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if data, err := os.ReadFile(journal); err != nil || !strings.Contains(string(data), n) {
			t.Fatalf("after the kill the journal does not record %s in flight (%v):\n%s", n, err, data)
		}
	}

	configure(a)
	killedApply(a)

	configure(a, b)
	if out, err := herald1("plan", "-no-color", "-out=saved.plan").CombinedOutput(); err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	killedApply(b)

	hang.Store(false)
	out, err := herald1("apply", "-no-color", "saved.plan").CombinedOutput()
	if got := count(b); got != 1 {
		t.Fatalf("%s received %d requests; the saved plan sent again what the killed apply had sent:\n%s", b, got, out)
	}
	if err == nil || !strings.Contains(string(out), "Saved plan is stale") {
		t.Fatalf("the saved plan was not refused as stale (%v):\n%s", err, out)
	}
}
