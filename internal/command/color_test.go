package command

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// sgr matches a colour or style escape; the live progress bar's line
// erasing (ESC [K) is not colour.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestColorOnlyOnTerminals: colour is used when stdout is a terminal, and
// never when it is not, when NO_COLOR is set or when -no-color is given.
// (What the colours look like is the views' golden files' business.)
func TestColorOnlyOnTerminals(t *testing.T) {
	const config = `
provider "kaleyra" {
  sid      = "HXCOLOR001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Hello"
  ref  = "color-1"
}
`
	// The same configuration with an error, for diagnostics.
	broken := strings.Replace(config, "sender.ops", "sender.opz", 1)
	commands := []struct {
		name   string
		run    func(*Env, []string) int
		args   []string
		config string
	}{
		{"plan", runPlan, nil, config},
		{"apply", runApply, []string{"-auto-approve"}, config},
		{"validate errors", runValidate, nil, broken},
	}
	settings := []struct {
		name     string
		terminal bool
		noColor  bool
		flag     bool
		want     bool
	}{
		{"terminal", true, false, false, true},
		{"not a terminal", false, false, false, false},
		{"NO_COLOR", true, true, false, false},
		{"-no-color", true, false, true, false},
	}
	for _, c := range commands {
		for _, s := range settings {
			t.Run(c.name+"/"+s.name, func(t *testing.T) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				env := &Env{
					Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
					Logger: hclog.NewNullLogger(), Dir: dir,
					StdoutIsTerminal: s.terminal, NoColor: s.noColor, Width: 80,
				}
				args := c.args
				if s.flag {
					args = append([]string{"-no-color"}, args...)
				}
				c.run(env, args)
				out := stdout.String() + stderr.String()
				if !strings.Contains(out, "Hello") && !strings.Contains(out, "opz") {
					t.Fatalf("the command did not get far enough to show anything:\n%s", out)
				}
				if got := sgr.MatchString(out); got != s.want {
					t.Errorf("colour escapes in the output: %v, want %v:\n%q", got, s.want, out)
				}
			})
		}
	}
}
