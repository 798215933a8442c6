package statemgrtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// RunReceipts runs the cases of statemgr.ReceiptStore: what a listener
// records shows in the next Read, whoever holds the lock, and survives the
// lock holder's Write. Run runs it too; newBackend is as for Run, and its
// backends must implement statemgr.ReceiptStore.
func RunReceipts(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newBackend func(t *testing.T) statemgr.Backend)
	}{
		{"RecordThenRead", testReceiptRecordThenRead},
		{"RecordWhileLocked", testReceiptWhileLocked},
		{"Duplicates", testReceiptDuplicates},
		{"UnmatchedStaysPending", testReceiptPending},
		{"WriteAfterFoldKeeps", testReceiptWriteKeeps},
		{"RecordedBetweenReadAndWrite", testReceiptBetweenReadAndWrite},
		{"Concurrent", testReceiptConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := newBackend(t).(statemgr.ReceiptStore); !ok {
				t.Skip("the backend does not record receipts yet")
			}
			tt.fn(t, newBackend)
		})
	}
}

func store(b statemgr.Backend) statemgr.ReceiptStore { return b.(statemgr.ReceiptStore) }

// receipt is a status event for sent(n).
func receipt(n int, status states.ReceiptStatus, at time.Time) receipts.Event {
	return receipts.Event{
		Kind: receipts.StatusKind, MessageID: fmt.Sprintf("msg-%d", n), Status: status,
		Recipient: fmt.Sprintf("+1202555%04d", n), At: at, Received: time.Now().UTC().Truncate(time.Second),
	}
}

func mustRecordReceipts(t *testing.T, b statemgr.Backend, events ...receipts.Event) {
	t.Helper()
	if err := store(b).RecordReceipts(context.Background(), events); err != nil {
		t.Fatalf("RecordReceipts: %v", err)
	}
}

// sentState writes a state of sent(ns...) and returns it.
func sentState(t *testing.T, b statemgr.Backend, ns ...int) *states.State {
	t.Helper()
	s := mustRead(t, b)
	for _, n := range ns {
		set(s, sent(n))
	}
	mustWrite(t, b, s)
	return s
}

// checkReceipt fails t unless delivery n of s holds a receipt of status.
func checkReceipt(t *testing.T, s *states.State, n int, status states.ReceiptStatus, at time.Time) {
	t.Helper()
	d := s.Get(sent(n).Key)
	if d == nil {
		t.Errorf("delivery %d is not in the state", n)
		return
	}
	if d.Receipt == nil || d.Receipt.Status != status || !d.Receipt.At.Equal(at) {
		t.Errorf("delivery %d holds receipt %+v; want %s at %s", n, d.Receipt, status, at)
	}
}

// foldUnderLock reads and writes the state holding the lock, as the next
// apply does, and returns what it wrote.
func foldUnderLock(t *testing.T, b statemgr.Backend) *states.State {
	t.Helper()
	info := mustLock(t, b, "apply")
	defer b.Unlock(info.ID)
	s := mustRead(t, b)
	mustWrite(t, b, s)
	return s
}

func testReceiptRecordThenRead(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	sentState(t, newBackend(t), 1, 2)
	mustRecordReceipts(t, newBackend(t), receipt(1, states.Delivered, t0), receipt(2, states.Read, t0))
	mustRecordReceipts(t, newBackend(t), receipts.Event{
		Kind: receipts.InboundKind, Sender: "+12025550100", Recipient: "+12025550002", At: t0, Received: t0,
	})
	// Whether or not the reader holds the lock.
	s := mustRead(t, newBackend(t))
	checkReceipt(t, s, 1, states.Delivered, t0)
	checkReceipt(t, s, 2, states.Read, t0)
	b := newBackend(t)
	info := mustLock(t, b, "plan")
	s = mustRead(t, b)
	b.Unlock(info.ID)
	checkReceipt(t, s, 1, states.Delivered, t0)
	if at := s.Inbound[states.InboundKey{Sender: "+12025550100", Recipient: "+12025550002"}]; !at.Equal(t0) {
		t.Errorf("inbound time %s; want %s", at, t0)
	}
	// A lock holder that read and did not write leaves them for the next.
	checkReceipt(t, mustRead(t, newBackend(t)), 2, states.Read, t0)
	checkReceipt(t, foldUnderLock(t, newBackend(t)), 2, states.Read, t0)
}

func testReceiptWhileLocked(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	sentState(t, newBackend(t), 1)
	apply := newBackend(t)
	info := mustLock(t, apply, "apply")
	st := mustRead(t, apply)
	j := mustOpenJournal(t, apply, st)
	mustRecord(t, j, inFlight(2), sent(2))

	// A listener records while the apply holds the lock, for a delivery
	// already in the state and one only the running apply's journal holds.
	done := make(chan error, 1)
	go func() {
		done <- store(newBackend(t)).RecordReceipts(context.Background(), []receipts.Event{
			receipt(1, states.Delivered, t0), receipt(2, states.Read, t0),
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RecordReceipts while the state is locked: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RecordReceipts waited for the state lock")
	}
	// A reader sees both now, the apply's record included.
	s := mustRead(t, newBackend(t))
	checkReceipt(t, s, 1, states.Delivered, t0)
	checkReceipt(t, s, 2, states.Read, t0)

	// The apply ends; the receipts show after it.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	set(st, sent(2))
	mustWrite(t, apply, st)
	apply.Unlock(info.ID)
	s = foldUnderLock(t, newBackend(t))
	checkReceipt(t, s, 1, states.Delivered, t0)
	checkReceipt(t, s, 2, states.Read, t0)
	checkReceipt(t, mustRead(t, newBackend(t)), 2, states.Read, t0)
}

func testReceiptDuplicates(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	sentState(t, newBackend(t), 1)
	r := receipt(1, states.Delivered, t0)
	mustRecordReceipts(t, newBackend(t), r, r)
	mustRecordReceipts(t, newBackend(t), r, receipt(1, states.Accepted, t0.Add(time.Minute)))
	want := foldUnderLock(t, newBackend(t))
	checkReceipt(t, want, 1, states.Delivered, t0)
	mustRecordReceipts(t, newBackend(t), r)
	got := mustRead(t, newBackend(t))
	want.Serial = got.Serial
	diffStates(t, want, got)
	got = foldUnderLock(t, newBackend(t))
	want.Serial = got.Serial
	diffStates(t, want, got)
}

func testReceiptPending(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	sentState(t, newBackend(t), 1)
	// The receipt comes before the state holds its message id.
	mustRecordReceipts(t, newBackend(t), receipt(7, states.Delivered, t0))
	s := foldUnderLock(t, newBackend(t))
	if s.Get(sent(7).Key) != nil {
		t.Fatal("an unmatched receipt made a delivery")
	}
	s = foldUnderLock(t, newBackend(t))

	// The apply that sent it writes the id; the pending receipt matches.
	b := newBackend(t)
	info := mustLock(t, b, "apply")
	s = mustRead(t, b)
	set(s, sent(7))
	mustWrite(t, b, s)
	b.Unlock(info.ID)
	checkReceipt(t, mustRead(t, newBackend(t)), 7, states.Delivered, t0)
	checkReceipt(t, foldUnderLock(t, newBackend(t)), 7, states.Delivered, t0)
}

func testReceiptWriteKeeps(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	sentState(t, newBackend(t), 1, 2)
	mustRecordReceipts(t, newBackend(t), receipt(1, states.Read, t0), receipt(2, states.ReceiptFailed, t0))
	foldUnderLock(t, newBackend(t))
	// Later writes keep them, with nothing left to fold.
	b := newBackend(t)
	info := mustLock(t, b, "apply")
	s := mustRead(t, b)
	set(s, sent(3))
	mustWrite(t, b, s)
	mustWrite(t, b, s)
	b.Unlock(info.ID)
	s = mustRead(t, newBackend(t))
	checkReceipt(t, s, 1, states.Read, t0)
	checkReceipt(t, s, 2, states.ReceiptFailed, t0)
	if d := s.Get(sent(3).Key); d == nil || d.Receipt != nil {
		t.Errorf("delivery 3: %+v; want it without a receipt", d)
	}
}

func testReceiptBetweenReadAndWrite(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	sentState(t, newBackend(t), 1, 2)
	mustRecordReceipts(t, newBackend(t), receipt(1, states.Delivered, t0))
	b := newBackend(t)
	info := mustLock(t, b, "apply")
	s := mustRead(t, b)
	checkReceipt(t, s, 1, states.Delivered, t0)
	mustRecordReceipts(t, newBackend(t), receipt(2, states.Read, t0))
	mustWrite(t, b, s)
	b.Unlock(info.ID)
	s = mustRead(t, newBackend(t))
	checkReceipt(t, s, 1, states.Delivered, t0)
	checkReceipt(t, s, 2, states.Read, t0)
	s = foldUnderLock(t, newBackend(t))
	checkReceipt(t, s, 2, states.Read, t0)
}

func testReceiptConcurrent(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	const listeners, workers, each = 2, 8, 10
	var ns []int
	for n := range listeners * workers * each {
		ns = append(ns, n)
	}
	sentState(t, newBackend(t), ns...)
	var wg sync.WaitGroup
	for l := range listeners {
		b := newBackend(t)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					n := (l*workers+w)*each + i
					if err := store(b).RecordReceipts(context.Background(), []receipts.Event{receipt(n, states.Delivered, t0)}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		// A lock holder folds while they record.
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newBackend(t)
			info, err := b.Lock(context.Background(), "apply", 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer b.Unlock(info.ID)
			s, err := b.Read()
			if err == nil {
				err = b.Write(s)
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s := foldUnderLock(t, newBackend(t))
	for _, n := range ns {
		checkReceipt(t, s, n, states.Delivered, t0)
	}
}
