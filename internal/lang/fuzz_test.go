package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/configs"
)

// FuzzLoad feeds arbitrary configuration text to Load, as an HCL or a JSON
// file: whatever the input, Load must return diagnostics, never panic.
// Seeded with every fixture and example; run with
//
//	go test -run XXX -fuzz FuzzLoad -fuzzminimizetime 5s ./internal/lang
//
// (the default minute spent minimizing each new input starves the search).
func FuzzLoad(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(fixturesDir, "*.herald.*"))
	more, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.herald.*"))
	examples, _ := filepath.Glob("../../examples/*/*.herald.hcl")
	for _, p := range append(append(paths, more...), examples...) {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, strings.HasSuffix(p, ".json"))
	}
	// Nesting just past the limit, in each syntax, so that mutations probe
	// the depth check and the parsers just under it.
	deep := func(open, x, close string) string {
		n := configs.MaxNesting + 1
		return strings.Repeat(open, n) + x + strings.Repeat(close, n)
	}
	f.Add([]byte("locals {\n  x = "+deep("(", "1", ")")+"\n}\n"), false)
	f.Add([]byte("locals {\n  x = "+deep("[", "1", "]")+"\n}\n"), false)
	f.Add([]byte("locals {\n  x = "+deep(`"${`, "1", `}"`)+"\n}\n"), false)
	f.Add([]byte(`{"locals": {"x": `+deep("[", "1", "]")+`}}`), true)
	f.Add([]byte(`{"locals": {"x": "`+deep("${", "1", "}")+`"}}`), true)
	f.Fuzz(func(t *testing.T, src []byte, isJSON bool) {
		// Large enough for nesting far past the limit; the depth check,
		// not the input's size, is what keeps the parsers' stacks small.
		if len(src) > 1<<20 {
			t.Skip("too long to be interesting")
		}
		dir := t.TempDir()
		name := "main.herald.hcl"
		if isJSON {
			name = "main.herald.json"
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
		res, files, diags := Load(Options{Dir: dir, LookupEnv: lookupFixtureEnv})
		if files == nil {
			t.Fatal("no files returned")
		}
		if diags.HasErrors() != (res == nil) {
			t.Fatalf("errors=%v but result=%v", diags.HasErrors(), res != nil)
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Fatalf("diagnostic without a summary: %#v", d)
			}
		}
	})
}
