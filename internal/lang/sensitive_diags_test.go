package lang

import (
	"strings"
	"testing"
)

// TestSensitiveNotInDiagnostics checks that a check failing on a sensitive
// value does not quote the value: plans show it as (sensitive), and so must
// errors.
func TestSensitiveNotInDiagnostics(t *testing.T) {
	dir := writeConfig(t, map[string]string{"m.herald.hcl": basics + `
variable "token" {
  default   = "abc<hidden>def"
  sensitive = true
}

message "m" {
  from         = sender.ops
  to           = ["+12025550123"]
  template     = template.notice
  params       = { version = var.token, eta = "now" }
  ref          = "m"
  callback_url = "http://${var.token}.example.com/"
}
`})
	_, _, diags := Load(Options{Dir: dir, LookupEnv: envOf(nil)})
	want := map[string]bool{"HTML tag in parameter version": false, "Insecure callback_url": false, "HTML tag in callback_url": false}
	for _, d := range diags {
		if strings.Contains(d.Detail, "hidden") || strings.Contains(d.Summary, "hidden") {
			t.Errorf("diagnostic shows the sensitive value: %s: %s", d.Summary, d.Detail)
		}
		if _, ok := want[d.Summary]; ok {
			want[d.Summary] = true
		}
	}
	for summary, seen := range want {
		if !seen {
			t.Errorf("missing diagnostic %q; got %s", summary, diags.Error())
		}
	}
}
