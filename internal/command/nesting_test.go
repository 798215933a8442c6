package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestDeepNestingIsAnError: 100,000 nested parentheses overflowed the
// stack in validate, plan and fmt, which is fatal; each now reports one
// diagnostic at the line. -var values get the same check.
func TestDeepNestingIsAnError(t *testing.T) {
	const n = 100_000
	deep := strings.Repeat("(", n) + "1" + strings.Repeat(")", n)
	config := "variable \"v\" {\n  type    = list(number)\n  default = []\n}\n\nlocals {\n  x = " + deep + "\n}\n"
	tests := []struct {
		name string
		run  func(*Env, []string) int
		args []string
		want string
	}{
		{"validate", runValidate, nil, "on main.herald.hcl line 7"},
		{"plan", runPlan, nil, "on main.herald.hcl line 7"},
		{"fmt", runFmt, nil, "on main.herald.hcl line 7"},
		{"-var", runValidate, []string{"-var", "v=" + strings.Repeat("[", n)}, "-var"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := config
			if tt.name == "-var" {
				src = "variable \"v\" {\n  type    = list(number)\n  default = []\n}\n"
			}
			if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
			args := append([]string{"-no-color"}, tt.args...)
			if tt.name == "fmt" {
				args = []string{"-check"}
			}
			if got := tt.run(env, args); got != ExitError {
				t.Errorf("exit status %d, want %d", got, ExitError)
			}
			if !strings.Contains(stderr.String(), "Nesting too deep") || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr does not say the nesting is too deep at %q:\n%.2000s", tt.want, stderr.String())
			}
		})
	}
}
