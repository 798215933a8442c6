package statemgr

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// The lock, journal and backup files beside the state are herald's own, so
// they are opened without following links: a link planted there (or left
// by a copy) would otherwise make herald truncate the lock's target on
// every run, or append journal records to some other file.

// openNoFollow opens path like os.OpenFile, refusing a symbolic link or
// anything but a regular file. Creating a file that does not exist is
// allowed when flag has os.O_CREATE.
func openNoFollow(path, what string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := checkRegular(path, what); err != nil {
		return nil, err
	}
	file, err := os.OpenFile(path, flag|noFollow, perm)
	if err != nil {
		// A link created between the check and the open lands here.
		if lerr := refuseLink(path, what); lerr != nil {
			return nil, lerr
		}
		return nil, err
	}
	return file, nil
}

// readNoFollow reads the whole of path, refusing a link or a file that is
// not regular. A missing file is fs.ErrNotExist, as from os.ReadFile.
func readNoFollow(path, what string) ([]byte, error) {
	file, err := openNoFollow(path, what, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return io.ReadAll(file)
}

// checkRegular refuses path when it is a link or not a regular file; a
// missing path passes. Reading a FIFO or a device would hang or never end.
func checkRegular(path, what string) error {
	if err := refuseLink(path, what); err != nil {
		return err
	}
	info, err := os.Lstat(path)
	if err != nil || info.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("the %s %s is not a regular file (%s); move it away", what, path, info.Mode().Type())
}

// refuseLink returns an error when path is a symbolic link.
func refuseLink(path, what string) error {
	info, err := os.Lstat(path)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	target, _ := os.Readlink(path)
	return fmt.Errorf("the %s %s is a symbolic link (to %s); herald does not follow links for the files it keeps beside the state, so that it never truncates or overwrites a file it does not own. Remove the link; to keep the state elsewhere, link the state file itself, or set state_path", what, path, target)
}
