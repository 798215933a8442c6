package command

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestApplyAsksOnATerminal covers the confirmation question, which the
// scripts cannot reach without a terminal: only "yes" sends.
func TestApplyAsksOnATerminal(t *testing.T) {
	const config = `
provider "kaleyra" {
  sid      = "HXASK0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123", "+12025550124"]
  body = "Hello"
  ref  = "ask-1"
}
`
	tests := []struct {
		answer string
		status int
		sent   bool
		out    string
	}{
		{"yes\n", 0, true, "Apply complete: 2 sent, 0 failed, 0 unknown."},
		{"y\n", ExitError, false, "Apply cancelled. Nothing was sent."},
		{"no\n", ExitError, false, "Apply cancelled. Nothing was sent."},
		{"", ExitError, false, "Apply cancelled. Nothing was sent."},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.answer), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(config), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			env := &Env{
				Stdin: strings.NewReader(tt.answer), Stdout: &stdout, Stderr: &stderr,
				Logger: hclog.NewNullLogger(), Dir: dir, StdinIsTerminal: true,
			}
			if got := runApply(env, []string{"-no-color"}); got != tt.status {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, tt.status, stderr.String())
			}
			if !strings.Contains(stdout.String(), "Only 'yes' will be accepted") {
				t.Errorf("apply did not ask:\n%s", stdout.String())
			}
			if !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, stdout.String())
			}
			_, err := os.Stat(filepath.Join(dir, "herald.outbox.jsonl"))
			if sent := err == nil; sent != tt.sent {
				t.Errorf("outbox exists: %v, want %v", sent, tt.sent)
			}
		})
	}
}

// TestApplyInterruptedAtTheQuestion: Ctrl-C while apply waits for "yes"
// cancels it at once, as it would any other command, and sends nothing.
func TestApplyInterruptedAtTheQuestion(t *testing.T) {
	dir := t.TempDir()
	config := `
provider "kaleyra" {
  sid      = "HXASK0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Hello"
  ref  = "ask-1"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin, typing := io.Pipe() // the user types nothing
	defer typing.Close()
	interrupt := make(chan struct{}, 1)
	interrupt <- struct{}{}
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin: stdin, Stdout: &stdout, Stderr: &stderr, Interrupt: interrupt,
		Logger: hclog.NewNullLogger(), Dir: dir, StdinIsTerminal: true,
	}
	status := make(chan int, 1)
	go func() { status <- runApply(env, []string{"-no-color"}) }()
	select {
	case got := <-status:
		if got != ExitError {
			t.Errorf("exit status %d, want %d", got, ExitError)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("apply still waits for an answer after Ctrl-C")
	}
	if !strings.Contains(stdout.String(), "Apply cancelled. Nothing was sent.") {
		t.Errorf("stdout lacks the cancellation:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.outbox.jsonl")); err == nil {
		t.Error("something was sent")
	}
}

// TestApplyParallelismIsBounded: -parallelism=100000000 started a goroutine
// per unit and was killed for memory; out-of-range values are refused
// before the configuration is read.
func TestApplyParallelismIsBounded(t *testing.T) {
	for _, n := range []string{"0", "-1", "1001", "100000000"} {
		t.Run(n, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: t.TempDir()}
			if got := runApply(env, []string{"-no-color", "-auto-approve", "-parallelism=" + n}); got != ExitError {
				t.Errorf("exit status %d, want %d", got, ExitError)
			}
			if !strings.Contains(stderr.String(), "-parallelism must be from 1 to 1000, got "+n) {
				t.Errorf("stderr does not bound -parallelism:\n%s", stderr.String())
			}
		})
	}
}
