package statemgr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestDigestSecretFile: the local secret is a private file beside the
// state, never opened through a link, refused with a way out when damaged,
// and not part of the state, its backup or its temporary files.
func TestDigestSecretFile(t *testing.T) {
	t.Run("private, beside the state, not in it", func(t *testing.T) {
		dir := t.TempDir()
		f := NewFilesystem(filepath.Join(dir, "herald.state"), hclog.NewNullLogger())
		check(t, f.Write(must(f.Read())))
		key, created, err := f.DigestSecret()
		if err != nil || !created {
			t.Fatalf("DigestSecret: created=%v err=%v", created, err)
		}
		path := filepath.Join(dir, "herald.state.secret")
		info, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("mode %o, want 600", info.Mode().Perm())
		}
		data := string(must(os.ReadFile(path)))
		lines := strings.Split(strings.TrimSpace(data), "\n")
		secretHex := lines[len(lines)-1]
		if len(secretHex) != 64 || !strings.HasPrefix(data, "# herald digest secret") {
			t.Errorf("secret file:\n%s", data)
		}
		check(t, f.Write(must(f.Read())))
		entries := must(os.ReadDir(dir))
		for _, e := range entries {
			if e.Name() == "herald.state.secret" {
				continue
			}
			if b, _ := os.ReadFile(filepath.Join(dir, e.Name())); strings.Contains(string(b), secretHex) {
				t.Errorf("%s holds the secret", e.Name())
			}
			if strings.Contains(e.Name(), ".secret.tmp-") {
				t.Errorf("a temporary secret file %s was left behind", e.Name())
			}
		}
		if strings.Contains(key.String(), secretHex) {
			t.Error("the key's String shows the secret")
		}
	})
	t.Run("a link is refused", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "elsewhere")
		check(t, os.WriteFile(target, []byte("not herald's\n"), 0o644))
		check(t, os.Symlink(target, filepath.Join(dir, "herald.state.secret")))
		f := NewFilesystem(filepath.Join(dir, "herald.state"), hclog.NewNullLogger())
		if _, _, err := f.DigestSecret(); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("DigestSecret through a link: %v", err)
		}
		if b := string(must(os.ReadFile(target))); b != "not herald's\n" {
			t.Errorf("the link's target became %q", b)
		}
	})
	t.Run("a dangling link is not replaced", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "missing")
		check(t, os.Symlink(target, filepath.Join(dir, "herald.state.secret")))
		f := NewFilesystem(filepath.Join(dir, "herald.state"), hclog.NewNullLogger())
		if _, _, err := f.DigestSecret(); err == nil {
			t.Error("DigestSecret made a secret over a dangling link")
		}
		if _, err := os.Lstat(target); err == nil {
			t.Error("the link's target was created")
		}
	})
	t.Run("damaged", func(t *testing.T) {
		dir := t.TempDir()
		check(t, os.WriteFile(filepath.Join(dir, "herald.state.secret"), []byte("# herald digest secret\nabc\n"), 0o600))
		f := NewFilesystem(filepath.Join(dir, "herald.state"), hclog.NewNullLogger())
		_, _, err := f.DigestSecret()
		if err == nil || !strings.Contains(err.Error(), "is damaged") || !strings.Contains(err.Error(), "move it away") {
			t.Errorf("DigestSecret of a damaged file: %v", err)
		}
	})
}
