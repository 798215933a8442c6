package configs

import (
	"os"
	"path/filepath"
	"strings"
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

// TestInvalidNameSaysHowToReferIt: the advice names the reference as it is
// written, var.NAME for variables.
func TestInvalidNameSaysHowToReferIt(t *testing.T) {
	tests := map[string]string{
		`variable "1st" {}`:                 "var.NAME",
		`sender "ops!" { number = "+1" }`:   "sender.NAME",
		`recipients "a b" { numbers = [] }`: "recipients.NAME",
	}
	for src, want := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "m.herald.hcl"), []byte(src+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, diags := NewParser(dir).LoadConfig()
		found := false
		for _, d := range diags {
			if strings.HasPrefix(d.Summary, "Invalid ") && strings.HasSuffix(d.Summary, " name") {
				found = true
				if !strings.Contains(d.Detail, "referenced as "+want+".") {
					t.Errorf("%s: detail %q does not name %s", src, d.Detail, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no invalid-name diagnostic in %s", src, diags.Error())
		}
	}
}
