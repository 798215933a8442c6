package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/emulator"
)

// TestApplyExitStatusCountsOutcomes: apply's last line counts sent, failed
// and unknown deliveries, and apply exits 1 when any failed or is unknown.
func TestApplyExitStatusCountsOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		faults  emulator.Faults
		apiKey  string
		status  int
		summary string
	}{
		{"all sent", emulator.Faults{}, "right-key", 0, "Apply complete: 4 sent, 0 failed, 0 unknown."},
		{"refused: failed, the account stopped at the first", emulator.Faults{}, "wrong-key", ExitError, "Apply complete: 0 sent, 1 failed, 0 unknown, 3 skipped."},
		{"accepted then 500: unknown", emulator.Faults{Accept500Every: 2}, "right-key", ExitError, "Apply complete: 2 sent, 0 failed, 2 unknown."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, err := emulator.New(emulator.Options{SID: "HXOUTCOME01IN", APIKey: "right-key", Faults: tt.faults})
			if err != nil {
				t.Fatal(err)
			}
			url, err := emu.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer emu.Close()
			config := `
provider "kaleyra" {
  sid      = "HXOUTCOME01IN"
  api_key  = "` + tt.apiKey + `"
  endpoint = "` + url + `"
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123", "+12025550124", "+12025550125", "+12025550126"]
  body = "Hello"
  ref  = "outcome-1"
}
`
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(config), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
			if got := runApply(env, []string{"-auto-approve", "-no-color", "-parallelism=1"}); got != tt.status {
				t.Errorf("exit status %d, want %d", got, tt.status)
			}
			if !strings.Contains(stdout.String(), tt.summary) {
				t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", tt.summary, stdout.String(), stderr.String())
			}
		})
	}
}
