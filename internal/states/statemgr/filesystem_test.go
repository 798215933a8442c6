package statemgr

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
	"github.com/heraldhq/herald/internal/states/statestest"
)

// These tests cover what the conformance suite cannot see through the
// Backend interface: the files themselves, and the faults a crash leaves
// in them.

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func testRecord(n int, status states.Status) states.Delivery {
	d := states.Delivery{
		Key: delivery.Key{
			Channel:   "whatsapp",
			Sender:    "+12025550100",
			Recipient: fmt.Sprintf("+1202%07d", n),
			Ref:       "release-v1",
		},
		Address:   "message.announce",
		Digest:    delivery.Content{Type: delivery.Text, Body: "hello"}.Digest(),
		Status:    status,
		FirstSent: t0,
		UpdatedAt: t0,
	}
	if status != InFlight {
		d.Attempts = 1
	}
	if status == states.Sent {
		d.MessageID = fmt.Sprintf("msg-%d", n)
	}
	return d
}

func newTestFS(t testing.TB) *Filesystem {
	return NewFilesystem(filepath.Join(t.TempDir(), "herald.state"), hclog.NewNullLogger())
}

func again(f *Filesystem) *Filesystem { return NewFilesystem(f.path, hclog.NewNullLogger()) }

// must returns v, or panics with err: the test fails with the stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// abandonedJournal leaves a journal of recs over the state in f's folder,
// as an apply killed after recording them would.
func abandonedJournal(t *testing.T, f *Filesystem, recs ...states.Delivery) *states.State {
	t.Helper()
	s := must(f.Read())
	j := must(f.OpenJournal(s))
	check(t, j.Record(recs...))
	return s
}

func TestFileModesAre0600(t *testing.T) {
	f := newTestFS(t)
	info := must(f.Lock(context.Background(), "apply", 0))
	s := must(f.Read())
	check(t, f.Write(s))
	j := must(f.OpenJournal(s))
	check(t, j.Record(testRecord(1, InFlight)))
	for _, p := range []string{f.path, f.lockPath, f.journalPath} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, error %v; want 0600", filepath.Base(p), st.Mode().Perm(), err)
		}
	}
	check(t, j.Close())
	check(t, f.Write(s))
	check(t, f.Unlock(info.ID))
	// A second run keeps a backup; a state file someone made readable is
	// tightened when it is replaced.
	check(t, os.Chmod(f.path, 0o644))
	g := again(f)
	check(t, g.Write(must(g.Read())))
	for _, p := range []string{f.path, f.backupPath} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, error %v; want 0600", filepath.Base(p), st.Mode().Perm(), err)
		}
	}
}

func TestJournalTornTailIsIgnoredAndCut(t *testing.T) {
	for name, tail := range map[string]string{
		"half a line":        `{"key":{"channel":"whats`,
		"a line, no newline": strings.TrimSuffix(string(mustJSONLine(t, testRecord(9, states.Sent))), "\n"),
		"zeros":              "\x00\x00\x00\x00\x00\x00\x00\x00",
		"nothing torn":       "",
	} {
		t.Run(name, func(t *testing.T) {
			f := newTestFS(t)
			s := abandonedJournal(t, f, testRecord(1, InFlight), testRecord(1, states.Sent), testRecord(2, InFlight))
			appendFile(t, f.journalPath, tail)

			g := again(f)
			folded := must(g.Read())
			if folded.Serial != s.Serial+1 || folded.Deliveries.Len() != 2 || folded.Get(testRecord(9, states.Sent).Key) != nil {
				t.Fatalf("folded state: serial %d, %d deliveries; want serial %d, 2 deliveries, without the torn one", folded.Serial, folded.Deliveries.Len(), s.Serial+1)
			}
			// The next run starts from the folded state, without the torn line.
			j := must(g.OpenJournal(folded))
			check(t, j.Record(testRecord(3, states.Sent)))
			check(t, j.Close())
			got := must(again(f).Read())
			for n, want := range map[int]states.Status{1: states.Sent, 2: states.Unknown, 3: states.Sent} {
				if d := got.Get(testRecord(n, "").Key); d == nil || d.Status != want {
					t.Errorf("record %d: %+v; want status %s", n, d, want)
				}
			}
		})
	}
}

func TestJournalWithoutHeaderIsEmpty(t *testing.T) {
	f := newTestFS(t)
	check(t, os.WriteFile(f.journalPath, []byte(`{"journal":1,"lin`), 0o600))
	s := must(f.Read())
	if s.Serial != 0 || s.Deliveries.Len() != 0 {
		t.Errorf("got serial %d, %d deliveries from a journal without a whole header", s.Serial, s.Deliveries.Len())
	}
	j := must(f.OpenJournal(s))
	check(t, j.Record(testRecord(1, states.Sent)))
	if got := must(again(f).Read()); got.Get(testRecord(1, "").Key) == nil {
		t.Error("a record journaled after replacing a headerless journal is lost")
	}
}

func TestJournalCorruptionIsAnError(t *testing.T) {
	f := newTestFS(t)
	abandonedJournal(t, f, testRecord(1, InFlight))
	appendFile(t, f.journalPath, "this is not json\n")
	appendFile(t, f.journalPath, string(mustJSONLine(t, testRecord(1, states.Sent))))
	_, err := again(f).Read()
	if err == nil {
		t.Fatal("Read of a journal with a corrupt line in the middle succeeded")
	}
	for _, want := range []string{f.journalPath, "line 3, column 1", "will not go on without it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestJournalAlreadyFolded is a crash after the folded state was renamed
// into place and before the journal was removed.
func TestJournalAlreadyFolded(t *testing.T) {
	f := newTestFS(t)
	abandonedJournal(t, f, testRecord(1, InFlight), testRecord(2, states.Sent))
	leftover := must(os.ReadFile(f.journalPath))

	g := again(f)
	folded := must(g.Read())
	check(t, g.Write(folded))
	// The interrupted delivery is resent and recorded as sent.
	resent := testRecord(1, states.Sent)
	resent.Attempts = 2
	folded.Set(&resent)
	check(t, g.Write(folded))
	check(t, os.WriteFile(f.journalPath, leftover, 0o600))

	got := must(again(f).Read())
	if diff := cmp.Diff(folded, got, statestest.Records); diff != "" {
		t.Errorf("a journal already folded was applied again (-want +got):\n%s", diff)
	}
	// The next journal replaces it.
	h := again(f)
	s := must(h.Read())
	j := must(h.OpenJournal(s))
	check(t, j.Record(testRecord(3, states.Sent)))
	check(t, j.Close())
	if got := must(again(f).Read()); got.Deliveries.Len() != 3 || got.Get(resent.Key).Status != states.Sent {
		t.Errorf("after a new journal: %d deliveries, record 1 %s; want 3, sent", got.Deliveries.Len(), got.Get(resent.Key).Status)
	}
}

func TestJournalThatDoesNotFit(t *testing.T) {
	header := func(lineage string, serial uint64) string {
		return fmt.Sprintf(`{"journal":1,"lineage":%q,"base_serial":%d}`+"\n", lineage, serial)
	}
	line := string(mustJSONLine(t, testRecord(1, states.Sent)))
	state := "{\"version\":1,\"lineage\":\"L\",\"serial\":4,\"deliveries\":[]}\n"
	tests := []struct {
		name, state, journal, want string
		wantLineage                string
		wantSerial                 uint64
	}{
		{name: "other lineage", state: state, journal: header("M", 4) + line, want: "belongs to state lineage M, but the state file"},
		{name: "newer than the state", state: state, journal: header("L", 6) + line, want: "continues serial 6, but the state file"},
		{name: "no state file, not the first", journal: header("L", 3) + line, want: "does not exist"},
		{name: "no state file, the first", journal: header("L", 0) + line, wantLineage: "L", wantSerial: 1},
		{name: "folded already", state: state, journal: header("L", 3) + line, wantLineage: "L", wantSerial: 4},
		{name: "unknown journal version", state: state, journal: `{"journal":2}` + "\n", want: "format version 2"},
		{name: "in flight in the state file", state: strings.Replace(state, "[]", "["+strings.Replace(line, `"sent"`, `"in_flight"`, 1)+"]", 1), want: `unknown delivery status "in_flight"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFS(t)
			if tt.state != "" {
				check(t, os.WriteFile(f.path, []byte(tt.state), 0o600))
			}
			if tt.journal != "" {
				check(t, os.WriteFile(f.journalPath, []byte(tt.journal), 0o600))
			}
			s, err := f.Read()
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got error %v; want one containing %q", err, tt.want)
				}
				return
			}
			check(t, err)
			if s.Lineage != tt.wantLineage || s.Serial != tt.wantSerial {
				t.Errorf("got lineage %s serial %d; want %s %d", s.Lineage, s.Serial, tt.wantLineage, tt.wantSerial)
			}
		})
	}
}

func TestBadStateFileErrorNamesFileAndLine(t *testing.T) {
	f := newTestFS(t)
	check(t, os.WriteFile(f.path, []byte("{\n  \"version\": 1,\n  \"lineage\": oops\n}\n"), 0o600))
	_, err := f.Read()
	if err == nil || !strings.Contains(err.Error(), f.path) || !strings.Contains(err.Error(), "line 3, column 14") {
		t.Errorf("got %v; want an error naming %s and line 3, column 14", err, f.path)
	}
	if err := f.Write(states.New("x")); err == nil {
		t.Error("Write over an unreadable state file succeeded")
	}
}

func TestLockFileHoldsHolder(t *testing.T) {
	f := newTestFS(t)
	info := must(f.Lock(context.Background(), "apply", 0))
	var onDisk LockInfo
	check(t, json.Unmarshal(must(os.ReadFile(f.lockPath)), &onDisk))
	if diff := cmp.Diff(*info, onDisk); diff != "" {
		t.Errorf("lock file (-returned +file):\n%s", diff)
	}
	if !strings.Contains(info.Who, "@") || info.Path != f.path {
		t.Errorf("lock info %+v: want Who user@host and Path %s", info, f.path)
	}
	check(t, f.Unlock(info.ID))
	if data := must(os.ReadFile(f.lockPath)); len(data) != 0 {
		t.Errorf("lock file after Unlock holds %q; want it empty", data)
	}
}

func TestForceUnlockRefusesLiveLock(t *testing.T) {
	f := newTestFS(t)
	info := must(f.Lock(context.Background(), "apply", 0))
	err := again(f).ForceUnlock(info.ID)
	if err == nil || !strings.Contains(err.Error(), "held by a running process") {
		t.Errorf("ForceUnlock of a live lock: got %v; want a refusal", err)
	}
}

func TestForceUnlockClearsLeftover(t *testing.T) {
	f := newTestFS(t)
	left := &LockInfo{ID: "dead-beef", Operation: "apply", Who: "ci@runner", Created: t0, Path: f.path}
	check(t, writeLockInfoFile(f.lockPath, left))
	if err := f.ForceUnlock("other"); err == nil || !strings.Contains(err.Error(), `"dead-beef"`) {
		t.Errorf("ForceUnlock with a wrong ID: %v", err)
	}
	check(t, f.ForceUnlock("dead-beef"))
	if f.readLockInfo() != nil {
		t.Error("the leftover lock info is still there")
	}
	if err := f.ForceUnlock("dead-beef"); err == nil || !strings.Contains(err.Error(), "no lock to release") {
		t.Errorf("a second ForceUnlock: %v", err)
	}
}

func TestWriteRemovesLeftoverTempFiles(t *testing.T) {
	f := newTestFS(t)
	leftover := f.path + ".tmp-123456"
	check(t, os.WriteFile(leftover, []byte("{\"version\":1,"), 0o600))
	info := must(f.Lock(context.Background(), "apply", 0))
	check(t, f.Write(must(f.Read())))
	check(t, f.Unlock(info.ID))
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temp file still there: %v", err)
	}
}

func mustJSONLine(t testing.TB, d states.Delivery) []byte {
	t.Helper()
	data, err := json.Marshal(d)
	check(t, err)
	return append(data, '\n')
}

func appendFile(t testing.TB, path, text string) {
	t.Helper()
	file := must(os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0))
	_, err := file.WriteString(text)
	check(t, err)
	check(t, file.Close())
}

func writeLockInfoFile(path string, info *LockInfo) error {
	data, err := json.Marshal(info)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// A reader without the lock sees the requests of an apply that is still
// running as in flight, naming its lock; once that apply is gone, with
// its lock file left as a kill leaves it, the same records are interrupted.
func TestReadDuringApplyTellsRunningFromInterrupted(t *testing.T) {
	f := newTestFS(t)
	info := must(f.Lock(context.Background(), "apply", 0))
	j := must(f.OpenJournal(must(f.Read())))
	check(t, j.Record(testRecord(1, InFlight), testRecord(2, InFlight), testRecord(2, states.Sent)))

	rec := func() (*states.Delivery, *states.Delivery) {
		t.Helper()
		st := must(again(f).Read())
		return st.Get(testRecord(1, InFlight).Key), st.Get(testRecord(2, InFlight).Key)
	}
	inFlight, sent := rec()
	if inFlight.Status != states.Unknown || inFlight.ErrorCode != Running {
		t.Errorf("while the apply runs, its request in flight reads as %s %s; want unknown %s", inFlight.Status, inFlight.ErrorCode, Running)
	}
	if id, ok := RunningLock(inFlight); !ok || id != info.ID {
		t.Errorf("RunningLock = %q, %t; want the apply's lock ID %s", id, ok, info.ID)
	}
	if sent.Status != states.Sent || sent.ErrorCode != "" {
		t.Errorf("an answered request reads as %s %s", sent.Status, sent.ErrorCode)
	}
	// The lock holder itself reads its journal as that of a run that died.
	if r := must(f.Read()).Get(inFlight.Key); r.ErrorCode != Interrupted {
		t.Errorf("the lock holder reads %s; want %s", r.ErrorCode, Interrupted)
	}

	// A kill: the OS lock goes, the lock file still names the holder.
	lockFile := must(os.ReadFile(f.lockPath))
	check(t, j.Close())
	check(t, f.Unlock(info.ID))
	check(t, os.WriteFile(f.lockPath, lockFile, 0o600))
	inFlight, _ = rec()
	if inFlight.ErrorCode != Interrupted {
		t.Errorf("after the apply died, its request in flight reads as %s; want %s", inFlight.ErrorCode, Interrupted)
	}
	if _, ok := RunningLock(inFlight); ok {
		t.Error("RunningLock names a lock for an interrupted record")
	}
	// Reading it did not keep the lock.
	if _, err := again(f).Lock(context.Background(), "apply", 0); err != nil {
		t.Errorf("after a read, the lock cannot be taken: %v", err)
	}
}

// TestSerialAtItsLargest: a state at the largest serial a state file holds
// cannot move forward. Writing serial+1 would give a file that the next
// read refuses; an apply is refused before anything is sent.
func TestSerialAtItsLargest(t *testing.T) {
	f := newTestFS(t)
	s := must(f.Read())
	s.Serial = statefile.MaxSerial
	check(t, f.Write(s))
	if s.Serial != statefile.MaxSerial {
		t.Fatalf("serial %d after the first write, want %d", s.Serial, uint64(statefile.MaxSerial))
	}

	g := again(f)
	s = must(g.Read())
	if err := g.Write(s); err == nil || !strings.Contains(err.Error(), "the largest a state file can hold") {
		t.Errorf("Write at the largest serial: error %v; want one saying it cannot move forward", err)
	}
	if _, err := g.OpenJournal(s); err == nil || !strings.Contains(err.Error(), "the largest a state file can hold") {
		t.Errorf("OpenJournal at the largest serial: error %v; want one refusing before anything is sent", err)
	}
	// What is on disk still reads.
	if got := must(again(f).Read()); got.Serial != statefile.MaxSerial {
		t.Errorf("serial on disk %d, want %d", got.Serial, uint64(statefile.MaxSerial))
	}
}
