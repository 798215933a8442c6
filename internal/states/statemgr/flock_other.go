//go:build !unix

package statemgr

import "os"

// lockFile is a no-op where the OS has no flock: one listener per state
// is then the rule, as appends of separate processes may interleave.
func lockFile(*os.File) error   { return nil }
func unlockFile(*os.File) error { return nil }
