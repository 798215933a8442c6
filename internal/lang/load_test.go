package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/lang/langtest"
)

// writeConfig writes files into a new temporary folder and returns it.
func writeConfig(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func mustLoad(t *testing.T, opts Options) *Result {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = envOf(nil)
	}
	res, _, diags := Load(opts)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diags.Error())
	}
	return res
}

const basics = `
provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

provider "kaleyra" {
  alias   = "eu"
  sid     = "HXTEST0002EU"
  api_key = "secret"
  region  = "eu"
}

sender "ops" {
  number = "+12025550100"
}

sender "eu" {
  number   = "+12025550101"
  provider = kaleyra.eu
}

recipients "team" {
  numbers = ["+12025550123", "+12025550124"]
}

template "notice" {
  name     = "release_announcement"
  language = "en"
  params   = ["version", "eta"]
}
`

func TestLoadDeliveries(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"a.herald.hcl": basics,
		"b.herald.hcl": `
message "announce" {
  from         = sender.ops
  to           = [recipients.team, "+12025550199"]
  template     = template.notice
  params       = { eta = "today", version = "v1" }
  ref          = "release-v1"
  ref1         = "rollout"
  callback_url = "https://hooks.example.com/k"
}

message "done" {
  for_each   = { b = "+12025550124", a = "+12025550123" }
  from       = sender.eu
  to         = [each.value]
  body       = "Wave ${each.key} done"
  ref        = "done"
  ref2       = each.key
  depends_on = [message.announce]
}
`,
	})
	res := mustLoad(t, Options{Dir: dir})

	notice := delivery.Content{
		Type: delivery.Template, TemplateName: "release_announcement", Language: "en",
		Params: []delivery.Param{{Name: "version", Value: "v1"}, {Name: "eta", Value: "today"}},
	}
	done := func(key, to string) *delivery.Instance {
		c := delivery.Content{Type: delivery.Text, Body: "Wave " + key + " done"}
		return &delivery.Instance{
			Address:    addrs.Message{Name: "done"}.Instance(addrs.StringKey(key)),
			Channel:    "whatsapp",
			Sender:     "+12025550101",
			Ref:        "done",
			Ref2:       key,
			Content:    c,
			Digest:     c.Digest(),
			Provider:   "kaleyra.eu",
			SenderName: "eu",
			DependsOn:  []addrs.Message{{Name: "announce"}},
			Recipients: []string{to},
		}
	}
	want := []*delivery.Instance{
		{
			Address:     addrs.Message{Name: "announce"}.Instance(addrs.NoKey),
			Channel:     "whatsapp",
			Sender:      "+12025550100",
			Ref:         "release-v1",
			Ref1:        "rollout",
			Content:     notice,
			Digest:      notice.Digest(),
			CallbackURL: "https://hooks.example.com/k",
			Provider:    "kaleyra",
			SenderName:  "ops",
			Recipients:  []string{"+12025550123", "+12025550124", "+12025550199"},
		},
		done("a", "+12025550123"), done("b", "+12025550124"),
	}
	if diff := cmp.Diff(want, res.Instances, cmp.AllowUnexported(addrs.InstanceKey{})); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	if n := res.DeliveryCount(); n != 5 {
		t.Errorf("DeliveryCount = %d, want 5", n)
	}
	if got := res.Providers["kaleyra.eu"]; got.APIKey != "secret" || got.Region != "eu" || got.SID != "HXTEST0002EU" {
		t.Errorf("provider kaleyra.eu = %#v", got)
	}
	if got := res.Providers["kaleyra"]; !got.Emulator || got.MessagesPerSecond != 80 || got.RecipientsPerRequest != 1 {
		t.Errorf("provider kaleyra = %#v", got)
	}
	if res.StatePath != "herald.state" {
		t.Errorf("StatePath = %q", res.StatePath)
	}
}

func TestDigestIgnoresNames(t *testing.T) {
	msg := func(name string) string {
		return basics + `
message "` + name + `" {
  from = sender.ops
  to   = recipients.team
  body = "same words"
  ref  = "r"
}
`
	}
	a := mustLoad(t, Options{Dir: writeConfig(t, map[string]string{"m.herald.hcl": msg("first")})})
	b := mustLoad(t, Options{Dir: writeConfig(t, map[string]string{"m.herald.hcl": msg("renamed")})})
	ai, bi := a.Instances[0], b.Instances[0]
	if ai.Key(ai.Recipients[0]) != bi.Key(bi.Recipients[0]) || ai.Digest != bi.Digest {
		t.Errorf("renaming a block changed key or digest: %v / %v", ai, bi)
	}
}

func TestVariablePrecedence(t *testing.T) {
	const decl = `
variable "v" {
  type    = string
  default = "default"
}

variable "n" {
  type    = list(number)
  default = []
}
`
	tests := []struct {
		name  string
		files map[string]string
		env   map[string]string
		args  []VarArg
		want  string
	}{
		{name: "default", want: "default"},
		{name: "environment", env: map[string]string{"HERALD_VAR_v": "env"}, want: "env"},
		{
			name:  "herald.vars.hcl over environment",
			env:   map[string]string{"HERALD_VAR_v": "env"},
			files: map[string]string{"herald.vars.hcl": `v = "vars"`},
			want:  "vars",
		},
		{
			name:  "auto vars over herald.vars.hcl, lexical order",
			files: map[string]string{"herald.vars.hcl": `v = "vars"`, "b.auto.vars.hcl": `v = "b"`, "a.auto.vars.hcl": `v = "a"`},
			want:  "b",
		},
		{
			name:  "-var over auto vars",
			files: map[string]string{"a.auto.vars.hcl": `v = "a"`},
			args:  []VarArg{{Value: "v=flag"}},
			want:  "flag",
		},
		{
			name:  "later -var-file over earlier -var",
			files: map[string]string{"x.hcl": `v = "file"`},
			args:  []VarArg{{Value: "v=flag"}, {File: true, Value: "x.hcl"}},
			want:  "file",
		},
		{
			name:  "later -var over earlier JSON -var-file",
			files: map[string]string{"x.json": `{"v": "json"}`},
			args:  []VarArg{{File: true, Value: "x.json"}, {Value: "v=flag"}},
			want:  "flag",
		},
		{name: "string -var taken raw", args: []VarArg{{Value: `v=a "quoted" = value`}}, want: `a "quoted" = value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"v.herald.hcl": decl}
			for k, v := range tt.files {
				files[k] = v
			}
			res := mustLoad(t, Options{Dir: writeConfig(t, files), Args: tt.args, LookupEnv: envOf(tt.env)})
			for _, v := range res.Variables {
				if v.Name == "v" && v.Value.AsString() != tt.want {
					t.Errorf("var.v = %q, want %q", v.Value.AsString(), tt.want)
				}
			}
		})
	}

	// As in Terraform, a variable without a type takes text as a string:
	// -var release=v1.4.0 must not be read as a reference.
	t.Run("untyped value taken raw", func(t *testing.T) {
		const untyped = `
variable "release" {
  default = "v0"
}
`
		for _, opts := range []Options{
			{Args: []VarArg{{Value: "release=v1.4.0"}}},
			{LookupEnv: envOf(map[string]string{"HERALD_VAR_release": "v1.4.0"})},
		} {
			opts.Dir = writeConfig(t, map[string]string{"v.herald.hcl": untyped})
			res := mustLoad(t, opts)
			if got := res.Variables[0].Value; !got.RawEquals(cty.StringVal("v1.4.0")) {
				t.Errorf("var.release = %#v, want \"v1.4.0\"", got)
			}
		}
	})

	t.Run("non-string value parsed as HCL", func(t *testing.T) {
		res := mustLoad(t, Options{
			Dir:       writeConfig(t, map[string]string{"v.herald.hcl": decl}),
			LookupEnv: envOf(map[string]string{"HERALD_VAR_n": "[1, 2]"}),
		})
		want := cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)})
		if got := res.Variables[0]; got.Name != "n" || !got.Value.RawEquals(want) {
			t.Errorf("var.n = %#v", got.Value)
		}
	})
}

func TestVariableErrors(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"v.herald.hcl":    `variable "v" { default = "d" }`,
		"a.auto.vars.hcl": `w = "undeclared in an automatic file is a warning"`,
	})
	tests := []struct {
		name    string
		args    []VarArg
		summary string
	}{
		{"no equals", []VarArg{{Value: "v"}}, "Invalid -var option"},
		{"undeclared", []VarArg{{Value: "vv=1"}}, "Value for undeclared variable"},
		{"missing file", []VarArg{{File: true, Value: "nope.hcl"}}, "Cannot read file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, diags := Load(Options{Dir: dir, Args: tt.args, LookupEnv: envOf(nil)})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			found := false
			for _, d := range diags {
				found = found || d.Summary == tt.summary
			}
			if !found {
				t.Errorf("want %q, got %s", tt.summary, diags.Error())
			}
		})
	}
	_, _, diags := Load(Options{Dir: dir, LookupEnv: envOf(nil)})
	if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "Value for undeclared variable" {
		t.Errorf("want one warning, got %v", diags)
	}
}

func TestSensitive(t *testing.T) {
	dir := writeConfig(t, map[string]string{"m.herald.hcl": basics + `
variable "secret" {
  default   = "s3cret"
  sensitive = true
}

message "body" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "code ${upper(var.secret)}"
  ref  = "body"
}

message "params" {
  from     = sender.ops
  to       = ["+12025550123"]
  template = template.notice
  params   = { version = var.secret, eta = "now" }
  ref      = "params"
}

message "ref_only" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "plain"
  ref  = "ref-${length(split("", var.secret))}"
}
`})
	res := mustLoad(t, Options{Dir: dir})
	want := map[string]bool{"body": true, "params": true, "ref_only": false}
	for _, d := range res.Instances {
		if d.Sensitive != want[d.Address.Message.Name] {
			t.Errorf("%s: Sensitive = %v", d.Address, d.Sensitive)
		}
	}
	if v := res.Variables[0]; !v.Sensitive || v.Value.IsMarked() {
		t.Errorf("variable: sensitive=%v marked=%v; want sensitive, unmarked value", v.Sensitive, v.Value.IsMarked())
	}
}

func TestCSVRecipients(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"people.csv": "name,phone\nada,+12025550123\nbob,+12025550124\n",
		"m.herald.hcl": basics + `
locals {
  people = csvdecode(file("people.csv"))
}

recipients "csv" {
  numbers = [for p in local.people : p.phone]
}

message "m" {
  from = sender.ops
  to   = [recipients.csv, [for p in local.people : p.phone if p.name == "ada"][0] == "+12025550123" ? "+12025550199" : "+12025550198"]
  body = "hello"
  ref  = "m"
}
`,
	})
	res := mustLoad(t, Options{Dir: dir})
	var got []string
	for _, in := range res.Instances {
		got = append(got, in.Recipients...)
	}
	if diff := cmp.Diff([]string{"+12025550123", "+12025550124", "+12025550199"}, got); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
}

func TestStatePath(t *testing.T) {
	dir := writeConfig(t, map[string]string{"h.herald.hcl": `herald { state_path = "state/x.state" }` + "\nmessage \"broken\" {}\n"})
	if got, diags := StatePath(dir); got != "state/x.state" || diags.HasErrors() {
		t.Errorf("StatePath = %q, %v", got, diags)
	}
	if got, _ := StatePath(t.TempDir()); got != "herald.state" {
		t.Errorf("StatePath of an empty folder = %q", got)
	}
}

// TestLargeConfig loads enough recipients for numbers to be checked in
// parallel (run it with -race too).
func TestLargeConfig(t *testing.T) {
	dir := t.TempDir()
	if err := langtest.WriteLargeConfig(dir, 3, 1000); err != nil {
		t.Fatal(err)
	}
	res := mustLoad(t, Options{Dir: dir})
	if n := res.DeliveryCount(); n != 3000 {
		t.Fatalf("got %d deliveries, want 3000", n)
	}
	last := res.Instances[len(res.Instances)-1]
	if r := last.Recipients[len(last.Recipients)-1]; r != langtest.Number(999) || last.Address.String() != "message.m2" {
		t.Errorf("last delivery = %s %s", last.Address, last.Key(r))
	}
}

// TestInvalidVarValueAlone checks that a -var or environment value that
// does not parse is the only error: the variable's validations are not run
// on the default it failed to replace.
func TestInvalidVarValueAlone(t *testing.T) {
	dir := writeConfig(t, map[string]string{"v.herald.hcl": `
variable "n" {
  type    = number
  default = 5
  validation {
    condition     = var.n > 10
    error_message = "The number must be above 10."
  }
}
`})
	for _, opts := range []Options{
		{Dir: dir, Args: []VarArg{{Value: "n=[1"}}, LookupEnv: envOf(nil)},
		{Dir: dir, LookupEnv: envOf(map[string]string{"HERALD_VAR_n": "eleven"})},
	} {
		_, _, diags := Load(opts)
		if len(diags) != 1 || !strings.Contains(diags[0].Detail, "var.n") || strings.Contains(diags[0].Detail, "above 10") {
			t.Errorf("want one diagnostic about the given value, got %s", diags.Error())
		}
	}
}

// TestDuplicateRecipientsAreCapped: 618,000 repeats were each an error,
// 150 MB of output. The first few are shown, then a count.
func TestDuplicateRecipientsAreCapped(t *testing.T) {
	const n = 1000
	dir := writeConfig(t, map[string]string{"m.herald.hcl": `
locals {
  many = [for i in range(` + strconv.Itoa(n) + `) : "+12025550123"]
}

recipients "r" {
  numbers = local.many
}

provider "kaleyra" {
  sid      = "HXTEST0001IN"
  emulator = true
}

sender "ops" {
  number = "+12025550100"
}

message "m" {
  from = sender.ops
  to   = local.many
  body = "hi"
  ref  = "r"
}
`})
	_, _, diags := Load(Options{Dir: dir, LookupEnv: envOf(nil)})
	counts := map[string]int{}
	for _, d := range diags {
		counts[d.Summary]++
		if d.Summary == "More duplicate recipients" && !strings.Contains(d.Detail, strconv.Itoa(n-1-maxNumberDiags)+" more numbers") {
			t.Errorf("the count says %q, want %d more", d.Detail, n-1-maxNumberDiags)
		}
	}
	if counts["Duplicate recipient"] != 2*maxNumberDiags || counts["More duplicate recipients"] != 2 {
		t.Errorf("got %v; want %d duplicates shown and one count for each of the two lists: %s", counts, 2*maxNumberDiags, diags.Error())
	}
}

// TestCSVWithByteOrderMark: a spreadsheet's CSV export starts with a BOM,
// which became part of the first column's name ("no attribute named
// "phone"").
func TestCSVWithByteOrderMark(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"people.csv": "\uFEFFphone,name\n+12025550123,ada\n",
		"m.herald.hcl": basics + `
recipients "csv" {
  numbers = [for p in csvdecode(file("people.csv")) : p.phone]
}
`,
	})
	res := mustLoad(t, Options{Dir: dir})
	if res == nil {
		t.Fatal("no result")
	}
}

// TestDistinctOverCSV: distinct and toset over a for expression of 10,000
// CSV rows (the README's idiom) load, and give go-cty's values. They took
// 268 s and 17 s when go-cty compared every pair; BenchmarkDistinctCSV
// measures them, and a return to that would run past go test's timeout.
func TestDistinctOverCSV(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("team,phone\n")
	for i := range 10000 {
		fmt.Fprintf(&csv, "team%d,%s\n", i%7, langtest.Number(i))
	}
	dir := writeConfig(t, map[string]string{"people.csv": csv.String(), "m.herald.hcl": `
locals {
  people = csvdecode(file("people.csv"))
  teams  = distinct([for p in local.people : p.team])
  set    = toset([for p in local.people : p.team])
  phones = distinct(tolist([for p in local.people : p.phone]))
}
`})
	_, _, diags := Load(Options{Dir: dir, LookupEnv: envOf(nil)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	s := newScope(dir, envOf(nil))
	for expr, want := range map[string]cty.Value{
		`distinct(["b", "a", "b"])`: cty.ListVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}),
		`toset(["b", "a", "b"])`:    cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		`tolist(toset(["b", "a"]))`: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		`distinct([1, 1, 2])`:       cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}),
		`tolist([])`:                cty.ListValEmpty(cty.DynamicPseudoType),
	} {
		e, _ := hclsyntax.ParseExpression([]byte(expr), "t", hcl.InitialPos)
		got, diags := e.Value(s.ctx)
		if diags.HasErrors() || !got.RawEquals(want) {
			t.Errorf("%s = %#v (%s), want %#v", expr, got, diags.Error(), want)
		}
	}
}
