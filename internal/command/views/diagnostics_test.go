package views

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/lang"
)

// TestDiagnosticsGolden renders real diagnostics, from loading a broken
// configuration, as text (plain and coloured) and JSON, and compares them
// with golden files; go test -update rewrites those.
func TestDiagnosticsGolden(t *testing.T) {
	_, files, diags := lang.Load(lang.Options{
		Dir:       filepath.Join("testdata", "diagnostics"),
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if len(diags) < 4 {
		t.Fatalf("want several diagnostics, got %v", diags)
	}

	var plain, color bytes.Buffer
	Diagnostics(&plain, files, diags, false, 0)
	Diagnostics(&color, files, diags, true, 60)
	js, err := json.MarshalIndent(DiagnosticsJSON(diags, files), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{
		"diagnostics_text.golden":  plain.Bytes(),
		"diagnostics_color.golden": color.Bytes(),
		"diagnostics_json.golden":  append(js, '\n'),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs; got:\n%s", name, got)
		}
	}
}

func TestDiagnosticsJSONWithoutRange(t *testing.T) {
	got := DiagnosticsJSON(hcl.Diagnostics{
		{Severity: hcl.DiagWarning, Summary: "Something", Detail: "In general."},
	})
	if len(got) != 1 || got[0].Severity != "warning" || got[0].Range != nil || got[0].Snippet != nil {
		t.Errorf("got %+v", got)
	}
}

func TestSnippetOfMultilineRange(t *testing.T) {
	src := []byte("a = 1\nb = [\n  2,\n]\nc = 3\n")
	rng := hcl.Range{Filename: "f", Start: hcl.Pos{Line: 2, Column: 5, Byte: 10}, End: hcl.Pos{Line: 4, Column: 2, Byte: 18}}
	s := snippet(src, rng)
	if s == nil || s.Code != "b = [\n  2,\n]" || s.StartLine != 2 || s.HighlightStartOffset != 4 || s.HighlightEndOffset != 12 {
		t.Errorf("got %+v", s)
	}
}
