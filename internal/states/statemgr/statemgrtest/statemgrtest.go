// Package statemgrtest is the conformance suite every state backend must
// pass: reading, atomic writing, serials and lineage, backups, locking,
// the journal and receipts, as observed through the statemgr.Backend
// interface.
//
// Faults below the interface (a journal line torn by a crash, a crash
// between replacing the state and removing the journal) depend on how a
// backend stores things, so each backend tests those itself, as
// statemgr's filesystem tests do.
package statemgrtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statestest"
)

// Backups is implemented by backends that keep the state as it was before
// a process first replaced it.
type Backups interface {
	// ReadBackup returns the kept state; nil, nil when there is none.
	ReadBackup() (*states.State, error)
}

// Run runs the suite. newBackend must return a backend over empty storage
// for each new t, and, when called again with the same t, another backend
// over that same storage, as a second herald process would see it. The
// suite "crashes" a backend by abandoning it, without closing its journal
// or writing its state, after releasing its lock (which is what the OS or
// the lock service does for a process that dies).
func Run(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newBackend func(t *testing.T) statemgr.Backend)
	}{
		{"ReadEmpty", testReadEmpty},
		{"WriteReadRoundTrip", testWriteReadRoundTrip},
		{"SerialAdvances", testSerialAdvances},
		{"WriteRefusesOtherLineage", testWriteRefusesOtherLineage},
		{"Backup", testBackup},
		{"LockContentionNamesHolder", testLockContention},
		{"LockTimeout", testLockTimeout},
		{"LockWaitsForRelease", testLockWaitsForRelease},
		{"Unlock", testUnlock},
		{"ForceUnlock", testForceUnlock},
		{"JournalCloseThenWrite", testJournalCloseThenWrite},
		{"JournalFoldInFlightBecomesUnknown", testJournalFold},
		{"JournalFoldIsIdempotent", testJournalRefold},
		{"JournalContinuesAfterCrash", testJournalContinues},
		{"JournalConcurrentRecords", testJournalConcurrent},
		{"JournalMisuse", testJournalMisuse},
		{"DigestSecret", testDigestSecret},
		{"Contents", testContents},
		{"Receipts", RunReceipts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newBackend) })
	}
}

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// rec makes a delivery record to recipient n.
func rec(n int, status states.Status) states.Delivery {
	return states.Delivery{
		Key: delivery.Key{
			Channel:   "whatsapp",
			Sender:    "+12025550100",
			Recipient: fmt.Sprintf("+1202555%04d", n),
			Ref:       "release-v1",
		},
		Address:   "message.announce",
		Digest:    delivery.Content{Type: delivery.Text, Body: "hello"}.Digest(),
		Status:    status,
		Attempts:  1,
		FirstSent: t0,
		UpdatedAt: t0.Add(time.Second),
	}
}

func sent(n int) states.Delivery {
	d := rec(n, states.Sent)
	d.RequestID = "req-1"
	d.MessageID = fmt.Sprintf("msg-%d", n)
	return d
}

func inFlight(n int) states.Delivery {
	d := rec(n, statemgr.InFlight)
	d.Attempts = 0
	return d
}

func mustRead(t *testing.T, b statemgr.Backend) *states.State {
	t.Helper()
	s, err := b.Read()
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return s
}

func mustWrite(t *testing.T, b statemgr.Backend, s *states.State) {
	t.Helper()
	if err := b.Write(s); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func mustLock(t *testing.T, b statemgr.Backend, op string) *statemgr.LockInfo {
	t.Helper()
	info, err := b.Lock(context.Background(), op, 0)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	return info
}

func mustOpenJournal(t *testing.T, b statemgr.Backend, s *states.State) statemgr.Journal {
	t.Helper()
	j, err := b.OpenJournal(s)
	if err != nil {
		t.Fatalf("OpenJournal: %v", err)
	}
	return j
}

func mustRecord(t *testing.T, j statemgr.Journal, recs ...states.Delivery) {
	t.Helper()
	if err := j.Record(recs...); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

// set stores copies of recs in s.
func set(s *states.State, recs ...states.Delivery) {
	for _, r := range recs {
		s.Set(&r)
	}
}

// stateOf builds the expected state.
func stateOf(lineage string, serial uint64, recs ...states.Delivery) *states.State {
	s := states.New(lineage)
	s.Serial = serial
	set(s, recs...)
	return s
}

func diffStates(t *testing.T, want, got *states.State) {
	t.Helper()
	if diff := cmp.Diff(want, got, statestest.Records); diff != "" {
		t.Errorf("state differs (-want +got):\n%s", diff)
	}
}

func testReadEmpty(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	s := mustRead(t, newBackend(t))
	if s.Lineage == "" {
		t.Error("an empty state has no lineage")
	}
	if s.Serial != 0 || s.Deliveries.Len() != 0 || s.Deliveries == nil {
		t.Errorf("empty state: serial %d, %d deliveries (map nil: %v); want 0, 0, a map", s.Serial, s.Deliveries.Len(), s.Deliveries == nil)
	}
}

func testWriteReadRoundTrip(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	s := mustRead(t, b)
	failed := rec(2, states.Failed)
	failed.ErrorCode, failed.ErrorText = "E13009", "to number invalid"
	unknown := rec(3, states.Unknown)
	unknown.Key.Ref1, unknown.Key.Ref2 = "rollout", `wave "1"`
	set(s, sent(1), failed, unknown)
	mustWrite(t, b, s)
	got := mustRead(t, newBackend(t))
	diffStates(t, stateOf(s.Lineage, s.Serial, sent(1), failed, unknown), got)
}

func testSerialAdvances(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	s := mustRead(t, b)
	var serials []uint64
	for i := 0; i < 3; i++ {
		set(s, sent(i))
		mustWrite(t, b, s)
		serials = append(serials, s.Serial)
	}
	if serials[0] < 1 || serials[1] <= serials[0] || serials[2] <= serials[1] {
		t.Errorf("serials after three writes: %v; want increasing from at least 1", serials)
	}
	// A caller may move the serial itself (as apply does); the write keeps
	// at least that.
	s.Serial += 5
	want := s.Serial
	mustWrite(t, b, s)
	if s.Serial < want {
		t.Errorf("serial after a write of serial %d: %d", want, s.Serial)
	}
	// Another process sees what was written, and moves on from there.
	b2 := newBackend(t)
	s2 := mustRead(t, b2)
	if s2.Serial != s.Serial || s2.Lineage != s.Lineage {
		t.Errorf("second backend reads lineage %s serial %d; want %s %d", s2.Lineage, s2.Serial, s.Lineage, s.Serial)
	}
	mustWrite(t, b2, s2)
	if s2.Serial <= s.Serial {
		t.Errorf("a write over serial %d wrote serial %d", s.Serial, s2.Serial)
	}
}

func testWriteRefusesOtherLineage(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	s := mustRead(t, b)
	mustWrite(t, b, s)
	other := states.New("some-other-lineage")
	err := newBackend(t).Write(other)
	if err == nil || !strings.Contains(err.Error(), "lineage") {
		t.Errorf("writing a state of another lineage: got %v, want an error about the lineage", err)
	}
	diffStates(t, stateOf(s.Lineage, s.Serial), mustRead(t, newBackend(t)))
}

func testBackup(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	if _, ok := b.(Backups); !ok {
		t.Skip("the backend keeps no backups")
	}
	s := mustRead(t, b)
	set(s, sent(1))
	mustWrite(t, b, s)
	if got, err := b.(Backups).ReadBackup(); err != nil || got != nil {
		t.Errorf("after the first write of a new state: backup %v, error %v; want none", got, err)
	}
	first := stateOf(s.Lineage, s.Serial, sent(1))

	// A second process's writes keep the state as it found it.
	b2 := newBackend(t)
	s2 := mustRead(t, b2)
	set(s2, sent(2))
	mustWrite(t, b2, s2)
	set(s2, sent(3))
	mustWrite(t, b2, s2)
	got, err := b2.(Backups).ReadBackup()
	if err != nil {
		t.Fatal(err)
	}
	diffStates(t, first, got)
}

func testLockContention(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b1, b2 := newBackend(t), newBackend(t)
	info := mustLock(t, b1, "apply")
	if info.ID == "" || info.Who == "" || info.Operation != "apply" || info.Created.IsZero() {
		t.Errorf("lock info %+v: want ID, Who, Operation and Created set", info)
	}
	_, err := b2.Lock(context.Background(), "plan", 0)
	var le *statemgr.LockError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: got %v (%T), want a *statemgr.LockError", err, err)
	}
	if le.Holder == nil || le.Holder.ID != info.ID || le.Holder.Operation != "apply" || le.Holder.Who != info.Who {
		t.Errorf("LockError holder %+v; want the first lock %+v", le.Holder, info)
	}
	if !strings.Contains(err.Error(), info.ID) || !strings.Contains(err.Error(), info.Who) {
		t.Errorf("lock error %q does not name the holder's ID and who", err)
	}
}

func testLockTimeout(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b1, b2 := newBackend(t), newBackend(t)
	mustLock(t, b1, "apply")
	start := time.Now()
	_, err := b2.Lock(context.Background(), "plan", 300*time.Millisecond)
	waited := time.Since(start)
	var le *statemgr.LockError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a *statemgr.LockError", err)
	}
	if waited < 300*time.Millisecond || waited > 5*time.Second {
		t.Errorf("Lock with a 300ms timeout gave up after %s", waited)
	}
	// A cancelled context ends the wait early.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := b2.Lock(ctx, "plan", time.Minute); err == nil {
		t.Fatal("Lock succeeded while another holds the lock")
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("Lock ignored its context: waited %s", waited)
	}
}

func testLockWaitsForRelease(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b1, b2 := newBackend(t), newBackend(t)
	info := mustLock(t, b1, "apply")
	go func() {
		time.Sleep(150 * time.Millisecond)
		b1.Unlock(info.ID)
	}()
	info2, err := b2.Lock(context.Background(), "plan", 10*time.Second)
	if err != nil {
		t.Fatalf("Lock waiting for a release: %v", err)
	}
	if info2.ID == info.ID {
		t.Error("two locks share an ID")
	}
}

func testUnlock(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b1, b2 := newBackend(t), newBackend(t)
	info := mustLock(t, b1, "apply")
	if err := b1.Unlock("not-the-id"); err == nil {
		t.Error("Unlock with a wrong ID succeeded")
	}
	if err := b2.Unlock(info.ID); err == nil {
		t.Error("Unlock by a backend that does not hold the lock succeeded")
	}
	if err := b1.Unlock(info.ID); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := b1.Unlock(info.ID); err == nil {
		t.Error("a second Unlock succeeded")
	}
	info2 := mustLock(t, b2, "plan")
	if err := b2.Unlock(info2.ID); err != nil {
		t.Fatal(err)
	}
	// The lock can be taken again by the same backend.
	mustLock(t, b1, "apply")
}

func testForceUnlock(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b1, b2 := newBackend(t), newBackend(t)
	if err := b2.ForceUnlock("no-such-lock"); err == nil {
		t.Error("ForceUnlock with no lock succeeded")
	}
	info := mustLock(t, b1, "apply")
	err := b2.ForceUnlock("wrong-id")
	if err == nil || !strings.Contains(err.Error(), info.ID) {
		t.Errorf("ForceUnlock with a wrong ID: got %v, want an error naming the real ID %s", err, info.ID)
	}
	if _, err := b2.Lock(context.Background(), "plan", 0); err == nil {
		t.Error("a failed ForceUnlock released the lock")
	}
	// Its own lock, a process may always force.
	if err := b1.ForceUnlock(info.ID); err != nil {
		t.Errorf("ForceUnlock of its own lock: %v", err)
	}
	mustLock(t, b2, "plan")
}

func testJournalCloseThenWrite(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	info := mustLock(t, b, "apply")
	s := mustRead(t, b)
	j := mustOpenJournal(t, b, s)
	mustRecord(t, j, inFlight(1), inFlight(2))
	mustRecord(t, j, sent(1))
	failed := rec(2, states.Failed)
	mustRecord(t, j, failed)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	set(s, sent(1))
	set(s, failed)
	mustWrite(t, b, s)
	b.Unlock(info.ID)
	diffStates(t, stateOf(s.Lineage, s.Serial, sent(1), failed), mustRead(t, newBackend(t)))
}

// crashedApply records in a journal over a fresh state and abandons it.
func crashedApply(t *testing.T, b statemgr.Backend, recs ...states.Delivery) *states.State {
	t.Helper()
	info := mustLock(t, b, "apply")
	s := mustRead(t, b)
	j := mustOpenJournal(t, b, s)
	for _, r := range recs {
		mustRecord(t, j, r)
	}
	if err := b.Unlock(info.ID); err != nil {
		t.Fatal(err)
	}
	return s
}

func interrupted(d states.Delivery) states.Delivery {
	d.Status = states.Unknown
	d.Attempts++
	d.ErrorCode = statemgr.Interrupted
	return d
}

// checkFolded compares got with want, ignoring the text of interrupted
// records but checking they have one.
func checkFolded(t *testing.T, want, got *states.State) {
	t.Helper()
	for d := range got.Deliveries.All() {
		if d.ErrorCode == statemgr.Interrupted {
			if !strings.Contains(d.ErrorText, "interrupted") {
				t.Errorf("%s: interrupted record's text %q does not say so", d.Key, d.ErrorText)
			}
			d.ErrorText = ""
		}
	}
	diffStates(t, want, got)
}

func testJournalFold(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	// A state with history, then an apply that dies mid-way.
	b := newBackend(t)
	s := mustRead(t, b)
	set(s, sent(9))
	set(s, rec(5, states.Failed))
	mustWrite(t, b, s)
	base := s.Serial

	failed := rec(3, states.Failed)
	retry := inFlight(5)
	retry.Attempts = 1
	crashedApply(t, newBackend(t),
		inFlight(1), inFlight(2), inFlight(3),
		sent(1),                           // answered
		failed,                            // answered: refused
		retry,                             // a retry of an earlier failure, interrupted
		sent(4),                           // outcome without an in-flight record: still recorded
		inFlight(6), sent(6), inFlight(6), // a resend, interrupted
	)

	got := mustRead(t, newBackend(t))
	if got.Serial != base+1 {
		t.Errorf("folded state has serial %d; want the journal's base %d + 1", got.Serial, base)
	}
	want := stateOf(s.Lineage, base+1, sent(9), sent(1), interrupted(inFlight(2)), failed, sent(4), interrupted(retry), interrupted(inFlight(6)))
	checkFolded(t, want, got)
}

func testJournalRefold(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	s := crashedApply(t, newBackend(t), inFlight(1), sent(1), inFlight(2))
	want := stateOf(s.Lineage, s.Serial+1, sent(1), interrupted(inFlight(2)))

	// Reading again, before anything is written, gives the same.
	checkFolded(t, want, mustRead(t, newBackend(t)))
	checkFolded(t, want, mustRead(t, newBackend(t)))

	// Once written, the journal is not applied again: the interrupted
	// record stays as it was written, even after it is changed.
	b := newBackend(t)
	info := mustLock(t, b, "apply")
	folded := mustRead(t, b)
	mustWrite(t, b, folded)
	resent := sent(2)
	resent.Attempts = 2
	set(folded, resent)
	mustWrite(t, b, folded)
	b.Unlock(info.ID)
	got := mustRead(t, newBackend(t))
	diffStates(t, stateOf(s.Lineage, folded.Serial, sent(1), resent), got)
}

func testJournalContinues(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	s := crashedApply(t, newBackend(t), inFlight(1), sent(1), inFlight(2))
	// The next run reads the folded state, journals more, and dies too.
	b := newBackend(t)
	info := mustLock(t, b, "apply")
	folded := mustRead(t, b)
	j := mustOpenJournal(t, b, folded)
	mustRecord(t, j, inFlight(3), sent(3), inFlight(4))
	b.Unlock(info.ID)

	// The second run's records make a different state from the one the
	// second run read, so it must have a different serial: a plan saved
	// against that read state (serial s.Serial+1) must be refused as stale,
	// or it would send deliveries 3 and 4 again.
	got := mustRead(t, newBackend(t))
	if got.Serial == folded.Serial {
		t.Errorf("after a second interrupted run the state has serial %d, the same as the state that run read; a plan saved against it would not be seen as stale", got.Serial)
	}
	want := stateOf(s.Lineage, got.Serial, sent(1), interrupted(inFlight(2)), sent(3), interrupted(inFlight(4)))
	checkFolded(t, want, got)

	// A third run finishes cleanly.
	b = newBackend(t)
	info = mustLock(t, b, "apply")
	folded = mustRead(t, b)
	j = mustOpenJournal(t, b, folded)
	mustRecord(t, j, sent(5))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	set(folded, sent(5))
	mustWrite(t, b, folded)
	b.Unlock(info.ID)
	want = stateOf(s.Lineage, folded.Serial, sent(1), interrupted(inFlight(2)), sent(3), interrupted(inFlight(4)), sent(5))
	checkFolded(t, want, mustRead(t, newBackend(t)))
}

func testJournalConcurrent(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	info := mustLock(t, b, "apply")
	s := mustRead(t, b)
	j := mustOpenJournal(t, b, s)
	const workers, each = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				n := w*each + i
				if err := j.Record(inFlight(n)); err != nil {
					errs <- err
					return
				}
				if err := j.Record(sent(n)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Record: %v", err)
	}
	b.Unlock(info.ID)
	var want []states.Delivery
	for n := 0; n < workers*each; n++ {
		want = append(want, sent(n))
	}
	diffStates(t, stateOf(s.Lineage, s.Serial+1, want...), mustRead(t, newBackend(t)))
}

func testJournalMisuse(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	s := mustRead(t, b)
	stale := stateOf(s.Lineage, s.Serial+7)
	if _, err := b.OpenJournal(stale); err == nil {
		t.Error("OpenJournal over a state that was not read succeeded")
	}
	j := mustOpenJournal(t, b, s)
	if _, err := b.OpenJournal(s); err == nil {
		t.Error("a second OpenJournal succeeded while one is open")
	}
	if err := j.Record(rec(1, "delivered")); err == nil {
		t.Error("Record of an unknown status succeeded")
	}
	if err := b.Write(s); err == nil {
		t.Error("Write succeeded while the journal is open")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Record(sent(1)); err == nil {
		t.Error("Record after Close succeeded")
	}
	if err := j.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	mustWrite(t, b, s)
}

// testDigestSecret checks that the digest secret is made once, kept for
// every later process, made once when two processes ask together, and
// kept out of the state.
func testDigestSecret(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	ds, ok := b.(statemgr.DigestSecrets)
	if !ok {
		t.Fatalf("%T does not keep a digest secret", b)
	}
	first, created, err := ds.DigestSecret()
	if err != nil || !created {
		t.Fatalf("first DigestSecret: created=%v err=%v, want a new secret", created, err)
	}
	again, created, err := ds.DigestSecret()
	if err != nil || created || again.ID() != first.ID() {
		t.Fatalf("second DigestSecret: %v created=%v err=%v, want %v kept", again, created, err, first)
	}
	other := newBackend(t).(statemgr.DigestSecrets)
	if k, created, err := other.DigestSecret(); err != nil || created || k.ID() != first.ID() {
		t.Fatalf("another process's DigestSecret: %v created=%v err=%v, want %v kept", k, created, err, first)
	}
	c := delivery.Content{Type: delivery.Text, Body: "1234"}
	if c.KeyedDigest(first) != c.KeyedDigest(again) {
		t.Fatal("the kept secret keys digests differently")
	}

	// Processes meeting no secret together make one between them (a new
	// t is new storage).
	t.Run("Together", func(t *testing.T) {
		var wg sync.WaitGroup
		ids := make([]string, 4)
		made := make([]bool, 4)
		backends := make([]statemgr.DigestSecrets, len(ids))
		for i := range backends {
			backends[i] = newBackend(t).(statemgr.DigestSecrets)
		}
		for i := range backends {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, created, err := backends[i].DigestSecret()
				if err != nil {
					t.Error(err)
					return
				}
				ids[i], made[i] = k.ID(), created
			}()
		}
		wg.Wait()
		n := 0
		for i := range ids {
			if ids[i] != ids[0] {
				t.Errorf("process %d got secret %s, process 0 %s", i, ids[i], ids[0])
			}
			if made[i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d processes say they made the secret, want 1", n)
		}
	})

	st, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	r := rec(1, states.Sent)
	r.Digest = c.KeyedDigest(first)
	st.Set(&r)
	if err := b.Write(st); err != nil {
		t.Fatal(err)
	}
	back, err := newBackend(t).Read()
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Get(r.Key); got == nil || got.Digest != r.Digest {
		t.Fatalf("keyed digest read back as %+v, want %s", got, r.Digest)
	}
}

// testContents checks that the contents a state keeps are read back, once
// per digest, and that those no delivery records any longer are dropped.
func testContents(t *testing.T, newBackend func(t *testing.T) statemgr.Backend) {
	b := newBackend(t)
	st, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	hello := delivery.Content{Type: delivery.Text, Body: "hello <b> & \"you\"\n\u2028"}
	tmpl := delivery.Content{Type: delivery.MediaTemplate, TemplateName: "launch", Language: "en",
		Params: []delivery.Param{{Name: "version", Value: "v1"}, {Name: "eta", Value: ""}},
		Header: delivery.HeaderImage, MediaURL: "https://cdn.example.com/a.png", ButtonURL: "v1"}
	gone := delivery.Content{Type: delivery.Text, Body: "removed since"}
	for i, c := range []delivery.Content{hello, hello, tmpl} {
		r := rec(i, states.Sent)
		r.Digest = c.Digest()
		st.Set(&r)
		st.KeepContent(c.Digest(), c)
	}
	st.KeepContent(gone.Digest(), gone)
	if err := b.Write(st); err != nil {
		t.Fatal(err)
	}
	want := map[delivery.Digest]delivery.Content{hello.Digest(): hello, tmpl.Digest(): tmpl}
	back, err := newBackend(t).Read()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, back.Contents); diff != "" {
		t.Errorf("contents read back (-want +got):\n%s", diff)
	}

	// Removing the template's only record drops its content.
	b2 := newBackend(t)
	st2, err := b2.Read()
	if err != nil {
		t.Fatal(err)
	}
	r := rec(2, states.Sent)
	st2.Deliveries.Delete(r.Key)
	if err := b2.Write(st2); err != nil {
		t.Fatal(err)
	}
	back, err = newBackend(t).Read()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[delivery.Digest]delivery.Content{hello.Digest(): hello}, back.Contents); diff != "" {
		t.Errorf("contents after removing a record (-want +got):\n%s", diff)
	}
}
