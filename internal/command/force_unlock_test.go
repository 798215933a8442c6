package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestForceUnlockAsksOnATerminal covers the question, which the scripts
// cannot reach without a terminal.
func TestForceUnlockAsksOnATerminal(t *testing.T) {
	const leftover = `{"ID":"dead-beef","Operation":"apply","Who":"ci@runner-7","Created":"2026-11-26T09:00:00Z","Path":"herald.state"}`
	tests := []struct {
		answer  string
		status  int
		cleared bool
		out     string
	}{
		{"yes\n", 0, true, "The state lock has been released"},
		{"no\n", ExitError, false, "force-unlock cancelled: the lock is unchanged."},
		{"", ExitError, false, "force-unlock cancelled"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.answer), func(t *testing.T) {
			dir := t.TempDir()
			lockPath := filepath.Join(dir, "herald.state.lock")
			if err := os.WriteFile(lockPath, []byte(leftover), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			env := &Env{
				Stdin: strings.NewReader(tt.answer), Stdout: &stdout, Stderr: &stderr,
				Logger: hclog.NewNullLogger(), Dir: dir, StdinIsTerminal: true,
			}
			if got := runForceUnlock(env, []string{"dead-beef"}); got != tt.status {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, tt.status, stderr.String())
			}
			out := stdout.String()
			for _, want := range []string{"Do you really want to force-unlock lock dead-beef (ci@runner-7, for \"apply\" since 2026-11-26T09:00:00Z)?", "Only 'yes' will be accepted", tt.out} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, out)
				}
			}
			data, _ := os.ReadFile(lockPath)
			if cleared := len(data) == 0; cleared != tt.cleared {
				t.Errorf("lock cleared: %v, want %v", cleared, tt.cleared)
			}
		})
	}
}
