package lang

import (
	"strings"
	"testing"
)

// TestJSONReferenceHints checks that a reference written as a plain string
// in a JSON configuration gets advice in JSON's syntax, not HCL's.
func TestJSONReferenceHints(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"base.herald.hcl": basics,
		"m.herald.json": `{
  "message": {
    "m": {
      "from": "sender.ops",
      "to": ["+12025550123"],
      "template": "template.notice",
      "params": { "version": "1", "eta": "now" },
      "ref": "m",
      "depends_on": [3]
    }
  }
}`,
	})
	_, _, diags := Load(Options{Dir: dir, LookupEnv: envOf(nil)})
	want := map[string]string{
		"Invalid from":                 `"${sender.NAME}"`,
		"Invalid template":             `"${template.NAME}"`,
		"Invalid depends_on reference": `the string "message.NAME"`,
	}
	for _, d := range diags {
		if hint, ok := want[d.Summary]; ok {
			if !strings.Contains(d.Detail, hint) {
				t.Errorf("%s: detail %q does not show %s", d.Summary, d.Detail, hint)
			}
			delete(want, d.Summary)
		}
	}
	for summary := range want {
		t.Errorf("missing diagnostic %q; got %s", summary, diags.Error())
	}
}
