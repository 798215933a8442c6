package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runIn runs herald with args in dir and returns what it printed, failing
// the test when it fails.
func runIn(t *testing.T, herald, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(herald, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// copyExample copies an example's configuration into a fresh directory,
// so that a run leaves the repository clean.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("examples", name, "main.herald.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestExampleQuickstart runs the README's quickstart as it says: the
// first apply sends three, the second sends none.
func TestExampleQuickstart(t *testing.T) {
	herald := heraldProgram(t)
	dir := copyExample(t, "quickstart")
	if out := runIn(t, herald, dir, "apply", "-auto-approve", "-no-color"); !strings.Contains(out, "Apply complete: 3 sent, 0 failed, 0 unknown.") {
		t.Errorf("first apply:\n%s", out)
	}
	if out := runIn(t, herald, dir, "apply", "-auto-approve", "-no-color"); !strings.Contains(out, "Apply complete: 0 sent, 0 failed, 0 unknown.") {
		t.Errorf("second apply:\n%s", out)
	}
}

// TestExampleReceipts runs examples/receipts as its README says: with
// herald listen running, the built-in emulator's receipts are in the
// state by the time the apply ends. The callback_url is moved to a free
// port so that the test does not need 8788.
func TestExampleReceipts(t *testing.T) {
	herald := heraldProgram(t)
	const defaultURL = "http://127.0.0.1:8788/kaleyra"
	if src, err := os.ReadFile("examples/receipts/main.herald.hcl"); err != nil || !strings.Contains(string(src), defaultURL) {
		t.Fatalf("examples/receipts no longer posts to %s (%v)", defaultURL, err)
	}
	dir := copyExample(t, "receipts")
	addr, cmd := startListenProcess(t, herald, dir)
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(strings.ReplaceAll(mustRead(t, filepath.Join(dir, "main.herald.hcl")), defaultURL, "http://"+addr+"/kaleyra")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runIn(t, herald, dir, "apply", "-auto-approve", "-no-color"); !strings.Contains(out, "Apply complete: 3 sent, 0 failed, 0 unknown.") {
		t.Fatalf("apply:\n%s", out)
	}
	out := runIn(t, herald, dir, "state", "list")
	if n := strings.Count(out, " receipt=read\n"); n != 3 {
		t.Errorf("state list right after the apply shows %d read, want 3:\n%s", n, out)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("listen stopped with %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
