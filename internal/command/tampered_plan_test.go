package command

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// tamperPlan edits the payload of the saved plan at path and recomputes
// its checksum, as anyone can: the checksum guards against damage, not
// against edits.
func tamperPlan(t *testing.T, path string, edit func(payload map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	headerLine, payloadLine, _ := bytes.Cut(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	var header, payload map[string]any
	if err := json.Unmarshal(headerLine, &header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payloadLine, &payload); err != nil {
		t.Fatal(err)
	}
	edit(payload)
	newPayload, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(newPayload)
	header["checksum"] = "sha256:" + hex.EncodeToString(sum[:])
	newHeader, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := append(append(append(newHeader, '\n'), newPayload...), '\n')
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// setActions sets every delivery's action in a plan payload.
func setActions(action string) func(map[string]any) {
	return func(payload map[string]any) {
		for _, inst := range payload["instances"].([]any) {
			for _, d := range inst.(map[string]any)["changes"].([]any) {
				d.(map[string]any)["action"] = action
			}
		}
	}
}

// stateID is what a saved plan matches against the state.
type stateID struct {
	Lineage string
	Serial  float64
}

func (s stateID) set(payload map[string]any) {
	payload["lineage"], payload["serial"] = s.Lineage, s.Serial
}

const tamperConfig = `
provider "kaleyra" {
  sid      = "HXTAMPER01IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "hello" {
  from = sender.ops
  to   = ["+12025550123", "+12025550124", "+12025550125"]
  body = "Hello"
  ref  = "tamper-1"
}
`

// TestTamperedPlanNeverSendsTwice: a saved plan whose checksum was
// recomputed after an edit sent already-sent deliveries again. apply now
// checks every action against the state under the lock.
func TestTamperedPlanNeverSendsTwice(t *testing.T) {
	tests := []struct {
		name string
		// beforeApply: the plan is saved before the first apply (else after).
		beforeApply bool
		edit        func(payload map[string]any, st stateID)
		want        string
	}{
		{"none becomes send", false, func(p map[string]any, _ stateID) { setActions("send")(p) }, "records it as sent, and only -replace sends that again"},
		{"none becomes resend", false, func(p map[string]any, _ stateID) { setActions("resend")(p) }, "no -replace the plan was made with names it"},
		{"none becomes retry", false, func(p map[string]any, _ stateID) { setActions("retry")(p) }, "records it as sent"},
		{"replayed with the state's serial", true, func(p map[string]any, st stateID) { st.set(p) }, "records it as sent"},
		{"providers removed", true, func(p map[string]any, st stateID) { st.set(p); delete(p, "providers") }, "does not record where that provider sent"},
		{"lineage removed", false, func(p map[string]any, _ stateID) { delete(p, "lineage") }, "names no state lineage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(tamperConfig), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(f func(*Env, []string) int, args ...string) (int, string) {
				var stdout, stderr bytes.Buffer
				env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
				status := f(env, append([]string{"-no-color"}, args...))
				return status, stdout.String() + stderr.String()
			}
			planPath := filepath.Join(dir, "saved.plan")
			if tt.beforeApply {
				if status, out := run(runPlan, "-out="+planPath); status != 0 {
					t.Fatalf("plan: %s", out)
				}
			}
			if status, out := run(runApply, "-auto-approve"); status != 0 || !strings.Contains(out, "3 sent") {
				t.Fatalf("first apply: status %d\n%s", status, out)
			}
			if !tt.beforeApply {
				if status, out := run(runPlan, "-out="+planPath); status != 0 {
					t.Fatalf("plan: %s", out)
				}
			}
			state, err := os.ReadFile(filepath.Join(dir, "herald.state"))
			if err != nil {
				t.Fatal(err)
			}
			var st stateID
			if err := json.Unmarshal(state, &st); err != nil {
				t.Fatal(err)
			}
			tamperPlan(t, planPath, func(p map[string]any) { tt.edit(p, st) })

			status, out := run(runApply, planPath)
			if status != ExitError || !strings.Contains(strings.Join(strings.Fields(out), " "), tt.want) {
				t.Errorf("apply of the tampered plan: status %d, want %d and %q:\n%s", status, ExitError, tt.want, out)
			}
			outbox, _ := os.ReadFile(filepath.Join(dir, "herald.outbox.jsonl"))
			if n := strings.Count(string(outbox), `"message_id"`); n != 3 {
				t.Errorf("the outbox holds %d sends, want the first apply's 3", n)
			}
		})
	}
}

// TestSavedPlanWithReplaceStillResends: the check leaves a genuine
// -replace alone.
func TestSavedPlanWithReplaceStillResends(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(tamperConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(f func(*Env, []string) int, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
		return f(env, append([]string{"-no-color"}, args...)), stdout.String() + stderr.String()
	}
	if status, out := run(runApply, "-auto-approve"); status != 0 {
		t.Fatalf("first apply: %s", out)
	}
	planPath := filepath.Join(dir, "saved.plan")
	if status, out := run(runPlan, "-out="+planPath, `-replace=message.hello:+12025550124`); status != 0 {
		t.Fatalf("plan: %s", out)
	}
	if status, out := run(runApply, planPath); status != 0 || !strings.Contains(out, "1 sent") {
		t.Errorf("apply of a plan made with -replace: status %d\n%s", status, out)
	}
}
