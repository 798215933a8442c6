package statemgr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"time"

	"github.com/gofrs/flock"
)

// lockRetryDelay is how often a waiting Lock tries again.
const lockRetryDelay = 100 * time.Millisecond

// Lock implements Backend with an OS lock (flock) on PATH.lock. The OS
// drops it when its holder dies, however it dies, so a killed herald never
// blocks the next run. The lock file itself stays; it is emptied on
// Unlock, so removing it can never let two processes lock two different
// files of the same name.
func (f *Filesystem) Lock(ctx context.Context, operation string, timeout time.Duration) (*LockInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pathErr != nil {
		return nil, f.pathErr
	}
	if f.lock != nil {
		return nil, fmt.Errorf("the state lock %s is already held by this process (lock ID %s)", f.lockPath, f.lockInfo.ID)
	}
	if err := checkRegular(f.lockPath, "state lock"); err != nil {
		return nil, err
	}
	fl := f.newFlock()
	ok, err := fl.TryLock()
	if err == nil && !ok && timeout > 0 {
		wctx, cancel := context.WithTimeout(ctx, timeout)
		ok, err = fl.TryLockContext(wctx, lockRetryDelay)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = nil // the wait is over; report the holder below
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if lerr := refuseLink(f.lockPath, "state lock"); lerr != nil {
			return nil, lerr
		}
		return nil, fmt.Errorf("taking the state lock %s: %w", f.lockPath, err)
	}
	if !ok {
		return nil, &LockError{
			Holder: f.readLockInfo(),
			Err:    fmt.Errorf("%s is held by another process, which has not yet written who it is", f.lockPath),
		}
	}
	info := &LockInfo{
		ID:        NewLineage(),
		Operation: operation,
		Who:       whoAmI(),
		Created:   time.Now().UTC().Truncate(time.Second),
		Path:      f.path,
	}
	if err := writeLockInfo(f.lockPath, info); err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("writing the state lock %s: %w", f.lockPath, err)
	}
	f.lock, f.lockInfo = fl, info
	f.logger.Debug("took the state lock", "path", f.lockPath, "id", info.ID, "operation", operation)
	return info, nil
}

func (f *Filesystem) newFlock() *flock.Flock {
	return flock.New(f.lockPath, flock.SetFlag(os.O_CREATE|os.O_RDWR|noFollow), flock.SetPermissions(0o600))
}

// Unlock implements Backend.
func (f *Filesystem) Unlock(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lock == nil || f.lockInfo.ID != id {
		return fmt.Errorf("cannot release lock %s of %s: this process does not hold it", id, f.lockPath)
	}
	// Clear the holder's details while still holding the lock, so that no
	// one reads them after it is gone.
	clearErr := clearLockFile(f.lockPath)
	unlockErr := f.lock.Unlock()
	f.lock, f.lockInfo = nil, nil
	if err := errors.Join(clearErr, unlockErr); err != nil {
		return fmt.Errorf("releasing the state lock %s: %w", f.lockPath, err)
	}
	return nil
}

// ForceUnlock implements Backend. On the local filesystem the OS releases
// a dead holder's lock by itself, so all that can be left behind is the
// holder's details in the lock file; those are cleared when id matches
// them. A lock still held by a live process is refused: forcing it would
// let two runs send at once.
func (f *Filesystem) ForceUnlock(id string) error {
	if f.pathErr != nil {
		return f.pathErr
	}
	if err := checkRegular(f.lockPath, "state lock"); err != nil {
		return err
	}
	f.mu.Lock()
	held := f.lock != nil && f.lockInfo.ID == id
	f.mu.Unlock()
	if held {
		return f.Unlock(id)
	}
	info := f.readLockInfo()
	if info == nil {
		return fmt.Errorf("there is no lock to release: %s names no holder", f.lockPath)
	}
	if info.ID != id {
		return fmt.Errorf("lock ID %q does not match the lock recorded in %s, which has ID %q (held by %s for %q since %s)", id, f.lockPath, info.ID, info.Who, info.Operation, info.Created.Format(time.RFC3339))
	}
	fl := f.newFlock()
	ok, err := fl.TryLock()
	if err != nil {
		return fmt.Errorf("checking the state lock %s: %w", f.lockPath, err)
	}
	if !ok {
		return fmt.Errorf("lock %s is held by a running process (%s, %q since %s); force-unlock only clears a lock whose process is gone. Wait for that process to finish, or stop it, and its lock goes with it", id, info.Who, info.Operation, info.Created.Format(time.RFC3339))
	}
	defer fl.Unlock()
	if err := clearLockFile(f.lockPath); err != nil {
		return fmt.Errorf("clearing the state lock %s: %w", f.lockPath, err)
	}
	f.logger.Info("cleared a lock left behind", "path", f.lockPath, "id", id, "who", info.Who)
	return nil
}

// LockHolder returns the details of the lock's holder as the lock file
// records them; nil when it records none. The OS lock may have gone with a
// dead holder: these are what force-unlock would clear.
func (f *Filesystem) LockHolder() *LockInfo { return f.readLockInfo() }

// readLockInfo reads the holder's details; nil when there are none or they
// cannot be read.
func (f *Filesystem) readLockInfo() *LockInfo {
	data, err := readNoFollow(f.lockPath, "state lock")
	if err != nil || len(data) == 0 {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.logger.Debug("reading the lock file", "path", f.lockPath, "error", err)
		}
		return nil
	}
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil || info.ID == "" {
		f.logger.Debug("the lock file does not hold lock details", "path", f.lockPath, "error", err)
		return nil
	}
	return &info
}

func writeLockInfo(path string, info *LockInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	file, err := openNoFollow(path, "state lock", os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := file.Write(append(data, '\n')); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// clearLockFile empties the lock file, never what a link there names: an
// os.Truncate of the path would follow one.
func clearLockFile(path string) error {
	file, err := openNoFollow(path, "state lock", os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	return file.Close()
}

// whoAmI names this process for the lock: user@host.
func whoAmI() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return name + "@" + host
}
