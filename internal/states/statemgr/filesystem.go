package statemgr

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gofrs/flock"
	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/atomicfile"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statefile"
)

// Filesystem is the local backend: the state file PATH and, beside it,
//
//	PATH.lock     the OS lock, holding the holder's LockInfo as JSON
//	PATH.journal  the journal of the apply in progress, or of one that died
//	PATH.backup   the state as it was before this process first wrote it
//	PATH.secret   the digest secret (see DigestSecret), never in the state
//	PATH.receipts the events of Kaleyra's callbacks not yet folded in, and
//	PATH.receipts.folding  those a lock holder's Read took to fold (see
//	              RecordReceipts)
//	PATH.tmp-*    a replacement being written; renamed over PATH when whole
//
// The state file is never written in place: a crash leaves either the old
// file or the new one, never a torn one.
//
// When PATH is a symbolic link, every file is the link's target's: the
// state read and replaced, and the lock, journal and backup beside it, so
// that runs reaching one state through different links share one lock and
// one ledger. The files beside it are never followed as links (see
// openNoFollow): a link there could make herald truncate or overwrite a
// file it does not own.
//
// A Filesystem is meant to be used by one process at a time, under Lock;
// its methods are safe for concurrent use.
type Filesystem struct {
	// path is the state file, after following a link; pathErr is why the
	// link could not be followed, returned by every method.
	path        string
	pathErr     error
	lockPath    string
	journalPath string
	backupPath  string
	// receiptsPath is the receipts journal, foldingPath the receipts the
	// lock holder's Read moved aside to fold.
	receiptsPath string
	foldingPath  string
	logger       hclog.Logger
	// receipts appends to the receipts journal; it has its own lock, so
	// that recording never waits for a Read or Write.
	receipts *receiptLog

	mu sync.Mutex
	// lock is the OS lock this value holds, with what it wrote in the lock
	// file; nil when unlocked.
	lock     *flock.Flock
	lockInfo *LockInfo
	// What this value last saw of the files, from Read or Write; the
	// journal and Write rely on it instead of parsing the state again.
	known   bool
	disk    diskState
	read    diskState // the lineage and serial Read last returned
	pending *pendingJournal
	// journal is the journal open for writing, if any.
	journal *fileJournal
	// backedUp is set once this value has kept the backup.
	backedUp bool
	// folded is what the last Read folded from the receipts journals.
	folded *receiptsRead
	// receiptCaches holds what Read parsed of each receipts file.
	receiptCaches map[string]*receiptCache
}

var (
	_ Backend      = (*Filesystem)(nil)
	_ ReceiptStore = (*Filesystem)(nil)
)

type diskState struct {
	exists  bool
	lineage string
	serial  uint64
}

// pendingJournal is a journal file found by Read.
type pendingJournal struct {
	header *statefile.JournalHeader // nil: the file holds no complete line
	// complete is the length of its complete lines: where appending resumes.
	complete int64
	// folded is true when the state file already holds its records: a
	// crash came after the state was replaced and before the journal was
	// removed.
	folded bool
}

// NewFilesystem returns the backend for the state file at path. A path
// that is a symbolic link stands for its target; a link to nothing makes
// every method fail, rather than start an empty ledger beside it.
func NewFilesystem(path string, logger hclog.Logger) *Filesystem {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	logger = logger.Named("state")
	real, err := atomicfile.Resolve(path)
	if err != nil {
		err = fmt.Errorf("the state file %w", err)
		real = path
	} else if real != path {
		logger.Debug("the state file is a symbolic link; using its target", "link", path, "target", real)
	}
	return &Filesystem{
		path:         real,
		pathErr:      err,
		lockPath:     real + ".lock",
		journalPath:  real + ".journal",
		backupPath:   real + ".backup",
		receiptsPath: real + ".receipts",
		foldingPath:  real + ".receipts.folding",
		logger:       logger,
		receipts:     newReceiptLog(real + ".receipts"),
	}
}

// Read implements Backend. It folds the receipts recorded so far into the
// state it returns, in memory; the lock holder's next Write of that state
// makes them permanent.
func (f *Filesystem) Read() (*states.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readLocked(true)
}

// readLocked reads the state and folds the apply journal into it; with
// withReceipts, the receipts journals too.
func (f *Filesystem) readLocked(withReceipts bool) (*states.State, error) {
	if f.pathErr != nil {
		return nil, f.pathErr
	}
	var st *states.State
	file, err := openNoFollow(f.path, "state file", os.O_RDONLY, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.disk = diskState{}
	case err != nil:
		return nil, fmt.Errorf("reading the state file: %w", err)
	default:
		st, err = readStateFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the state file %s: %w", f.path, err)
		}
		f.disk = diskState{exists: true, lineage: st.Lineage, serial: st.Serial}
	}

	pending, journal, err := f.readJournal()
	if err != nil {
		return nil, err
	}
	st, err = f.fold(st, pending, journal)
	if err != nil {
		return nil, err
	}
	if withReceipts {
		folded, err := f.foldReceipts(st, f.lock != nil)
		if err != nil {
			return nil, err
		}
		folded.state = st
		f.folded = folded
	}
	f.known = true
	f.pending = pending
	f.read = diskState{exists: f.disk.exists, lineage: st.Lineage, serial: st.Serial}
	return st, nil
}

// readJournal reads the journal file, if there is one.
func (f *Filesystem) readJournal() (*pendingJournal, *statefile.Journal, error) {
	data, err := readNoFollow(f.journalPath, "state journal")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the state journal: %w", err)
	}
	j, err := statefile.ParseJournal(data, journalStatus)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the state journal %s: %w; it records sends that are not yet in the state file, so herald will not go on without it: repair the line, or if you are sure those sends are recorded elsewhere, move the file away", f.journalPath, err)
	}
	if j.Complete < len(data) {
		f.logger.Warn("ignoring the torn last line of the journal: the run that wrote it died mid-write, before the record was durable", "path", f.journalPath, "bytes", len(data)-j.Complete)
	}
	return &pendingJournal{header: j.Header, complete: int64(j.Complete)}, j, nil
}

func journalStatus(s states.Status) bool {
	return s == InFlight || s == states.Sent || s == states.Failed || s == states.Unknown
}

// Interrupted is the ErrorCode of a delivery whose request may have left
// when herald stopped, before its answer came. It differs from the
// client's INTERRUPTED, which marks a failed delivery that surely did not
// leave.
const Interrupted = "STOPPED_IN_FLIGHT"

const interruptedText = "herald was interrupted after the request was made ready to send and before an answer came, so the message may or may not have been delivered; check with the recipient or Kaleyra, then use -replace to send it again if needed"

// Running is the ErrorCode, in a state read without the lock, of a
// delivery whose request the apply holding the lock has made ready and
// whose answer has not come yet. Its record is unknown only for now: that
// apply records the outcome when the answer comes.
const Running = "IN_FLIGHT"

// runningText is Running's text; lock is the running apply's lock ID.
func runningText(lock string) string {
	return runningPrefix + lock + runningSuffix
}

const (
	runningPrefix = "in flight: an apply is running (lock ID "
	runningSuffix = ") and records the outcome when the answer comes"
)

// RunningLock returns the lock ID of the apply sending d now, when d is a
// Running record.
func RunningLock(d *states.Delivery) (string, bool) {
	if d.ErrorCode != Running {
		return "", false
	}
	id, ok := strings.CutPrefix(d.ErrorText, runningPrefix)
	if !ok {
		return "", false
	}
	id, ok = strings.CutSuffix(id, runningSuffix)
	return id, ok
}

// fold applies the journal's records to st (nil when there is no state
// file) and returns the state they describe.
func (f *Filesystem) fold(st *states.State, pending *pendingJournal, j *statefile.Journal) (_ *states.State, err error) {
	if j == nil || j.Header == nil {
		if st == nil {
			st = states.New(NewLineage())
		}
		return st, nil
	}
	h := j.Header
	if st == nil {
		if h.BaseSerial != 0 {
			return nil, fmt.Errorf("the state journal %s continues serial %d of state lineage %s, but the state file %s does not exist; restore it (%s may help), or move the journal away to give up its records", f.journalPath, h.BaseSerial, h.Lineage, f.path, f.backupPath)
		}
		st = states.New(h.Lineage)
	}
	switch {
	case h.Lineage != st.Lineage:
		return nil, fmt.Errorf("the state journal %s belongs to state lineage %s, but the state file %s has lineage %s; put back the state file it belongs to, or move the journal away to give up its records", f.journalPath, h.Lineage, f.path, st.Lineage)
	case h.BaseSerial < st.Serial:
		// The state was replaced after these records were written; only
		// the journal's removal was lost.
		f.logger.Debug("ignoring a journal already folded into the state", "path", f.journalPath, "journal_serial", h.BaseSerial, "state_serial", st.Serial)
		pending.folded = true
		return st, nil
	case h.BaseSerial > st.Serial:
		return nil, fmt.Errorf("the state journal %s continues serial %d, but the state file %s is at serial %d, older than the journal: it was probably replaced by an older copy. Put back the newer state, or move the journal away to give up its records", f.journalPath, h.BaseSerial, f.path, st.Serial)
	}
	touched := make(map[*states.Delivery]bool)
	for _, rec := range j.Records {
		st.Set(rec)
		touched[rec] = true
	}
	running := f.writerRunning(h)
	for rec := range touched {
		if st.Get(rec.Key) != rec || rec.Status != InFlight {
			continue
		}
		// In-flight records carry the attempts made before this one;
		// this one may have reached Kaleyra, so it counts.
		rec.Status = states.Unknown
		rec.Attempts++
		rec.ErrorCode = Interrupted
		rec.ErrorText = interruptedText
		if running {
			rec.ErrorCode = Running
			rec.ErrorText = runningText(h.LockID)
		}
	}
	if st.Serial, err = nextSerial(f.path, st.Serial); err != nil {
		return nil, err
	}
	f.logger.Info("folded the journal of an earlier run into the state", "path", f.journalPath, "records", len(j.Records))
	return st, nil
}

// writerRunning reports whether the apply that writes the journal h heads
// is alive: this process does not hold the lock (a holder reads only
// journals of runs that died), the lock file names the journal's lock,
// and the OS lock is held.
func (f *Filesystem) writerRunning(h *statefile.JournalHeader) bool {
	if h.LockID == "" || f.lock != nil {
		return false
	}
	if info := f.readLockInfo(); info == nil || info.ID != h.LockID {
		return false
	}
	fl := f.newFlock()
	ok, err := fl.TryLock()
	if err != nil {
		return false
	}
	if ok {
		// The writer is gone; let go at once, for the next run.
		fl.Unlock()
		return false
	}
	return true
}

// Write implements Backend. It writes s with serial the larger of s.Serial
// and one more than any serial this Filesystem has read or written, and
// sets s.Serial to it, so every write moves the serial forward, past any
// journal it folds.
func (f *Filesystem) Write(s *states.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pathErr != nil {
		return f.pathErr
	}
	if f.journal != nil {
		return fmt.Errorf("cannot replace the state file %s while its journal is open: close the journal first", f.path)
	}
	if !f.known {
		// Learn what is on disk, and check that no journal would be lost.
		if _, err := f.readLocked(false); err != nil {
			return err
		}
	}
	if f.disk.exists && s.Lineage != f.disk.lineage {
		return fmt.Errorf("refusing to replace the state file %s, of lineage %s, with a state of lineage %s", f.path, f.disk.lineage, s.Lineage)
	}
	if p := f.pending; p != nil && p.header != nil && !p.folded && s.Lineage != p.header.Lineage {
		return fmt.Errorf("refusing to replace the state file %s with a state of lineage %s: the journal %s holds records of lineage %s that are not folded in", f.path, s.Lineage, f.journalPath, p.header.Lineage)
	}
	serial, err := nextSerial(f.path, max(f.read.serial, f.disk.serial))
	if err != nil {
		return err
	}
	return f.writeLocked(s, max(s.Serial, serial))
}

// nextSerial is the serial after serial, or an error when the state file
// cannot hold it: wrapping around or going past MaxSerial would give a
// state that the next read refuses, or that old saved plans match.
func nextSerial(path string, serial uint64) (uint64, error) {
	if serial >= statefile.MaxSerial {
		return 0, fmt.Errorf("the state file %s is at serial %d, the largest a state file can hold, so it cannot be replaced; only a hand edit gets it there. Give the state a new \"lineage\" (any UUID) and \"serial\" 1, which also makes every plan saved against it stale", path, serial)
	}
	return serial + 1, nil
}

// writeLocked replaces the state file with s at serial, removes the
// journal it folds and sets s.Serial. It is called with f.mu held, after
// the checks of Write.
func (f *Filesystem) writeLocked(s *states.State, serial uint64) error {
	out := *s
	out.Serial = serial

	if f.lock != nil {
		f.removeLeftovers()
	}
	if !f.backedUp && f.disk.exists {
		if err := f.keepBackup(); err != nil {
			return err
		}
	}
	f.backedUp = true
	keep := f.folded != nil && f.folded.aside && f.folded.state == s
	if keep {
		if err := f.keepUnmatched(); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(f.path, 0o600, func(w io.Writer) error { return statefile.Write(w, &out) }); err != nil {
		return fmt.Errorf("writing the state file %s: %w", f.path, err)
	}
	// Only now that the new state is durable may the journal it folds go;
	// if this removal is lost, the journal's serial marks it as folded.
	if err := os.Remove(f.journalPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.logger.Warn("could not remove the folded journal; the next run will ignore it", "path", f.journalPath, "error", err)
	}
	if keep {
		f.dropAside()
	}
	s.Serial = serial
	f.disk = diskState{exists: true, lineage: s.Lineage, serial: serial}
	f.read = f.disk
	f.pending = nil
	return nil
}

// keepBackup makes PATH.backup the current state file. A hard link shares
// the old file's bytes, which are never modified in place, so the backup
// costs no copy; where links are not supported, it copies.
func (f *Filesystem) keepBackup() error {
	// Renaming over a link would replace the link, not what it names.
	if err := refuseLink(f.backupPath, "state backup"); err != nil {
		return err
	}
	tmp := f.backupPath + ".tmp-" + randomHex(6)
	err := os.Link(f.path, tmp)
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	} else {
		f.logger.Debug("hard link failed; copying the backup", "error", err)
		err = copyFile(f.path, tmp)
	}
	if err == nil {
		err = os.Rename(tmp, f.backupPath)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keeping the backup %s: %w", f.backupPath, err)
	}
	return nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := out.Write(data); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// removeLeftovers deletes temporary files of earlier runs that died while
// writing. Only the lock holder calls it, so none is being written.
func (f *Filesystem) removeLeftovers() {
	for _, pattern := range []string{f.path + ".tmp-*", f.backupPath + ".tmp-*"} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			f.logger.Debug("removing a temporary file left by an interrupted run", "path", m)
			os.Remove(m)
		}
	}
}

// NewLineage returns a random lineage ID in the form of a UUID v4.
func NewLineage() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ReadBackup returns the state kept in PATH.backup; nil, nil when there is
// none.
func (f *Filesystem) ReadBackup() (*states.State, error) {
	if f.pathErr != nil {
		return nil, f.pathErr
	}
	data, err := readNoFollow(f.backupPath, "state backup")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state backup: %w", err)
	}
	st, err := statefile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("reading the state backup %s: %w", f.backupPath, err)
	}
	return st, nil
}

// readStateFile decodes an open state file, a window at a time, and
// closes it.
func readStateFile(file *os.File) (*states.State, error) {
	defer file.Close()
	var size int64
	if info, err := file.Stat(); err == nil {
		size = info.Size()
	}
	return statefile.Read(file, size)
}
