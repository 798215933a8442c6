package command

import (
	"encoding/json"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/command/views"
)

// diagWriter prints diagnostics and plain errors the way the command's
// output mode asks: text with source snippets, or JSON.
type diagWriter struct {
	env   *Env
	files map[string]*hcl.File
	color bool
	// json, when set, receives diagnostics instead of stderr.
	json func(hcl.Diagnostics)
}

func (d *diagWriter) diags(diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	if d.json != nil {
		d.json(diags)
		return
	}
	views.Diagnostics(d.env.Stderr, d.files, diags, d.color, d.env.Width)
}

// diagnosticsJSON is how plan -json and show -json report diagnostics: one
// JSON document per line on stderr, so that stdout holds only the plan.
type diagnosticsJSON struct {
	FormatVersion string                 `json:"format_version"`
	Diagnostics   []views.JSONDiagnostic `json:"diagnostics"`
}

// jsonToStderr makes d print diagnostics as JSON lines on stderr.
func (d *diagWriter) jsonToStderr() {
	d.json = func(diags hcl.Diagnostics) {
		enc := json.NewEncoder(d.env.Stderr)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(diagnosticsJSON{FormatVersion: "1.0", Diagnostics: views.DiagnosticsJSON(diags, d.files)}); err != nil {
			d.env.Logger.Error("writing diagnostics", "error", err)
		}
	}
}

// err prints an error that has no source location and whose text another
// package wrote, in Go's lowercase style or starting with a file name. A
// message worded here goes through fail instead, written as sentences.
func (d *diagWriter) err(summary string, err error) {
	d.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: capitalise(err.Error()) + "."}})
}

// fail prints an error that has no source location; detail is one or
// more full sentences.
func (d *diagWriter) fail(summary, detail string) {
	d.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}})
}

func (d *diagWriter) warn(summary, detail string) {
	d.diags(hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: summary, Detail: detail}})
}

// capitalise starts an error's text with a capital, unless it starts with
// a file name ("g.plan: not a saved plan"), which must be left as it is.
func capitalise(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.ContainsAny(strings.TrimSuffix(first, ":"), "./") {
		return trimDot(s)
	}
	return string(s[0]-'a'+'A') + trimDot(s[1:])
}

func trimDot(s string) string {
	for len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
