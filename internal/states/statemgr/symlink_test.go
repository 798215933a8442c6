package statemgr

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/states"
)

// TestSymlinkedStateIsFollowed: a state file reached through a link is the
// link's target, for the read, the write, the lock, the journal and the
// backup. Replacing the link instead would leave the target stale, and a
// run reaching it from another folder would send again.
func TestSymlinkedStateIsFollowed(t *testing.T) {
	realDir, linkDir := t.TempDir(), t.TempDir()
	realPath := filepath.Join(realDir, "herald.state")
	linkPath := filepath.Join(linkDir, "herald.state")
	direct := NewFilesystem(realPath, hclog.NewNullLogger())
	check(t, direct.Write(must(direct.Read())))
	check(t, os.Symlink(realPath, linkPath))

	f := NewFilesystem(linkPath, hclog.NewNullLogger())
	lock := must(f.Lock(context.Background(), "apply", 0))
	// The lock is the target's: a run using the file directly must wait.
	if _, err := NewFilesystem(realPath, nil).Lock(context.Background(), "apply", 0); err == nil {
		t.Error("a second run took the lock of the link's target while the run through the link held it")
	}
	s := must(f.Read())
	j := must(f.OpenJournal(s))
	check(t, j.Record(testRecord(1, InFlight)))
	check(t, j.Record(testRecord(1, states.Sent)))
	check(t, j.Close())
	// As the engine does: what the journal records, the state holds.
	sent := testRecord(1, states.Sent)
	s.Set(&sent)
	check(t, f.Write(s))
	check(t, f.Unlock(lock.ID))

	if info, err := os.Lstat(linkPath); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced (mode %v, error %v)", info.Mode(), err)
	}
	got := must(NewFilesystem(realPath, nil).Read())
	if d := got.Get(testRecord(1, "").Key); d == nil || d.Status != states.Sent {
		t.Errorf("the link's target does not record the send: %+v", d)
	}
	for _, name := range []string{"herald.state.backup", "herald.state.lock"} {
		if _, err := os.Stat(filepath.Join(realDir, name)); err != nil {
			t.Errorf("%s is not beside the link's target: %v", name, err)
		}
	}
	entries := must(os.ReadDir(linkDir))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the link: %v; want only the link", names)
	}
}

// TestDanglingStateLinkIsRefused: a link to nothing (an unmounted share,
// say) is not an empty ledger: starting one would send everything again.
func TestDanglingStateLinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "herald.state")
	check(t, os.Symlink(filepath.Join(dir, "gone", "herald.state"), path))
	f := NewFilesystem(path, nil)
	_, readErr := f.Read()
	_, lockErr := f.Lock(context.Background(), "plan", 0)
	writeErr := f.Write(states.New(NewLineage()))
	for name, err := range map[string]error{"Read": readErr, "Lock": lockErr, "Write": writeErr} {
		if err == nil || !strings.Contains(err.Error(), "which does not exist") {
			t.Errorf("%s: error %v; want one saying the link's target does not exist", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "gone")); err == nil {
		t.Error("the link's missing folder was created")
	}
}

// TestLinksBesideTheStateAreRefused: the lock, journal and backup files
// are herald's own and are never followed as links, so that a planted link
// cannot make herald truncate or overwrite the file it names.
func TestLinksBesideTheStateAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		file func(*Filesystem) string
		run  func(*Filesystem) error
	}{
		{"lock", func(f *Filesystem) string { return f.lockPath }, func(f *Filesystem) error {
			_, err := f.Lock(context.Background(), "plan", 0)
			return err
		}},
		{"lock holder", func(f *Filesystem) string { return f.lockPath }, func(f *Filesystem) error {
			return f.ForceUnlock("some-id")
		}},
		{"journal", func(f *Filesystem) string { return f.journalPath }, func(f *Filesystem) error {
			_, err := f.Read()
			return err
		}},
		{"backup", func(f *Filesystem) string { return f.backupPath }, func(f *Filesystem) error {
			return f.Write(must(f.Read()))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newTestFS(t)
			check(t, f.Write(must(f.Read())))
			victim := filepath.Join(t.TempDir(), "precious")
			check(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
			check(t, os.Symlink(victim, tc.file(f)))

			err := tc.run(again(f))
			if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
				t.Errorf("error %v; want one saying the %s is a symbolic link", err, tc.name)
			}
			if data := must(os.ReadFile(victim)); string(data) != "precious\n" {
				t.Errorf("the link's target was changed to %q", data)
			}
		})
	}
}

// TestStateThatIsNotAFileIsRefused: a FIFO would hang the read.
func TestStateThatIsNotAFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "herald.state")
	check(t, os.Mkdir(path, 0o700))
	if _, err := NewFilesystem(path, nil).Read(); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Read of a folder as the state: error %v; want one saying it is not a regular file", err)
	}
}
