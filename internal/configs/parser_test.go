package configs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSyntaxErrorsAlone checks that a syntax error is reported without the
// errors it would cause in decoding, and that an unclosed quote is one
// "Invalid multi-line string", not one per line it runs over.
func TestSyntaxErrorsAlone(t *testing.T) {
	dir := t.TempDir()
	src := `message "m" {
  from = sender.ops
  body = "hi
  ref  = "r"
}
`
	if err := os.WriteFile(filepath.Join(dir, "m.herald.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := NewParser(dir).LoadConfig()
	if cfg != nil {
		t.Error("LoadConfig returned a configuration along with syntax errors")
	}
	counts := map[string]int{}
	for _, d := range diags {
		counts[d.Summary]++
	}
	want := map[string]int{"Invalid multi-line string": 1, "Unterminated template string": 1}
	for summary, n := range want {
		if counts[summary] != n {
			t.Errorf("%d %q, want %d", counts[summary], summary, n)
		}
	}
	if len(diags) != 2 {
		t.Errorf("want 2 diagnostics, got %s", diags.Error())
	}
}
