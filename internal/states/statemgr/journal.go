package statemgr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/heraldhq/herald/internal/atomicfile"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
)

// OpenJournal implements Backend. s must be the state this Filesystem last
// read (or wrote). When Read folded the journal of a run that died, s is
// first written as the state file, with the serial Read gave it, and a new
// journal starts over it. Appending to the dead run's journal instead would
// give the states before and after this run's sends the same lineage and
// serial, and a plan saved against the first would not be seen as stale
// after this run died too.
func (f *Filesystem) OpenJournal(s *states.State) (Journal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.journal != nil {
		return nil, fmt.Errorf("the state journal %s is already open", f.journalPath)
	}
	if !f.known {
		if _, err := f.readLocked(false); err != nil {
			return nil, err
		}
	}
	if s.Lineage != f.read.lineage || s.Serial != f.read.serial {
		return nil, fmt.Errorf("cannot open the journal of %s over a state it did not read: lineage %s serial %d, but the state read is lineage %s serial %d", f.path, s.Lineage, s.Serial, f.read.lineage, f.read.serial)
	}
	// Refuse before anything is sent, not when the state is replaced after
	// the sends.
	if _, err := nextSerial(f.path, max(f.read.serial, f.disk.serial)); err != nil {
		return nil, err
	}
	if p := f.pending; p != nil && p.header != nil && !p.folded {
		if err := f.writeLocked(s, f.read.serial); err != nil {
			return nil, fmt.Errorf("folding the journal of an interrupted run into the state: %w", err)
		}
	}
	file, err := f.createJournal(s)
	if err != nil {
		return nil, err
	}
	f.journal = newFileJournal(file, f)
	return f.journal, nil
}

// createJournal starts a journal over the state file as it is on disk,
// replacing one already folded or without a header.
func (f *Filesystem) createJournal(s *states.State) (*os.File, error) {
	if err := os.Remove(f.journalPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("removing the folded state journal: %w", err)
	}
	// O_EXCL: a link put back after the removal is refused, not followed.
	file, err := openNoFollow(f.journalPath, "state journal", os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the state journal: %w", err)
	}
	h := statefile.JournalHeader{Lineage: s.Lineage, BaseSerial: f.disk.serial}
	if f.lockInfo != nil {
		h.LockID = f.lockInfo.ID
	}
	header := statefile.AppendJournalHeader(nil, h)
	_, err = file.Write(header)
	if err == nil {
		err = file.Sync()
	}
	if err == nil {
		// Without this, a power loss could lose the file's name and with it
		// every record fsynced into it.
		err = atomicfile.SyncDir(filepath.Dir(f.journalPath))
	}
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("creating the state journal %s: %w", f.journalPath, err)
	}
	f.pending = &pendingJournal{header: &h, complete: int64(len(header))}
	return file, nil
}

// fileJournal appends records with group commit (see groupCommit). Its
// failures are final: after a failed fsync, what reached the disk is
// unknowable, so no record after it may be reported durable.
type fileJournal struct {
	file *os.File
	fs   *Filesystem
	// fsync is file.Sync; tests replace it to hold a commit open.
	fsync func() error
	gc    *groupCommit
	// unsynced: outcomes were written after the last fsync. Only the
	// group commit's leader touches it, and Close once that is done.
	unsynced bool

	mu     sync.Mutex
	closed bool
	// records counts records, for tests and benchmarks.
	records atomic.Uint64
}

func newFileJournal(file *os.File, fs *Filesystem) *fileJournal {
	j := &fileJournal{file: file, fs: fs, fsync: file.Sync}
	j.gc = newGroupCommit(true, func(batch []byte, sync bool) error {
		_, err := j.file.Write(batch)
		if err == nil && sync {
			err = j.fsync()
			j.unsynced = false
		} else if err == nil {
			j.unsynced = true
		}
		if err != nil {
			return fmt.Errorf("writing the state journal %s: %w", j.fs.journalPath, err)
		}
		return nil
	})
	return j
}

// Record implements Journal.
func (j *fileJournal) Record(records ...states.Delivery) error {
	if len(records) == 0 {
		return nil
	}
	for i := range records {
		if !journalStatus(records[i].Status) {
			return fmt.Errorf("cannot record %s with status %q", records[i].Key, records[i].Status)
		}
	}
	j.records.Add(uint64(len(records)))
	// A record in flight must be on the disk before its request leaves.
	// An outcome need only be written: once in the file it outlives the
	// process, and the next record in flight, or Close, makes it durable.
	// A power loss in between can only turn it back into the record in
	// flight before it, which reads as unknown: never a second send. That
	// halves the fsyncs of an apply.
	sync := false
	for i := range records {
		sync = sync || records[i].Status == InFlight
	}
	err := j.gc.appendWith(sync, func(buf []byte) []byte {
		for i := range records {
			buf = statefile.AppendJournalRecord(buf, &records[i])
		}
		return buf
	})
	if errors.Is(err, errCommitClosed) {
		return fmt.Errorf("the state journal %s is closed", j.fs.journalPath)
	}
	return err
}

// Close implements Journal.
func (j *fileJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	err := j.gc.close()
	if err == nil && j.unsynced {
		if err = j.fsync(); err != nil {
			err = fmt.Errorf("writing the state journal %s: %w", j.fs.journalPath, err)
		}
	}
	if cerr := j.file.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing the state journal %s: %w", j.fs.journalPath, cerr)
	}
	j.fs.mu.Lock()
	if j.fs.journal == j {
		j.fs.journal = nil
	}
	j.fs.mu.Unlock()
	return err
}
