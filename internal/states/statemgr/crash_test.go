package statemgr

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/states"
)

// The crash tests re-run this test binary as a helper process selected by
// this variable, and kill it with SIGKILL.
const helperEnv = "HERALD_STATEMGR_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "apply":
		helperApply()
	case "lock":
		helperLock()
	}
	os.Exit(2)
}

// startHelper starts the helper process in mode with the given
// environment and returns it with its stdout lines.
func startHelper(t *testing.T, mode string, env ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	check(t, err)
	check(t, cmd.Start())
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

// helperLock takes the lock and waits to be killed.
func helperLock() {
	f := NewFilesystem(os.Getenv("STATE"), hclog.NewNullLogger())
	info, err := f.Lock(context.Background(), "apply", 10*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	fmt.Printf("locked %s\n", info.ID)
	time.Sleep(time.Minute)
	os.Exit(0)
}

// helperApply behaves like apply: it takes the lock, reads the state, and
// records sends in the journal from several goroutines, each delivery in
// flight then sent, printing each record once Record returned; every few
// rounds it closes the journal, writes the state and opens a new journal.
// It runs until killed.
func helperApply() {
	f := NewFilesystem(os.Getenv("STATE"), hclog.NewNullLogger())
	next, _ := strconv.Atoi(os.Getenv("FIRST"))
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	if _, err := f.Lock(context.Background(), "apply", 10*time.Second); err != nil {
		fail(err)
	}
	s, err := f.Read()
	if err != nil {
		fail(err)
	}
	j, err := f.OpenJournal(s)
	if err != nil {
		fail(err)
	}
	var stdout sync.Mutex
	say := func(format string, args ...any) {
		line := fmt.Sprintf(format+"\n", args...)
		stdout.Lock()
		os.Stdout.WriteString(line) // one write: whole lines even when killed
		stdout.Unlock()
	}
	const workers = 4
	for round := 1; ; round++ {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			n := next + w
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := j.Record(testRecord(n, InFlight)); err != nil {
					fail(err)
				}
				say("inflight %d", n)
				if err := j.Record(testRecord(n, states.Sent)); err != nil {
					fail(err)
				}
				say("sent %d", n)
			}()
		}
		wg.Wait()
		for w := 0; w < workers; w++ {
			d := testRecord(next+w, states.Sent)
			s.Set(&d)
		}
		next += workers
		if round%3 == 0 {
			if err := j.Close(); err != nil {
				fail(err)
			}
			if err := f.Write(s); err != nil {
				fail(err)
			}
			say("written %d", s.Serial)
			if j, err = f.OpenJournal(s); err != nil {
				fail(err)
			}
		}
	}
}

// TestKilledApplyLosesNothing kills an apply-like process with SIGKILL at
// random instants, many times over the same state, and checks after each
// kill that the state loads, that every record reported durable is in it
// exactly once, and that deliveries in flight are unknown or sent.
func TestKilledApplyLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes; skipped with -short")
	}
	path := filepath.Join(t.TempDir(), "herald.state")
	const iterations = 50
	reportedSent := map[int]bool{}
	reportedInFlight := map[int]bool{}
	var started []int // first key of each run
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var kills, writes, unknowns int
	deadline := time.Now().Add(40 * time.Second)
	for i := 0; i < iterations && time.Now().Before(deadline); i++ {
		first := i * 100_000
		started = append(started, first)
		cmd, lines := startHelper(t, "apply", "STATE="+path, "FIRST="+strconv.Itoa(first))
		// Once the helper has printed its first record it holds the lock
		// and is recording; kill it at a random instant after that.
		var said []string
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the helper exited before recording anything")
			}
			said = append(said, line)
		case <-time.After(20 * time.Second):
			t.Fatal("the helper recorded nothing in 20s")
		}
		time.Sleep(time.Duration(rng.IntN(80_000)) * time.Microsecond)
		check(t, cmd.Process.Signal(syscall.SIGKILL))
		cmd.Wait()
		kills++
		for line := range lines {
			said = append(said, line)
		}
		for _, line := range said {
			var n int
			switch {
			case scan(line, "sent %d", &n):
				reportedSent[n] = true
			case scan(line, "inflight %d", &n):
				reportedInFlight[n] = true
			case strings.HasPrefix(line, "written"):
				writes++
			default:
				t.Fatalf("helper said %q", line)
			}
		}

		st, err := NewFilesystem(path, hclog.NewNullLogger()).Read()
		if err != nil {
			t.Fatalf("after kill %d, the state does not load: %v", i+1, err)
		}
		for n := range reportedSent {
			if d := st.Get(testRecord(n, "").Key); d == nil || d.Status != states.Sent || d.Attempts != 1 {
				t.Fatalf("after kill %d, delivery %d was reported sent but the state has %+v", i+1, n, d)
			}
		}
		for n := range reportedInFlight {
			d := st.Get(testRecord(n, "").Key)
			if d == nil || (d.Status != states.Sent && d.Status != states.Unknown) || d.Attempts != 1 {
				t.Fatalf("after kill %d, delivery %d was reported in flight but the state has %+v", i+1, n, d)
			}
		}
		unknowns = 0
		for d := range st.Deliveries.All() {
			n, _ := strconv.Atoi(strings.TrimPrefix(d.Key.Recipient, "+1202"))
			if !(n >= started[0] && n < first+100_000) {
				t.Fatalf("after kill %d, the state has a delivery no run made: %+v", i+1, d)
			}
			if d.Status == states.Unknown {
				unknowns++
			}
		}
	}
	t.Logf("%d kills, %d state writes seen, %d deliveries reported sent, %d unknown at the end", kills, writes, len(reportedSent), unknowns)
	if len(reportedSent) == 0 || writes == 0 {
		t.Errorf("the helper never got far enough (%d sent, %d writes): kills came too early to test anything", len(reportedSent), writes)
	}
}

func scan(line, format string, n *int) bool {
	_, err := fmt.Sscanf(line, format, n)
	return err == nil
}

// TestKilledLockHolderDoesNotBlock: the OS lock goes with its process.
func TestKilledLockHolderDoesNotBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes; skipped with -short")
	}
	f := newTestFS(t)
	cmd, lines := startHelper(t, "lock", "STATE="+f.path)
	line := <-lines
	var id string
	if _, err := fmt.Sscanf(line, "locked %s", &id); err != nil {
		t.Fatalf("helper said %q", line)
	}
	if _, err := f.Lock(context.Background(), "plan", 0); err == nil {
		t.Fatal("took the lock while the helper holds it")
	}
	check(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()

	// The killed holder's details remain, and force-unlock clears them;
	// but nothing needs it: the lock is free at once.
	if info := f.readLockInfo(); info == nil || info.ID != id {
		t.Fatalf("lock details after the kill: %+v; want the helper's ID %s", info, id)
	}
	info, err := f.Lock(context.Background(), "plan", 0)
	if err != nil {
		t.Fatalf("a killed holder blocks the lock: %v", err)
	}
	check(t, f.Unlock(info.ID))
	if data, _ := os.ReadFile(f.lockPath); len(data) != 0 {
		t.Errorf("lock file after unlock: %q", data)
	}
}
