package statemgr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
	"github.com/heraldhq/herald/internal/states/statestest"
)

// receiptFor is a delivered receipt for testRecord(n, states.Sent).
func receiptFor(n int, received time.Time) receipts.Event {
	return receipts.Event{
		Kind: receipts.StatusKind, MessageID: fmt.Sprintf("msg-%d", n), Status: states.Delivered,
		Recipient: fmt.Sprintf("+1202%07d", n), At: t0, Received: received,
	}
}

func record(t testing.TB, f *Filesystem, events ...receipts.Event) {
	t.Helper()
	check(t, f.RecordReceipts(context.Background(), events))
}

// sentFS is a backend over a state of n sent deliveries.
func sentFS(t testing.TB, n int) *Filesystem {
	f := newTestFS(t)
	s := must(f.Read())
	for i := range n {
		d := testRecord(i, states.Sent)
		s.Set(&d)
	}
	check(t, f.Write(s))
	return again(f)
}

// lockedFold reads and writes the state under the lock, as an apply does.
func lockedFold(t testing.TB, f *Filesystem) *states.State {
	t.Helper()
	b := again(f)
	info := must(b.Lock(context.Background(), "apply", 0))
	defer b.Unlock(info.ID)
	s := must(b.Read())
	check(t, b.Write(s))
	return s
}

func hasReceipt(s *states.State, n int) bool {
	d := s.Get(testRecord(n, states.Sent).Key)
	return d != nil && d.Receipt != nil && d.Receipt.Status == states.Delivered
}

func journalEvents(t *testing.T, path string) []receipts.Event {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	check(t, err)
	r := must(statefile.ParseReceipts(data))
	if r.TornLine != 0 {
		t.Errorf("%s has a torn line %d", path, r.TornLine)
	}
	return r.Events
}

func TestReceiptsJournalMode(t *testing.T) {
	f := sentFS(t, 1)
	record(t, f, receiptFor(0, time.Now()))
	info := must(os.Stat(f.receiptsPath))
	if info.Mode().Perm() != 0o600 {
		t.Errorf("receipts journal mode %v; want 0600: it holds phone numbers", info.Mode().Perm())
	}
}

// A link at either receipts file is refused by recording and by Read, and
// its target is left alone.
func TestReceiptsJournalSymlinkRefused(t *testing.T) {
	for _, which := range []string{"receipts", "receipts.folding"} {
		t.Run(which, func(t *testing.T) {
			f := sentFS(t, 1)
			target := f.path + ".target"
			check(t, os.WriteFile(target, []byte("not herald's\n"), 0o600))
			link := f.path + "." + which
			check(t, os.Symlink(target, link))
			if which == "receipts" {
				err := f.RecordReceipts(context.Background(), []receipts.Event{receiptFor(0, time.Now())})
				if err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), link) {
					t.Errorf("RecordReceipts through a link: %v; want a refusal naming the link", err)
				}
			}
			_, err := again(f).Read()
			if err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), link) {
				t.Errorf("Read with a linked %s: %v; want a refusal naming the link", which, err)
			}
			b := again(f)
			info := must(b.Lock(context.Background(), "apply", 0))
			if _, err := b.Read(); err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("the lock holder's Read with a linked %s: %v; want a refusal", which, err)
			}
			b.Unlock(info.ID)
			if got := string(must(os.ReadFile(target))); got != "not herald's\n" {
				t.Errorf("the link's target now holds %q", got)
			}
		})
	}
}

// A line cut short by a crash is ignored by Read, cut by the next append
// and by the lock holder's fold; nothing after it is lost.
func TestReceiptsTornLastLine(t *testing.T) {
	f := sentFS(t, 3)
	record(t, f, receiptFor(0, time.Now()))
	line := must(statefile.AppendReceipt(nil, ptr(receiptFor(1, time.Now()))))
	for _, torn := range []struct {
		name string
		tail []byte
	}{
		{"Half", line[:len(line)/2]},
		{"NoNewline", line[:len(line)-1]},
		{"Zeros", bytes.Repeat([]byte{0}, 40)},
	} {
		t.Run(torn.name, func(t *testing.T) {
			appendFile(t, f.receiptsPath, string(torn.tail))
			s := must(again(f).Read())
			if !hasReceipt(s, 0) || hasReceipt(s, 1) {
				t.Errorf("after a torn line: receipt 0 %v, receipt 1 %v; want 0 only", hasReceipt(s, 0), hasReceipt(s, 1))
			}
		})
	}
	// The next listener's append cuts the torn tail before its own line.
	record(t, again(f), receiptFor(2, time.Now()))
	if got := journalEvents(t, f.receiptsPath); len(got) != 2 {
		t.Errorf("the journal holds %d events after the torn tail; want 2", len(got))
	}
	appendFile(t, f.receiptsPath, string(line[:10]))
	s := lockedFold(t, f)
	if !hasReceipt(s, 0) || !hasReceipt(s, 2) {
		t.Error("the lock holder's fold lost a receipt")
	}
	if !hasReceipt(must(again(f).Read()), 2) {
		t.Error("the folded receipt is not in the state written")
	}
}

// A damaged line with whole lines after it is no crash's doing: Read
// refuses, naming the file and the line.
func TestReceiptsCorruptMiddleLine(t *testing.T) {
	f := sentFS(t, 3)
	record(t, f, receiptFor(0, time.Now()), receiptFor(1, time.Now()), receiptFor(2, time.Now()))
	data := must(os.ReadFile(f.receiptsPath))
	second := bytes.IndexByte(data, '\n') + 1
	i := second + bytes.Index(data[second:], []byte(`"delivered"`)) + 1
	data[i] = 'D'
	check(t, os.WriteFile(f.receiptsPath, data, 0o600))
	for _, locked := range []bool{false, true} {
		b := again(f)
		if locked {
			info := must(b.Lock(context.Background(), "apply", 0))
			defer b.Unlock(info.ID)
		}
		_, err := b.Read()
		if err == nil || !strings.Contains(err.Error(), f.receiptsPath) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("Read (locked %v) of a damaged middle line: %v; want an error naming %s, line 2 and the checksum", locked, err, f.receiptsPath)
		}
	}
}

// Events that match nothing are kept by the lock holder's Write for a
// week after they were received, then dropped.
func TestReceiptsPendingExpire(t *testing.T) {
	f := sentFS(t, 1)
	fresh := receiptFor(7, time.Now().Add(-receipts.PendingFor+time.Hour))
	old := receiptFor(8, time.Now().Add(-receipts.PendingFor-time.Hour))
	record(t, f, fresh, old, receiptFor(0, time.Now()))
	s := lockedFold(t, f)
	if !hasReceipt(s, 0) {
		t.Error("the matching receipt is not folded")
	}
	got := journalEvents(t, f.receiptsPath)
	if len(got) != 1 || got[0].MessageID != fresh.MessageID {
		t.Errorf("pending after the fold: %+v; want only %s", got, fresh.MessageID)
	}
	if _, err := os.Lstat(f.foldingPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the aside file is still there after the Write: %v", err)
	}
}

// A crash after the state is written and before the aside file goes
// folds it again, which changes nothing.
func TestReceiptsCrashBeforeAsideRemoved(t *testing.T) {
	f := sentFS(t, 2)
	record(t, f, receiptFor(0, time.Now()))
	b := again(f)
	info := must(b.Lock(context.Background(), "apply", 0))
	s := must(b.Read())
	keep := must(os.ReadFile(f.foldingPath))
	check(t, b.Write(s))
	b.Unlock(info.ID)
	check(t, os.WriteFile(f.foldingPath, keep, 0o600)) // its removal was lost
	record(t, f, receiptFor(1, time.Now()))
	want := lockedFold(t, f)
	if !hasReceipt(want, 0) || !hasReceipt(want, 1) {
		t.Fatal("receipts lost")
	}
	got := must(again(f).Read())
	want.Serial = got.Serial
	if diff := cmp.Diff(want, got, statestest.Records); diff != "" {
		t.Errorf("folding the aside file again changed the state (-want +got):\n%s", diff)
	}
}

// A Write of a state other than the one Read returned (state push) does
// not hold the receipts Read folded, so it leaves them to be folded again.
func TestReceiptsWriteOfAnotherState(t *testing.T) {
	f := sentFS(t, 1)
	record(t, f, receiptFor(0, time.Now()))
	b := again(f)
	info := must(b.Lock(context.Background(), "state push", 0))
	s := must(b.Read())
	pushed := states.New(s.Lineage)
	pushed.Serial = s.Serial + 1
	d := testRecord(0, states.Sent)
	pushed.Set(&d)
	check(t, b.Write(pushed))
	b.Unlock(info.ID)
	if !hasReceipt(must(again(f).Read()), 0) {
		t.Error("the receipt was lost by a Write of a pushed state")
	}
}

// A failed fsync fails only the batch it held: Kaleyra retries those
// callbacks, and later ones are recorded.
func TestReceiptsFailedFsyncFailsItsBatch(t *testing.T) {
	f := sentFS(t, 2)
	f.receipts.fsync = func(*os.File) error { return errors.New("I/O error") }
	err := f.RecordReceipts(context.Background(), []receipts.Event{receiptFor(0, time.Now())})
	if err == nil || !strings.Contains(err.Error(), f.receiptsPath) || !strings.Contains(err.Error(), "I/O error") {
		t.Fatalf("got %v; want an error naming the journal and the cause", err)
	}
	f.receipts.fsync = (*os.File).Sync
	record(t, f, receiptFor(1, time.Now()))
	if !hasReceipt(must(again(f).Read()), 1) {
		t.Error("the receipt recorded after a failed fsync is not read")
	}
}

// Listeners in separate processes append at once while lock holders fold:
// no line is torn or interleaved, and every event reaches the state.
func TestReceiptsSeveralProcesses(t *testing.T) {
	if path := os.Getenv("HERALD_TEST_RECEIPTS_CHILD"); path != "" {
		receiptsChild(t, path)
		return
	}
	const procs, each = 4, 300
	f := sentFS(t, procs*each)
	exe := must(os.Executable())
	var cmds []*exec.Cmd
	for p := range procs {
		cmd := exec.Command(exe, "-test.run", "^TestReceiptsSeveralProcesses$")
		cmd.Env = append(os.Environ(), "HERALD_TEST_RECEIPTS_CHILD="+f.path, "HERALD_TEST_RECEIPTS_FROM="+strconv.Itoa(p*each), "HERALD_TEST_RECEIPTS_N="+strconv.Itoa(each))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		check(t, cmd.Start())
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("child %d:\n%s", p, out.String())
			}
		})
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
				lockedFold(t, f)
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v", p, err)
		}
	}
	close(done)
	wg.Wait()
	journalEvents(t, f.receiptsPath)
	journalEvents(t, f.foldingPath)
	s := lockedFold(t, f)
	missing := 0
	for n := range procs * each {
		if !hasReceipt(s, n) {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d receipts are not in the state", missing, procs*each)
	}
}

func receiptsChild(t *testing.T, path string) {
	from := must(strconv.Atoi(os.Getenv("HERALD_TEST_RECEIPTS_FROM")))
	n := must(strconv.Atoi(os.Getenv("HERALD_TEST_RECEIPTS_N")))
	f := NewFilesystem(path, nil)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				record(t, f, receiptFor(from+i, time.Now()))
			}
		}()
	}
	wg.Wait()
	check(t, f.Close())
}

func ptr[T any](v T) *T { return &v }

// A process reading again parses only what was appended since, and still
// sees a move aside, a torn tail cut and damage by its line in the file.
func TestReceiptsReadAgain(t *testing.T) {
	f := sentFS(t, 4)
	reader := again(f)
	record(t, f, receiptFor(0, time.Now()))
	if !hasReceipt(must(reader.Read()), 0) {
		t.Fatal("first read: no receipt 0")
	}
	line := must(statefile.AppendReceipt(nil, ptr(receiptFor(3, time.Now()))))
	appendFile(t, f.receiptsPath, string(line[:20]))
	if s := must(reader.Read()); !hasReceipt(s, 0) || hasReceipt(s, 3) {
		t.Fatal("a torn tail read again")
	}
	record(t, f, receiptFor(1, time.Now())) // cuts the tail
	lockedFold(t, f)                        // moves it aside and clears it
	record(t, f, receiptFor(2, time.Now()))
	s := must(reader.Read())
	for n := range 3 {
		if !hasReceipt(s, n) {
			t.Errorf("read again: no receipt %d", n)
		}
	}
	record(t, f, receiptFor(3, time.Now()))
	appendFile(t, f.receiptsPath, "damage\n")
	record(t, f, receiptFor(3, time.Now()))
	_, err := reader.Read()
	if err == nil || !strings.Contains(err.Error(), "line 3,") {
		t.Errorf("damage read again: %v; want an error naming line 3", err)
	}
}
