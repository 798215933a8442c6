package statemgr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

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
		if _, err := f.readLocked(); err != nil {
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

// fileJournal appends records with group commit: a Record call queues its
// lines; whichever caller finds no write in progress becomes the leader,
// writes everything queued so far in one write and one fsync, and wakes
// the others. While it waits for the disk, more callers queue up behind
// it, so the number of fsyncs grows with the number of batches of
// concurrent callers, not with the number of records.
type fileJournal struct {
	file *os.File
	fs   *Filesystem
	// fsync is file.Sync; tests replace it to hold a commit open.
	fsync func() error

	mu   sync.Mutex
	cond *sync.Cond
	// queue holds lines waiting for the next commit; spare is the buffer
	// the last commit wrote, reused for the queue after it.
	queue, spare []byte
	// queued counts Record calls queued; durable counts those committed.
	queued, durable uint64
	committing      bool
	// err is the first write or fsync failure. It is final: after a failed
	// fsync, what reached the disk is unknowable, so no record after it
	// may be reported durable.
	err    error
	closed bool
	// fsyncs and records count commits and records, for tests and
	// benchmarks.
	fsyncs, records uint64
}

func newFileJournal(file *os.File, fs *Filesystem) *fileJournal {
	j := &fileJournal{file: file, fs: fs, fsync: file.Sync}
	j.cond = sync.NewCond(&j.mu)
	return j
}

// Record implements Journal.
func (j *fileJournal) Record(records ...states.Delivery) error {
	if len(records) == 0 {
		return nil
	}
	lines := make([]byte, 0, 512*len(records))
	for i := range records {
		if !journalStatus(records[i].Status) {
			return fmt.Errorf("cannot record %s with status %q", records[i].Key, records[i].Status)
		}
		lines = statefile.AppendJournalRecord(lines, &records[i])
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("the state journal %s is closed", j.fs.journalPath)
	}
	if j.err != nil {
		return j.err
	}
	j.queue = append(j.queue, lines...)
	j.records += uint64(len(records))
	j.queued++
	mine := j.queued
	for j.durable < mine && j.err == nil {
		if j.committing {
			j.cond.Wait()
			continue
		}
		j.commit()
	}
	if j.durable >= mine {
		return nil
	}
	return j.err
}

// commit writes and fsyncs everything queued. It is called with j.mu held
// and releases it while the disk works.
func (j *fileJournal) commit() {
	batch, upto := j.queue, j.queued
	j.queue = j.spare[:0]
	j.committing = true
	j.mu.Unlock()

	_, err := j.file.Write(batch)
	if err == nil {
		err = j.fsync()
	}

	j.mu.Lock()
	j.committing = false
	j.spare = batch
	j.fsyncs++
	if err != nil {
		j.err = fmt.Errorf("writing the state journal %s: %w", j.fs.journalPath, err)
	} else {
		j.durable = upto
	}
	j.cond.Broadcast()
}

// Close implements Journal.
func (j *fileJournal) Close() error {
	j.mu.Lock()
	// Flush what callers racing with Close have queued.
	for j.committing || (len(j.queue) > 0 && j.err == nil) {
		if j.committing {
			j.cond.Wait()
		} else {
			j.commit()
		}
	}
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	err := j.err
	j.mu.Unlock()

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
