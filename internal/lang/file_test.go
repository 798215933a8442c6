//go:build unix

package lang

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFileReadsOnlyRegularFiles: file("/dev/zero") ran out of memory and
// file() on a FIFO hung; both, and a file over the size cap, are now a
// diagnostic on the call.
func TestFileReadsOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	big, err := os.Create(filepath.Join(dir, "big.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(maxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	big.Close()
	if err := os.Mkdir(filepath.Join(dir, "folder"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"/dev/zero": "not a regular file (a device)",
		"fifo":      "not a regular file (a named pipe)",
		"folder":    "not a regular file (a folder)",
		"big.txt":   "larger than 32 MiB",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			src := "locals {\n  x = file(\"" + name + "\")\n}\n"
			if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, diags := Load(Options{Dir: dir, LookupEnv: envOf(nil)})
			if len(diags) != 1 || !strings.Contains(diags[0].Detail, want) || diags[0].Subject == nil || diags[0].Subject.Start.Line != 2 {
				t.Errorf("want one diagnostic at line 2 saying %q, got %s", want, diags.Error())
			}
		})
	}
}
