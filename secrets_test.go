package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/emulator"
)

// TestAPIKeyNeverLeaks runs every command that touches the provider at
// trace level, through success and failure, and then looks for the API key
// in everything herald wrote: stdout, stderr, the log file, the state, its
// backup and journal, the saved plan.
func TestAPIKeyNeverLeaks(t *testing.T) {
	herald := heraldProgram(t)
	const key = "sk-live-DO-NOT-LEAK-7f3a9c"
	dir := t.TempDir()
	_, url := startEmulator(t, emulator.Options{
		SID: "HXSECRET01IN", APIKey: key,
		Outbox: filepath.Join(t.TempDir(), "outbox.jsonl"), // the emulator's, not herald's
		Faults: emulator.Faults{Accept500Every: 3},
	})

	cfg := `
variable "token" {
  type      = string
  sensitive = true
}

provider "kaleyra" {
  sid      = "HXSECRET01IN"
  api_key  = env("KALEYRA_API_KEY")
  endpoint = "` + url + `"
}

provider "kaleyra" {
  alias    = "wrong"
  sid      = "HXSECRET01IN"
  api_key  = "${env("KALEYRA_API_KEY")}-but-wrong"
  endpoint = "` + url + `"
}

sender "ops" {
  number = "+12025550100"
}

sender "other" {
  number   = "+12025550101"
  provider = kaleyra.wrong
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123", "+12025550124", "+12025550125", "+12025550126"]
  body = "Hello ${var.token}"
  ref  = "secret-1"
}

message "refused" {
  from = sender.other
  to   = ["+12025550123"]
  body = "Refused"
  ref  = "secret-2"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "herald.log")
	env := append(os.Environ(),
		"KALEYRA_API_KEY="+key,
		"HERALD_VAR_token=tok",
		"HERALD_LOG=trace",
		"HERALD_LOG_PATH="+logPath,
	)
	var output bytes.Buffer
	for _, args := range [][]string{
		{"validate", "-json"},
		{"plan", "-out=plan.out"},
		{"plan", "-json"},
		{"show", "-json", "plan.out"},
		{"show", "-format=markdown", "plan.out"},
		{"apply", "-no-color", "plan.out"},
		{"apply", "-json", "-auto-approve", "-replace=message.hello"},
		{"state", "list", "-json"},
		{"show", "-json"},
		{"state", "show", "message.hello"},
	} {
		cmd := exec.Command(herald, args...)
		cmd.Dir, cmd.Env = dir, env
		cmd.Stdout, cmd.Stderr = &output, &output
		cmd.Run() // some exit 1 by design: refused and unknown sends
	}
	if !strings.Contains(output.String(), "Apply complete") || !strings.Contains(output.String(), "RBC001") {
		t.Fatalf("the runs did not exercise sends and refusals:\n%s", output.String())
	}
	if strings.Contains(output.String(), key) {
		t.Errorf("the API key appeared in herald's output")
	}
	// The trace log must hold the request dumps, or this test proves little.
	if log, _ := os.ReadFile(logPath); !bytes.Contains(log, []byte("[TRACE]")) || !bytes.Contains(bytes.ToLower(log), []byte("api-key")) {
		t.Errorf("the trace log has no request dumps; the test would not see a leak there")
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("the API key appears in %s", filepath.Base(path))
		}
		return nil
	})
}
