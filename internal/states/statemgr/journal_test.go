package statemgr

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/states"
)

// TestJournalGroupCommit holds the first commit on the disk while 49 more
// callers record; they must all share the second fsync.
func TestJournalGroupCommit(t *testing.T) {
	f := newTestFS(t)
	s := must(f.Read())
	j := must(f.OpenJournal(s)).(*fileJournal)
	const callers = 50
	release := make(chan struct{})
	var first sync.Once
	j.fsync = func() error {
		first.Do(func() { <-release })
		return j.file.Sync()
	}
	var wg sync.WaitGroup
	for n := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j.Record(testRecord(n, InFlight)); err != nil {
				t.Error(err)
			}
		}()
	}
	// Wait until every caller has queued behind the held commit.
	for deadline := time.Now().Add(10 * time.Second); ; {
		queued, _, _ := j.gc.counts()
		if queued == callers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d callers queued", queued, callers)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if _, _, fsyncs := j.gc.counts(); fsyncs != 2 || j.records.Load() != callers {
		t.Errorf("%d records took %d fsyncs; want %d records in 2 fsyncs", j.records.Load(), fsyncs, callers)
	}
	check(t, j.Close())
	if got := must(again(f).Read()); got.Deliveries.Len() != callers {
		t.Errorf("read back %d deliveries; want %d", got.Deliveries.Len(), callers)
	}
}

// TestJournalOutcomesShareTheNextFsync: outcomes are written at once but
// fsynced only with the next record in flight, or by Close.
func TestJournalOutcomesShareTheNextFsync(t *testing.T) {
	f := newTestFS(t)
	s := must(f.Read())
	j := must(f.OpenJournal(s)).(*fileJournal)
	fsyncs := 0
	j.fsync = func() error {
		fsyncs++
		return j.file.Sync()
	}
	written := func() int64 { return must(j.file.Stat()).Size() }
	steps := []struct {
		record     states.Delivery
		wantFsyncs int
	}{
		{testRecord(1, InFlight), 1},
		{testRecord(1, states.Sent), 1},
		{testRecord(2, InFlight), 2},
		{testRecord(2, states.Failed), 2},
		{testRecord(3, states.Unknown), 2},
	}
	for i, st := range steps {
		before := written()
		check(t, j.Record(st.record))
		if written() <= before {
			t.Errorf("step %d: Record(%s) returned before writing it", i, st.record.Status)
		}
		if fsyncs != st.wantFsyncs {
			t.Errorf("step %d: after Record(%s), %d fsyncs; want %d", i, st.record.Status, fsyncs, st.wantFsyncs)
		}
	}
	check(t, j.Close())
	if fsyncs != 3 {
		t.Errorf("Close left outcomes unsynced: %d fsyncs; want 3", fsyncs)
	}
	got := must(again(f).Read())
	for n, want := range map[int]states.Status{1: states.Sent, 2: states.Failed, 3: states.Unknown} {
		if d := got.Deliveries.Get(testRecord(n, states.Sent).Key); d == nil || d.Status != want {
			t.Errorf("delivery %d read back as %+v; want %s", n, d, want)
		}
	}
}

// TestJournalFailedFsyncIsFinal: after a failed fsync nothing more may be
// reported durable, since what reached the disk is unknowable.
func TestJournalFailedFsyncIsFinal(t *testing.T) {
	f := newTestFS(t)
	s := must(f.Read())
	j := must(f.OpenJournal(s)).(*fileJournal)
	j.fsync = func() error { return errors.New("I/O error") }
	err := j.Record(testRecord(1, InFlight))
	if err == nil || !strings.Contains(err.Error(), f.journalPath) || !strings.Contains(err.Error(), "I/O error") {
		t.Fatalf("got %v; want an error naming the journal and the cause", err)
	}
	j.fsync = j.file.Sync
	if err := j.Record(testRecord(2, states.Sent)); err == nil {
		t.Error("Record after a failed fsync succeeded")
	}
	if err := j.Close(); err == nil {
		t.Error("Close after a failed fsync reported no error")
	}
}
