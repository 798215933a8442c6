package command

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
)

const codeConfig = `
variable "code" {
  type      = string
  sensitive = true
}

provider "kaleyra" {
  sid      = "HXCODE0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "code" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Your login code is ${var.code}"
  ref  = "login-1"
}
`

// guessCode tries every 4-digit code against digest, as anyone holding a
// plan or the state could: with an unkeyed digest one of them matches.
func guessCode(digest delivery.Digest) (string, bool) {
	for n := range 10000 {
		code := fmt.Sprintf("%04d", n)
		if (delivery.Content{Type: delivery.Text, Body: "Your login code is " + code}).Digest() == digest {
			return code, true
		}
	}
	return "", false
}

// TestSensitiveDigestResistsGuessing: the digest of sensitive content was
// an unkeyed SHA-256, so a 4-digit code was recovered from a saved plan in
// milliseconds. It is now keyed with the ledger's secret, which neither
// the plan, the state nor any output holds; nor does the trace log hold
// the code (its dumps of requests and of the answers that echo them).
func TestSensitiveDigestResistsGuessing(t *testing.T) {
	const code = "4821"
	t.Setenv("HERALD_VAR_code", code)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(codeConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var outputs []string
	run := func(f func(*Env, []string) int, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		logger := hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace})
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: logger, Dir: dir}
		status := f(env, append([]string{"-no-color"}, args...))
		out := stdout.String() + stderr.String()
		outputs = append(outputs, out)
		return status, out
	}
	planPath := filepath.Join(dir, "code.plan")
	if status, out := run(runPlan, "-out="+planPath); status != 0 {
		t.Fatalf("plan: %s", out)
	}
	run(runPlan, "-json")
	run(runPlan, "-format=markdown")
	run(runShow, "-json", planPath)

	p, err := plans.ReadFile(planPath)
	if err != nil {
		t.Fatal(err)
	}
	planned := p.Instances[0].Instance.Digest
	if guessed, ok := guessCode(planned); ok {
		t.Fatalf("the code %s was guessed from the saved plan's digest %s", guessed, planned)
	}

	if status, out := run(runApply, planPath); status != 0 || !strings.Contains(out, "1 sent") {
		t.Fatalf("apply: status %d\n%s", status, out)
	}
	var st struct {
		Deliveries []struct {
			Digest delivery.Digest `json:"digest"`
		} `json:"deliveries"`
	}
	stateBytes, err := os.ReadFile(filepath.Join(dir, "herald.state"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(stateBytes, &st); err != nil || len(st.Deliveries) != 1 {
		t.Fatalf("state: %v\n%s", err, stateBytes)
	}
	recorded := st.Deliveries[0].Digest
	if guessed, ok := guessCode(recorded); ok {
		t.Fatalf("the code %s was guessed from the state's digest %s", guessed, recorded)
	}
	if recorded != planned {
		t.Errorf("the state records digest %s, the plan %s", recorded, planned)
	}

	// The digest is of the content all the same: with the secret, the
	// right code is found, and a plan again finds nothing to do.
	secretPath := filepath.Join(dir, "herald.state.secret")
	info, err := os.Lstat(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("the secret file has mode %o, want 600", mode)
	}
	secretFile, _ := os.ReadFile(secretPath)
	lines := strings.Split(strings.TrimSpace(string(secretFile)), "\n")
	secretHex := lines[len(lines)-1]
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		t.Fatal(err)
	}
	key, err := delivery.NewDigestKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	if (delivery.Content{Type: delivery.Text, Body: "Your login code is " + code}).KeyedDigest(key) != recorded {
		t.Error("the recorded digest is not the keyed digest of the content")
	}
	if status, out := run(runPlan); status != 0 || !strings.Contains(out, "1 already sent, 0 changed after sending") {
		t.Errorf("plan after apply: status %d\n%s", status, out)
	}
	run(runShow)
	run(runStatePull)

	planBytes, _ := os.ReadFile(planPath)
	places := map[string]string{"the saved plan": string(planBytes), "the state": string(stateBytes), "the logs": logs.String()}
	for i, out := range outputs {
		places[fmt.Sprintf("output %d", i)] = out
	}
	for where, text := range places {
		// The code alone is four hex digits, which a random digest or
		// lineage may hold by chance: look for it as text or a value.
		for _, leak := range []string{secretHex, string(secret), "is " + code, `"` + code + `"`, "=" + code} {
			if strings.Contains(text, leak) {
				t.Errorf("%s holds %q:\n%s", where, leak, text)
			}
		}
	}

	// A lost secret: the delivery shows as changed, with why, and is not
	// sent again.
	if err := os.Remove(secretPath); err != nil {
		t.Fatal(err)
	}
	status, out := run(runApply, "-auto-approve")
	flat := strings.Join(strings.Fields(out), " ")
	if status != 0 || !strings.Contains(flat, "0 to send") || !strings.Contains(flat, "1 changed after sending") || !strings.Contains(flat, "digest secret") {
		t.Errorf("apply after the secret was lost: status %d\n%s", status, out)
	}
	outbox, _ := os.ReadFile(filepath.Join(dir, "herald.outbox.jsonl"))
	if n := strings.Count(string(outbox), `"message_id"`); n != 1 {
		t.Errorf("the outbox holds %d sends, want 1", n)
	}
}

// TestUnkeyedDigestsAreKeyedOnApply: a state written before digests of
// sensitive content were keyed holds their unkeyed digest. Such a record
// still counts as sent with the same content, and the next apply gives it
// the keyed digest, so that the state no longer gives the code away.
func TestUnkeyedDigestsAreKeyedOnApply(t *testing.T) {
	const code = "0042"
	t.Setenv("HERALD_VAR_code", code)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(codeConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(f func(*Env, []string) int, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: dir}
		status := f(env, append([]string{"-no-color"}, args...))
		return status, stdout.String() + stderr.String()
	}
	if status, out := run(runApply, "-auto-approve"); status != 0 || !strings.Contains(out, "1 sent") {
		t.Fatalf("apply: status %d\n%s", status, out)
	}
	statePath := filepath.Join(dir, "herald.state")
	readDigest := func() delivery.Digest {
		var st struct {
			Deliveries []struct {
				Digest delivery.Digest `json:"digest"`
			} `json:"deliveries"`
		}
		b, err := os.ReadFile(statePath)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &st); err != nil || len(st.Deliveries) != 1 {
			t.Fatalf("state: %v\n%s", err, b)
		}
		return st.Deliveries[0].Digest
	}
	// As an older herald wrote it.
	unkeyed := delivery.Content{Type: delivery.Text, Body: "Your login code is " + code}.Digest()
	b, _ := os.ReadFile(statePath)
	if err := os.WriteFile(statePath, []byte(strings.Replace(string(b), string(readDigest()), string(unkeyed), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if guessed, ok := guessCode(readDigest()); !ok || guessed != code {
		t.Fatal("the unkeyed digest should give the code away")
	}
	if status, out := run(runPlan); status != 0 || !strings.Contains(out, "1 already sent, 0 changed after sending") {
		t.Errorf("plan over an unkeyed digest: status %d\n%s", status, out)
	}
	if status, out := run(runApply, "-auto-approve"); status != 0 || !strings.Contains(out, "0 sent") {
		t.Errorf("apply: status %d\n%s", status, out)
	}
	if d := readDigest(); d == unkeyed {
		t.Error("apply left the unkeyed digest in the state")
	} else if _, ok := guessCode(d); ok {
		t.Errorf("the code is still found from the state's digest %s", d)
	}
	if status, out := run(runPlan); status != 0 || !strings.Contains(out, "1 already sent, 0 changed after sending") {
		t.Errorf("plan after keying: status %d\n%s", status, out)
	}
}
