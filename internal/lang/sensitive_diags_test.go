package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
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

// TestSensitiveNotInFunctionErrors: a function refusing a sensitive value
// quoted it ("cannot convert "sk-..." to number"). The API key read by
// env() and sensitive variables are marked, and function errors on marked
// values do not show them, in the summary, the detail or the rendered
// text.
func TestSensitiveNotInFunctionErrors(t *testing.T) {
	const key, tok, other = "KEYk3yLEAK", "TOKs3cr3tV", "OTHERo7her"
	exprs := []string{
		`tonumber(env("KALEYRA_API_KEY"))`,
		`tobool(env("KALEYRA_API_KEY"))`,
		`parseint(env("KALEYRA_API_KEY"), 10)`,
		`file(env("KALEYRA_API_KEY"))`,
		`jsondecode(env("KALEYRA_API_KEY"))`,
		`tonumber(local.key)`,
		`tonumber(env("MY_KEY"))`,
		`tonumber(var.tok)`,
		`tobool(var.tok)`,
		`parseint(var.tok, 10)`,
		`file(var.tok)`,
		`formatdate(var.tok, "2020-01-01T00:00:00Z")`,
		`csvdecode("a\n\"${var.tok}")`,
		`regex(var.tok, "x")`,
		`local.empty[var.tok]`,
		`{ for k in [var.tok] : k => k }[var.tok] + 1`,
	}
	src := `
variable "tok" {
  type      = string
  default   = "` + tok + `"
  sensitive = true
}

provider "kaleyra" {
  sid     = "HXTEST0001IN"
  api_key = env("KALEYRA_API_KEY")
}

provider "kaleyra" {
  alias   = "mine"
  sid     = "HXTEST0002IN"
  api_key = local.key
}

locals {
  key   = env("MY_KEY")
  empty = {}
`
	for i, e := range exprs {
		src += fmt.Sprintf("  x%d = %s\n", i, e)
	}
	src += "}\n"
	dir := writeConfig(t, map[string]string{"m.herald.hcl": src})
	_, files, diags := Load(Options{Dir: dir, LookupEnv: envOf(map[string]string{"KALEYRA_API_KEY": key, "MY_KEY": other})})
	var text strings.Builder
	hcl.NewDiagnosticTextWriter(&text, files, 100, false).WriteDiagnostics(diags)
	for _, secret := range []string{key, tok, other} {
		if strings.Contains(text.String(), secret) {
			t.Errorf("the diagnostics show %s:\n%s", secret, text.String())
		}
	}
	// Every expression fails, each at its own line.
	lines := map[int]bool{}
	for _, d := range diags {
		if d.Subject != nil {
			lines[d.Subject.Start.Line] = true
		}
	}
	for i, e := range exprs {
		if line := 22 + i; !lines[line] {
			t.Errorf("no diagnostic at line %d (%s); got:\n%s", line, e, text.String())
		}
	}
}

// TestCredentialEnvStaysUsable: marking the key's env() result keeps it
// working where it belongs, and leaves other env() results unmarked.
func TestCredentialEnvStaysUsable(t *testing.T) {
	dir := writeConfig(t, map[string]string{"m.herald.hcl": `
provider "kaleyra" {
  sid     = "HXTEST0001IN"
  api_key = trimspace(env("KALEYRA_API_KEY"))
}

sender "ops" {
  number = "+12025550100"
}

message "m" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Build ${env("BUILD")}"
  ref  = "r-${env("BUILD")}"
}
`})
	res := mustLoad(t, Options{Dir: dir, LookupEnv: envOf(map[string]string{"KALEYRA_API_KEY": " key \n", "BUILD": "42"})})
	if got := res.Providers["kaleyra"].APIKey; got != "key" {
		t.Errorf("api key %q, want %q", got, "key")
	}
	if res.DeliveryCount() != 1 || res.Instances[0].Sensitive || res.Instances[0].Ref != "r-42" {
		t.Errorf("instances %+v; want one delivery, not sensitive, with ref r-42", res.Instances)
	}
}

// TestAPIKeyWithLineBreak: a key read with its final newline is refused
// for sending at its line, without showing it; validate and plan still
// work.
func TestAPIKeyWithLineBreak(t *testing.T) {
	dir := writeConfig(t, map[string]string{"m.herald.hcl": `
provider "kaleyra" {
  sid     = "HXTEST0001IN"
  api_key = env("KALEYRA_API_KEY")
}
`})
	res := mustLoad(t, Options{Dir: dir, LookupEnv: envOf(map[string]string{"KALEYRA_API_KEY": "k3yLEAK\n"})})
	diags := res.Credentials("kaleyra")
	if len(diags) != 1 || diags[0].Summary != "Invalid api_key" || !strings.Contains(diags[0].Detail, "line break") || diags[0].Subject.Start.Line != 4 {
		t.Fatalf("credentials: %s; want one Invalid api_key at line 4 naming the line break", diags.Error())
	}
	if strings.Contains(diags[0].Detail, "k3yLEAK") {
		t.Errorf("the diagnostic shows the key: %s", diags[0].Detail)
	}
}
