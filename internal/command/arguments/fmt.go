package arguments

import (
	"flag"

	"github.com/hashicorp/hcl/v2"
)

// Fmt is herald fmt's command line.
type Fmt struct {
	Check     bool
	Diff      bool
	Recursive bool
	NoColor   bool
	// Paths are the files and folders to format: "." when none is given.
	Paths []string
}

// ParseFmt parses fmt's command line. err is the flag package's (already
// printed, or flag.ErrHelp); diags are the rest.
func ParseFmt(fs *flag.FlagSet, args []string) (f *Fmt, diags hcl.Diagnostics, err error) {
	f = &Fmt{}
	fs.BoolVar(&f.Check, "check", false, "write nothing; exit 3 if any file is not formatted")
	fs.BoolVar(&f.Diff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&f.Recursive, "recursive", false, "also format files in subfolders")
	fs.BoolVar(&f.NoColor, "no-color", false, "turn colour off")
	if err := parse(fs, args); err != nil {
		return f, nil, err
	}
	f.Paths = fs.Args()
	if len(f.Paths) == 0 {
		f.Paths = []string{"."}
	}
	return f, nil, nil
}

// ForceUnlock is herald force-unlock's command line.
type ForceUnlock struct {
	// LockID is the ID of the lock to release, as the lock error names it.
	LockID string
	Force  bool
}

// ParseForceUnlock parses and checks force-unlock's command line. err is
// the flag package's (already printed, or flag.ErrHelp); diags are the rest.
func ParseForceUnlock(fs *flag.FlagSet, args []string) (u *ForceUnlock, diags hcl.Diagnostics, err error) {
	u = &ForceUnlock{}
	fs.BoolVar(&u.Force, "force", false, "do not ask for confirmation")
	if err := parse(fs, args); err != nil {
		return u, nil, err
	}
	if fs.NArg() != 1 {
		return u, hcl.Diagnostics{errorf("Expected one lock ID", "The force-unlock command takes the ID of the lock to release, as the lock error names it.")}, nil
	}
	u.LockID = fs.Arg(0)
	return u, nil, nil
}
