package views

import (
	"bytes"
	"io"

	"github.com/hashicorp/hcl/v2"
)

// defaultWidth is the text width diagnostics are wrapped to when the caller
// does not know the terminal's.
const defaultWidth = 78

// Diagnostics writes diags as text in Terraform's style ("Error: summary",
// the source lines with the range underlined, then the detail). files are
// the parsed files by name, for the snippets; width 0 means 78 columns.
func Diagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool, width int) {
	if width <= 0 {
		width = defaultWidth
	}
	dw := hcl.NewDiagnosticTextWriter(w, files, uint(width), color)
	for _, d := range diags {
		// Write errors are not actionable here: the diagnostics are
		// already the error report.
		_ = dw.WriteDiagnostic(d)
	}
}

// JSONDiagnostic is one diagnostic in machine-readable output (validate
// -json, plan -json), in the shape Terraform uses.
type JSONDiagnostic struct {
	Severity string       `json:"severity"`
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail"`
	Range    *JSONRange   `json:"range,omitempty"`
	Snippet  *JSONSnippet `json:"snippet,omitempty"`
}

// JSONRange is a source range; lines and columns count from 1, bytes from 0.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is one position in a source file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSONSnippet is the source code a diagnostic points at: the whole lines of
// its range, and where in Code the range starts and ends.
type JSONSnippet struct {
	Code                 string `json:"code"`
	StartLine            int    `json:"start_line"`
	HighlightStartOffset int    `json:"highlight_start_offset"`
	HighlightEndOffset   int    `json:"highlight_end_offset"`
}

// DiagnosticsJSON converts diags for JSON output. files supply the
// snippets; it may be nil.
func DiagnosticsJSON(diags hcl.Diagnostics, files ...map[string]*hcl.File) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if r := d.Subject; r != nil {
			jd.Range = &JSONRange{
				Filename: r.Filename,
				Start:    JSONPos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
				End:      JSONPos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
			}
			for _, fs := range files {
				if f := fs[r.Filename]; f != nil {
					jd.Snippet = snippet(f.Bytes, *r)
					break
				}
			}
		}
		out = append(out, jd)
	}
	return out
}

// snippet cuts the whole lines of rng out of src.
func snippet(src []byte, rng hcl.Range) *JSONSnippet {
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return nil
	}
	start := bytes.LastIndexByte(src[:rng.Start.Byte], '\n') + 1
	end := len(src)
	if i := bytes.IndexByte(src[rng.End.Byte:], '\n'); i >= 0 {
		end = rng.End.Byte + i
	}
	if rng.End.Byte > rng.Start.Byte && rng.End.Byte > 0 && src[rng.End.Byte-1] == '\n' {
		end = rng.End.Byte - 1
	}
	if end < start {
		end = start
	}
	code := string(src[start:end])
	return &JSONSnippet{
		Code:                 code,
		StartLine:            rng.Start.Line,
		HighlightStartOffset: rng.Start.Byte - start,
		HighlightEndOffset:   min(rng.End.Byte-start, len(code)),
	}
}
