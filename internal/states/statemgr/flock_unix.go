//go:build unix

package statemgr

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive OS lock on the open file f, waiting for it;
// unlockFile releases it. The receipts journal's writers hold it for one
// write, the lock holder's fold for one rename.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
