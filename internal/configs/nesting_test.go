package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// deep is n levels of open, then x, then n of close.
func deep(open, x, close string, n int) string {
	return strings.Repeat(open, n) + x + strings.Repeat(close, n)
}

// TestNestingTooDeep: 100,000 levels overflowed the parser's stack, a fatal
// error that killed validate, plan and fmt. The depth is refused before
// parsing, with the line where it goes too deep.
func TestNestingTooDeep(t *testing.T) {
	const n = 100_000
	tests := map[string]struct {
		name, src string
		line      int
	}{
		"parentheses":    {"m.herald.hcl", "locals {\n  x = " + deep("(", "1", ")", n) + "\n}\n", 2},
		"brackets":       {"m.herald.hcl", "locals {\n  a = 1\n  x = " + deep("[", "1", "]", n) + "\n}\n", 3},
		"objects":        {"m.herald.hcl", "locals {\n  x = " + deep("{a=", "1", "}", n) + "\n}\n", 2},
		"interpolations": {"m.herald.hcl", "locals {\n  x = " + deep(`"${`, "1", `}"`, n) + "\n}\n", 2},
		"unclosed":       {"m.herald.hcl", "locals {\n  x = " + strings.Repeat("(", n) + "\n}\n", 2},
		"blocks":         {"m.herald.hcl", deep("a {\n", "", "}\n", n), MaxNesting + 1},
		"json":           {"m.herald.json", `{"locals": {"x":` + "\n" + deep("[", "1", "]", n) + "}}", 2},
		"json template":  {"m.herald.json", `{"locals": {"x": "` + deep(`${`, "1", `}`, n) + `"}}`, 1},
		"vars file":      {"herald.vars.hcl", "x = " + deep("[", "1", "]", n) + "\n", 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.name), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			f, diags := NewParser(dir).ParseFile(tt.name)
			if f != nil || len(diags) != 1 || diags[0].Summary != "Nesting too deep" {
				t.Fatalf("got file %v and %s; want only a nesting error", f != nil, diags.Error())
			}
			if r := diags[0].Subject; r == nil || r.Filename != tt.name || r.Start.Line != tt.line {
				t.Errorf("subject %v, want %s line %d", r, tt.name, tt.line)
			}
		})
	}
}

// TestNestingWithinLimit: what nests as deep as allowed, or has many
// brackets side by side, parses; brackets in strings and comments do not
// count.
func TestNestingWithinLimit(t *testing.T) {
	tests := map[string]string{
		"at the limit": "x = " + deep("[", "1", "]", MaxNesting) + "\n",
		"side by side": "x = [" + strings.Repeat("[1], ", 10*MaxNesting) + "]\n",
		"in a string":  "x = \"" + strings.Repeat("(", 2*MaxNesting) + "\"\n",
		"in a comment": "# " + strings.Repeat("[", 2*MaxNesting) + "\nx = 1\n",
		"templates":    "x = \"" + strings.Repeat("${1}", 2*MaxNesting) + "\"\n",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if diags := CheckNesting([]byte(src), "f.hcl", hcl.InitialPos, NestingConfig); diags.HasErrors() {
				t.Errorf("refused: %s", diags.Error())
			}
		})
	}
	json := `{"x": ` + deep("[", "1", "]", MaxNesting-1) + `, "y": "` + strings.Repeat("[", 2*MaxNesting) + `"}`
	if diags := CheckNesting([]byte(json), "f.json", hcl.InitialPos, NestingJSON); diags.HasErrors() {
		t.Errorf("JSON within the limit refused: %s", diags.Error())
	}
}
