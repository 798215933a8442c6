// Package atomicfile replaces a file whole, so that a reader never sees
// half of it and a crash at any instant leaves either the old file or the
// new one: the state file and saved plans are both written this way.
//
// It writes; it does not decide what a file holds or who may write it.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with what write produces. It writes a temporary file
// named PATH.tmp-RANDOM in the same folder with mode perm, fsyncs it,
// renames it over path and fsyncs the folder, so that the rename itself
// survives a power loss. On failure the temporary file is removed and path
// is untouched.
//
// A path that is a symbolic link is followed: its target is replaced and
// the link stays, for renaming over the link would leave the target, which
// other folders may read through their own links, stale. A link whose
// target does not exist is refused.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) (err error) {
	path, err = Resolve(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// Resolve returns the file that path names: path itself, or when it is a
// symbolic link, the file at the end of the link. A link to nothing is an
// error, not a new file: it usually means a shared folder is not mounted,
// and writing beside it would start a second, empty copy.
func Resolve(path string) (string, error) {
	info, err := os.Lstat(path)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		// A missing or ordinary path: the caller's own open reports any
		// other problem.
		return path, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		target, _ := os.Readlink(path)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s is a symbolic link to %s, which does not exist; restore the link's target (is its folder mounted?) or remove the link", path, target)
		}
		return "", fmt.Errorf("following the symbolic link %s: %w", path, err)
	}
	return real, nil
}

// SyncDir makes the creations, renames and removals in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}
