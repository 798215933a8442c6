package statemgr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/heraldhq/herald/internal/atomicfile"
	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
)

// The receipts journal, PATH.receipts, holds the events of Kaleyra's
// callbacks until a command holding the state lock folds them into the
// state. Recording never takes the state lock, so that herald listen
// never waits for an apply and an apply never waits for it:
//
//   - Listeners append whole lines (see statefile.ParseReceipts), one
//     write per group commit, under a short OS lock on the journal itself,
//     so that several listeners never interleave lines, and fsync after.
//   - Read, by the state lock holder, moves the journal aside to
//     PATH.receipts.folding under that same short lock, and folds it (with
//     whatever is in a new journal by then) into the state it returns.
//     Listeners find the name gone or taken by a new file and reopen it.
//   - Write makes the folded receipts permanent in the state, appends the
//     events that matched nothing back to the journal to be tried again,
//     and only then removes the aside file. A crash in between leaves
//     events both in the state and in a journal: folding them again
//     changes nothing.
//
// Readers without the lock fold both files in memory and move nothing.

// receiptLog appends events to the receipts journal with group commit.
type receiptLog struct {
	path string
	gc   *groupCommit
	// file is the journal open for appending, reopened when the fold moved
	// it aside. Only the committing leader touches it.
	file *os.File
	// fsync is (*os.File).Sync; tests replace it.
	fsync func(*os.File) error
}

func newReceiptLog(path string) *receiptLog {
	l := &receiptLog{path: path, fsync: (*os.File).Sync}
	// A failed batch fails only its callers: they answer Kaleyra with an
	// error and it sends the callbacks again, into a file reopened afresh.
	l.gc = newGroupCommit(false, l.write)
	return l
}

// RecordReceipts implements ReceiptStore. It never takes the state lock.
func (f *Filesystem) RecordReceipts(ctx context.Context, events []receipts.Event) error {
	if f.pathErr != nil {
		return f.pathErr
	}
	if len(events) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := f.receipts.record(events)
	if errors.Is(err, errCommitClosed) {
		return fmt.Errorf("the receipts journal %s is closed", f.receiptsPath)
	}
	return err
}

func (l *receiptLog) record(events []receipts.Event) error {
	lines := make([]byte, 0, 320*len(events))
	for i := range events {
		var err error
		if lines, err = statefile.AppendReceipt(lines, &events[i]); err != nil {
			return fmt.Errorf("encoding a receipt: %w", err)
		}
	}
	return l.gc.append(lines)
}

// write appends one batch: under the journal's OS lock, to the file the
// name holds now, after cutting any torn tail a dead writer left (it was
// never reported durable, and lines after it would make it look like
// damage); then fsyncs it.
func (l *receiptLog) write(batch []byte, _ bool) error {
	for range 100 {
		if l.file == nil {
			file, err := openNoFollow(l.path, "receipts journal", os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				return fmt.Errorf("opening the receipts journal: %w", err)
			}
			// The name must survive a power loss with what is fsynced
			// into the file.
			if err := atomicfile.SyncDir(filepath.Dir(l.path)); err != nil {
				file.Close()
				return fmt.Errorf("opening the receipts journal %s: %w", l.path, err)
			}
			l.file = file
		}
		if err := lockFile(l.file); err != nil {
			return l.fail(err)
		}
		current, err := l.isCurrent()
		if err != nil || !current {
			unlockFile(l.file)
			l.file.Close()
			l.file = nil
			if err != nil {
				return fmt.Errorf("writing the receipts journal %s: %w", l.path, err)
			}
			continue // moved aside by a fold: append to the new one
		}
		err = appendWhole(l.file, batch)
		unlockFile(l.file)
		if err == nil {
			err = l.fsync(l.file)
		}
		if err != nil {
			return l.fail(err)
		}
		return nil
	}
	return fmt.Errorf("writing the receipts journal %s: it was replaced 100 times in a row while appending", l.path)
}

// fail closes the file after a failed write, so the next batch starts on
// a fresh descriptor, and returns the error.
func (l *receiptLog) fail(err error) error {
	l.file.Close()
	l.file = nil
	return fmt.Errorf("writing the receipts journal %s: %w", l.path, err)
}

// isCurrent reports whether the open file is still the one the journal's
// name holds.
func (l *receiptLog) isCurrent() (bool, error) {
	open, err := l.file.Stat()
	if err != nil {
		return false, err
	}
	named, err := os.Lstat(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(open, named), nil
}

// appendWhole appends batch to file, which is locked, so that it ends in
// whole lines: a torn tail left by a writer that died mid-write is cut
// first, and a failed write is cut back.
func appendWhole(file *os.File, batch []byte) error {
	info, err := file.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	if size > 0 {
		var last [1]byte
		if _, err := file.ReadAt(last[:], size-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			if size, err = cutTornTail(file); err != nil {
				return err
			}
		}
	}
	if _, err := file.Write(batch); err != nil {
		file.Truncate(size)
		return err
	}
	return nil
}

// cutTornTail truncates file to its whole lines and returns its new size.
func cutTornTail(file *os.File) (int64, error) {
	data, err := io.ReadAll(io.NewSectionReader(file, 0, 1<<62))
	if err != nil {
		return 0, err
	}
	r, err := statefile.ParseReceipts(data)
	if err != nil {
		// Damage in the middle is Read's to report; appending after it
		// makes it no worse. Cut only what follows the last newline.
		r = &statefile.Receipts{Complete: bytes.LastIndexByte(data, '\n') + 1}
	}
	if err := file.Truncate(int64(r.Complete)); err != nil {
		return 0, err
	}
	return int64(r.Complete), nil
}

// Close closes the receipts journal, once the RecordReceipts calls under
// way have returned; later calls fail.
func (f *Filesystem) Close() error {
	return f.receipts.close()
}

// close closes the journal file, once callers under way are answered.
func (l *receiptLog) close() error {
	err := l.gc.close()
	if l.file != nil {
		l.file.Close()
		l.file = nil
	}
	return err
}

// receiptsRead is what Read folded from the receipts journals.
type receiptsRead struct {
	// aside is set when this Filesystem, holding the state lock, moved the
	// journal aside: its next Write removes the aside file.
	aside bool
	// unmatched are the events no delivery matched, for Write to append
	// back to the journal.
	unmatched []receipts.Event
	// state is the state Read returned. Only a Write of it clears the
	// aside file: a state from elsewhere (state push) does not hold the
	// receipts, which are then folded into it by the next Read.
	state *states.State
}

// takeReceipts moves the receipts journal aside, for the lock holder's
// Read: renamed when there is no aside file yet, appended to it when an
// earlier Read left one (a command that read the state under the lock
// and did not write it, or died).
func (f *Filesystem) takeReceipts() error {
	file, err := openNoFollow(f.receiptsPath, "receipts journal", os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening the receipts journal: %w", err)
	}
	defer file.Close()
	if err := lockFile(file); err != nil {
		return fmt.Errorf("locking the receipts journal %s: %w", f.receiptsPath, err)
	}
	defer unlockFile(file)
	// Only the lock holder moves the journal, so the name still holds this
	// file; a link put there since is refused below.
	data, err := io.ReadAll(file)
	if err != nil {
		return fmt.Errorf("reading the receipts journal %s: %w", f.receiptsPath, err)
	}
	r, err := statefile.ParseReceipts(data)
	if err != nil {
		return f.receiptsError(f.receiptsPath, err)
	}
	if err := checkRegular(f.foldingPath, "receipts being folded"); err != nil {
		return err
	}
	if _, err := os.Lstat(f.foldingPath); errors.Is(err, fs.ErrNotExist) {
		if r.Complete < len(data) {
			if err := file.Truncate(int64(r.Complete)); err != nil {
				return fmt.Errorf("cutting the torn tail of the receipts journal %s: %w", f.receiptsPath, err)
			}
		}
		if err := os.Rename(f.receiptsPath, f.foldingPath); err != nil {
			return fmt.Errorf("moving the receipts journal aside to fold it: %w", err)
		}
	} else {
		if err := f.appendAside(data[:r.Complete]); err != nil {
			return err
		}
		// Its events are in the aside file now; a crash before this
		// removal only folds them twice.
		if err := os.Remove(f.receiptsPath); err != nil {
			return fmt.Errorf("removing the receipts journal after moving it aside: %w", err)
		}
	}
	return atomicfile.SyncDir(filepath.Dir(f.receiptsPath))
}

// appendAside appends whole lines to the aside file, after cutting its own
// torn tail.
func (f *Filesystem) appendAside(lines []byte) error {
	aside, err := openNoFollow(f.foldingPath, "receipts being folded", os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("opening the receipts being folded: %w", err)
	}
	defer aside.Close()
	err = appendWhole(aside, lines)
	if err == nil {
		err = aside.Sync()
	}
	if err != nil {
		return fmt.Errorf("appending to the receipts being folded %s: %w", f.foldingPath, err)
	}
	return nil
}

// readReceipts returns the events of the journal and of the aside file.
// The journal is read first: a fold by the lock holder that moves it
// between the two reads then shows its events twice, never not at all.
func (f *Filesystem) readReceipts() ([]receipts.Event, error) {
	var events []receipts.Event
	for _, file := range []struct{ path, what string }{
		{f.receiptsPath, "receipts journal"},
		{f.foldingPath, "receipts being folded"},
	} {
		got, err := f.readReceiptFile(file.path, file.what)
		if err != nil {
			return nil, err
		}
		events = append(events, got...)
	}
	return events, nil
}

// receiptCache is what Read parsed of one receipts file. The file only
// grows until it is moved or removed, so reading it again (herald listen
// reads the state on a miss) parses only the lines appended since. The
// file is still read whole and its parsed part checked by checksum: a new
// file may reuse the inode of one removed, so no file identity would do.
type receiptCache struct {
	complete int
	sum      uint32 // CRC-32C of the first complete bytes
	events   []receipts.Event
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// readReceiptFile returns the events of one receipts file; a missing file
// has none.
func (f *Filesystem) readReceiptFile(path, what string) ([]receipts.Event, error) {
	data, err := readNoFollow(path, what)
	if errors.Is(err, fs.ErrNotExist) {
		delete(f.receiptCaches, path)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the %s: %w", what, err)
	}
	c := f.receiptCaches[path]
	if c == nil || len(data) < c.complete || crc32.Checksum(data[:c.complete], castagnoli) != c.sum {
		c = &receiptCache{}
	}
	data = data[c.complete:]
	r, err := statefile.ParseReceipts(data)
	if err != nil {
		// Whole lines hold one event each: count the lines read before.
		var se *statefile.SyntaxError
		if errors.As(err, &se) {
			se.Line += len(c.events)
		}
		return nil, f.receiptsError(path, err)
	}
	if r.TornLine > 0 {
		f.logger.Warn("ignoring the torn end of the receipts journal: a listener died mid-write, before answering, and Kaleyra sends those callbacks again", "path", path, "line", len(c.events)+r.TornLine, "bytes", len(data)-r.Complete)
	}
	c.events = append(c.events, r.Events...)
	c.sum = crc32.Update(c.sum, castagnoli, data[:r.Complete])
	c.complete += r.Complete
	if f.receiptCaches == nil {
		f.receiptCaches = make(map[string]*receiptCache)
	}
	f.receiptCaches[path] = c
	return c.events, nil
}

func (f *Filesystem) receiptsError(path string, err error) error {
	return fmt.Errorf("reading the receipts journal %s: %w; it holds receipts of Kaleyra's callbacks not yet in the state. Repair or delete that line (Kaleyra's report can be imported again with herald state import-receipts), or move the file away to give up its receipts", path, err)
}

// foldReceipts folds the receipts journals into st, after the apply
// journal: a receipt whose message_id only an interrupted apply's journal
// holds still matches. take is set for the lock holder's Read, which
// moves the journal aside for its Write to clear.
func (f *Filesystem) foldReceipts(st *states.State, take bool) (*receiptsRead, error) {
	if take {
		if err := f.takeReceipts(); err != nil {
			return nil, err
		}
	}
	events, err := f.readReceipts()
	if err != nil {
		return nil, err
	}
	out := &receiptsRead{aside: take}
	if len(events) == 0 {
		return out, nil
	}
	r := receipts.Fold(st, events, time.Now())
	out.unmatched = r.Unmatched
	f.logger.Debug("folded receipts into the state", "events", len(events), "matched", r.Matched, "settled", r.Settled, "inbound", r.Inbound, "ignored", r.Ignored, "unmatched", len(r.Unmatched), "expired", r.Expired)
	return out, nil
}

// keepUnmatched appends the events that matched nothing back to the
// journal, durably, before the lock holder's Write removes the aside file
// that holds them.
func (f *Filesystem) keepUnmatched() error {
	if len(f.folded.unmatched) == 0 {
		return nil
	}
	if err := f.receipts.record(f.folded.unmatched); err != nil {
		return fmt.Errorf("keeping the receipts that match no delivery yet: %w", err)
	}
	return nil
}

// dropAside removes the aside file once the state that holds its events
// is durable.
func (f *Filesystem) dropAside() {
	if err := os.Remove(f.foldingPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.logger.Warn("could not remove the folded receipts; the next run folds them again, which changes nothing", "path", f.foldingPath, "error", err)
	}
	f.folded = nil
}
