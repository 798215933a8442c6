package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// TestKillListen kills a real "herald listen" with SIGKILL while 16
// clients post status callbacks to it, many times over: some callbacks
// are then recorded and unanswered, some read and not recorded. Whatever
// the timing, the state loads, every callback answered 2xx before the
// kill is in it, and once Kaleyra's retries (every callback of the round,
// answered or not) reach a listener started again, each delivery holds
// its receipt once, as the callback said it.
func TestKillListen(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes for several seconds")
	}
	herald := heraldProgram(t)
	dir := t.TempDir()
	statePath := filepath.Join(dir, "herald.state")
	config := `
provider "kaleyra" {
  sid      = "HXLISTENCRASH"
  emulator = true
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	const rounds, perRound, clients = 5, 240, 16
	st := states.New("listen-crash")
	st.Serial = 1
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range rounds * perRound {
		st.Set(&states.Delivery{
			Key:     delivery.Key{Sender: "+12025550100", Recipient: crashRecipient(i), Ref: "crash"},
			Address: "message.crash", Status: states.Sent, MessageID: crashID(i), Attempts: 1, FirstSent: at, UpdatedAt: at,
		})
	}
	if err := statemgr.NewFilesystem(statePath, nil).Write(st); err != nil {
		t.Fatal(err)
	}

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	var answeredTotal, cutOff int
	for round := range rounds {
		first := round * perRound
		addr, cmd := startListenProcess(t, herald, dir)
		answered := postCallbacks(t, addr, first, perRound, clients, func() {
			time.Sleep(time.Duration(5+rng.Intn(60)) * time.Millisecond)
			cmd.Process.Kill()
		})
		cmd.Wait()
		answeredTotal += len(answered)
		cutOff += perRound - len(answered)

		// What was answered is durable, whatever the instant of the kill.
		st, err := readWithLock(statePath)
		if err != nil {
			t.Fatalf("round %d: the state does not load after the kill: %v", round, err)
		}
		for i := range answered {
			if r := st.Get(crashKey(i)).Receipt; r == nil || r.Status != states.Delivered {
				t.Errorf("round %d: the callback for %s was answered 2xx before the kill but is not in the state (%+v)", round, crashID(i), r)
			}
		}

		// Kaleyra retries: every callback again, to a listener started anew.
		addr, cmd = startListenProcess(t, herald, dir)
		if again := postCallbacks(t, addr, first, perRound, clients, nil); len(again) != perRound {
			t.Fatalf("round %d: %d of %d retried callbacks answered", round, len(again), perRound)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("round %d: listen did not stop cleanly: %v", round, err)
		}
		st, err = readWithLock(statePath)
		if err != nil {
			t.Fatal(err)
		}
		if st.Deliveries.Len() != rounds*perRound {
			t.Fatalf("round %d: the state holds %d deliveries, want %d", round, st.Deliveries.Len(), rounds*perRound)
		}
		for i := first; i < first+perRound; i++ {
			d := st.Get(crashKey(i))
			if d.Receipt == nil || d.Receipt.Status != states.Delivered || !d.Receipt.At.Equal(crashAt(i)) {
				t.Errorf("round %d: %s holds receipt %+v, want delivered at %s", round, crashID(i), d.Receipt, crashAt(i))
			}
			if d.Status != states.Sent || d.Attempts != 1 {
				t.Errorf("round %d: %s became %s after %d attempts", round, crashID(i), d.Status, d.Attempts)
			}
		}
	}
	t.Logf("%d rounds: %d callbacks answered before a kill, %d cut off by it and retried", rounds, answeredTotal, cutOff)
	if cutOff == 0 || answeredTotal == 0 {
		t.Errorf("no kill landed mid-flood (%d answered, %d cut off); the test is not testing much", answeredTotal, cutOff)
	}
}

// readWithLock reads the state as the next command would, holding the
// lock: receipts recorded beside the state are folded in by then.
func readWithLock(path string) (*states.State, error) {
	b := statemgr.NewFilesystem(path, nil)
	lock, err := b.Lock(context.Background(), "check", 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer b.Unlock(lock.ID)
	return b.Read()
}

func crashID(i int) string        { return fmt.Sprintf("crash-%d:0", i) }
func crashRecipient(i int) string { return fmt.Sprintf("+1202555%04d", i) }
func crashAt(i int) time.Time     { return time.Unix(1_772_000_000+int64(i), 0).UTC() }
func crashKey(i int) delivery.Key {
	return delivery.Key{Sender: "+12025550100", Recipient: crashRecipient(i), Ref: "crash"}
}

// startListenProcess starts "herald listen" in dir on a free loopback
// port and waits until it answers.
func startListenProcess(t *testing.T, herald, dir string) (string, *exec.Cmd) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(herald, "listen", "-listen", addr)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HERALD_LISTEN_TOKEN=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return addr, cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen did not answer on %s: %s", addr, stderr.String())
		}
	}
}

// postCallbacks posts a delivered callback for each of n deliveries from
// first, from clients at once, calling kill (when not nil) once the posts
// are under way. It returns the deliveries whose callback was answered 2xx.
func postCallbacks(t *testing.T, addr string, first, n, clients int, kill func()) map[int]bool {
	t.Helper()
	var mu sync.Mutex
	answered := map[int]bool{}
	work := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body := `{"id":"` + crashID(i) + `","status":"delivered","mobile":"` + crashRecipient(i)[1:] +
					`","timestamp":"` + strconv.FormatInt(crashAt(i).Unix(), 10) + `"}`
				resp, err := client.Post("http://"+addr+"/kaleyra", "application/json", bytes.NewReader([]byte(body)))
				if err != nil {
					continue // cut off by the kill: Kaleyra retries it
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					answered[i] = true
					mu.Unlock()
				} else if kill == nil {
					t.Errorf("callback for %s answered %d", crashID(i), resp.StatusCode)
				}
			}
		}()
	}
	if kill != nil {
		go kill()
	}
	for i := first; i < first+n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return answered
}
