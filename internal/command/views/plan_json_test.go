package views

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

func renderPlanJSON(t testing.TB, p *plans.Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := PlanJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPlanJSONGolden(t *testing.T) {
	for _, fx := range fxPlans {
		t.Run(fx.name, func(t *testing.T) {
			fxGolden(t, "plan_json_"+fx.name+".golden", renderPlanJSON(t, fx.plan()))
		})
	}
}

// Every fixture's document, and one read back from a saved plan, is valid
// against schema/plan.schema.json.
func TestPlanJSONMatchesSchema(t *testing.T) {
	schema := loadSchema(t, "plan.schema.json")
	cases := map[string]*plans.Plan{}
	for _, fx := range fxPlans {
		cases[fx.name] = fx.plan()
	}
	var saved bytes.Buffer
	if err := plans.Write(&saved, fxSensitive()); err != nil {
		t.Fatal(err)
	}
	readBack, err := plans.Read(&saved)
	if err != nil {
		t.Fatal(err)
	}
	cases["sensitive read from a saved plan"] = readBack
	cases["variables of every kind"] = &plans.Plan{Variables: []plans.Variable{
		{Name: "s", Value: cty.StringVal("x")},
		{Name: "n", Value: cty.NumberFloatVal(1.5)},
		{Name: "b", Value: cty.False},
		{Name: "l", Value: cty.ListVal([]cty.Value{cty.StringVal("a")})},
		{Name: "m", Value: cty.MapVal(map[string]cty.Value{"k": cty.NumberIntVal(1)})},
		{Name: "o", Value: cty.ObjectVal(map[string]cty.Value{"a": cty.NullVal(cty.String)})},
		{Name: "null", Value: cty.NullVal(cty.String)},
		{Name: "unset", Value: cty.NilVal},
		{Name: "secret", Value: cty.NilVal, Sensitive: true},
	}}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(renderPlanJSON(t, p)))
			if err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("output does not match the schema: %v", err)
			}
		})
	}
}

// The schema is precise: it refuses documents that break its rules, so the
// test above means something.
func TestPlanSchemaRefuses(t *testing.T) {
	schema := loadSchema(t, "plan.schema.json")
	good := string(renderPlanJSON(t, fxMixed()))
	sensitive := string(renderPlanJSON(t, fxSensitive()))
	tests := []struct {
		name, doc string
	}{
		{"unknown action", strings.Replace(good, `"action":"retry"`, `"action":"maybe"`, 1)},
		{"missing summary field", strings.Replace(good, `"already_sent":90,`, ``, 1)},
		{"send with a prior record", strings.Replace(good, `"action":"none"`, `"action":"send"`, 1)},
		{"sensitive body shown", strings.Replace(sensitive, `"sensitive":true}`, `"sensitive":true,"body":"x"}`, 1)},
		{"sensitive variable with a value", strings.Replace(good, `{"sensitive":true}`, `{"sensitive":true,"value":"x"}`, 1)},
		{"bad digest", strings.Replace(good, `"digest":"`, `"digest":"xyz`, 1)},
		{"extra field", strings.Replace(good, `"lineage":`, `"api_key":"k","lineage":`, 1)},
		{"number not E.164", strings.Replace(good, `"recipient":"+12025551000"`, `"recipient":"12025551000"`, 1)},
		{"template without params", strings.Replace(good, `,"params":[{"name":"version","value":"v1.2.3"},{"name":"eta","value":"today"}]`, ``, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.doc == good || tt.doc == sensitive {
				t.Fatal("the test's edit did not apply")
			}
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(doc) == nil {
				t.Error("the schema accepted the document")
			}
		})
	}
}

func TestPlanJSONContent(t *testing.T) {
	var doc struct {
		FormatVersion string                     `json:"format_version"`
		Variables     map[string]json.RawMessage `json:"variables"`
		Summary       plans.Summary              `json:"summary"`
		Deliveries    []struct {
			Address string          `json:"address"`
			Action  string          `json:"action"`
			Content json.RawMessage `json:"content"`
		} `json:"deliveries"`
	}
	p := fxMixed()
	if err := json.Unmarshal(renderPlanJSON(t, p), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != PlanJSONFormatVersion {
		t.Errorf("format_version %q", doc.FormatVersion)
	}
	if diff := cmp.Diff(p.Summary(), doc.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	var changes []plans.Change
	var addrs []string
	for _, ic := range p.Instances {
		for _, c := range ic.Changes {
			changes = append(changes, c)
			addrs = append(addrs, ic.Instance.Address.String())
		}
	}
	if len(doc.Deliveries) != len(changes) {
		t.Fatalf("%d deliveries, want one per change (%d)", len(doc.Deliveries), len(changes))
	}
	for i, d := range doc.Deliveries {
		if c := changes[i]; d.Address != addrs[i] || d.Action != c.Action.String() {
			t.Errorf("delivery %d is %s %s, want %s %s: the order must be the plan's", i, d.Address, d.Action, addrs[i], c.Action)
		}
	}
	if got := string(doc.Variables["token"]); got != `{"sensitive":true}` {
		t.Errorf("sensitive variable rendered as %s", got)
	}
	if got := string(doc.Variables["release"]); got != `{"value":"v1.2.3","sensitive":false}` {
		t.Errorf("variable rendered as %s", got)
	}

	out := string(renderPlanJSON(t, fxSensitive()))
	for _, secret := range []string{"4711-SECRET", "SECRET-VERSION"} {
		if strings.Contains(out, secret) {
			t.Errorf("sensitive value %q in the JSON plan", secret)
		}
	}
}

// Speed is BenchmarkPlanJSON100k's business; this checks that a large plan
// still renders as one valid document.
func TestPlanJSONLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("slow in -short")
	}
	out := renderPlanJSON(t, fxLarge(10, 10000))
	if !json.Valid(out) {
		t.Error("output is not valid JSON")
	}
}

func BenchmarkPlanJSON100k(b *testing.B) {
	p := fxLarge(10, 10000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := PlanJSON(&buf, p); err != nil {
			b.Fatal(err)
		}
	}
}

// loadSchema compiles one of the repository's schema/ files.
func loadSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("..", "..", "..", "schema", name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %s", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s: %s", path, err)
	}
	return schema
}

// appendDelivery writes by hand what json.Marshal would write for this
// struct; the struct is the reference.
type jsonDeliveryReference struct {
	Address      string              `json:"address"`
	Key          jsonKey             `json:"key"`
	Recipient    string              `json:"recipient"`
	Action       plans.Action        `json:"action"`
	Reason       string              `json:"reason"`
	ActionReason plans.Reason        `json:"action_reason"`
	Content      json.RawMessage     `json:"content"`
	Digest       string              `json:"digest"`
	SenderName   string              `json:"sender_name"`
	CallbackURL  string              `json:"callback_url"`
	Provider     string              `json:"provider"`
	DependsOn    []string            `json:"depends_on"`
	Prior        *jsonPriorReference `json:"prior,omitempty"`
	Warnings     []struct {
		Warning plans.Warning `json:"warning"`
		Message string        `json:"message"`
	} `json:"warnings,omitempty"`
}

type jsonPriorReference struct {
	Status    string       `json:"status"`
	Digest    string       `json:"digest"`
	Address   string       `json:"address"`
	ErrorCode string       `json:"error_code,omitempty"`
	ErrorText string       `json:"error_text,omitempty"`
	Receipt   *jsonReceipt `json:"receipt,omitempty"`
}

func TestAppendDeliveryMatchesEncodingJSON(t *testing.T) {
	tricky := []string{"", "plain", `quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline\x00\x1f", "héllo wörld ✓ 😀", "line\u2028sep", "bad utf8 \xff\xfe"}
	for _, s := range tricky {
		d := fxMessage("m", s, fxText(s))
		d.Ref1, d.Ref2, d.CallbackURL, d.SenderName = s, s, s, s
		d.DependsOn = []addrs.Message{{Name: "a"}, {Name: s}}
		for _, c := range fxChanges(d, plans.Unknown, 0, 1).changes {
			c.Prior.ErrorCode, c.Prior.ErrorText, c.Prior.Address = s, s, s
			content, err := json.Marshal(jsonContentOf(d))
			if err != nil {
				t.Fatal(err)
			}
			ref := jsonDeliveryReference{
				Address: d.Address.String(), Key: jsonKeyOf(d.Key(c.Recipient)), Recipient: c.Recipient,
				Action: c.Action, Reason: reasonSentence(c.Reason, c.Prior), ActionReason: c.Reason, Content: content, Digest: string(d.Digest),
				SenderName: s, CallbackURL: s, Provider: d.Provider, DependsOn: []string{"message.a", "message." + s},
			}
			ref.Prior = &jsonPriorReference{string(c.Prior.Status), string(c.Prior.Digest), s, s, s, nil}
			check := func(what string) {
				t.Helper()
				want, err := json.Marshal(ref)
				if err != nil {
					t.Fatal(err)
				}
				shared, err := jsonInstanceOf(d)
				if err != nil {
					t.Fatal(err)
				}
				got := appendDelivery(nil, d, &c, &shared)
				if !bytes.Equal(got, want) {
					t.Errorf("for %q %s:\n got %s\nwant %s", s, what, got, want)
				}
				if !json.Valid(got) {
					t.Errorf("invalid JSON for %q %s: %s", s, what, got)
				}
			}
			check("")
			// With a receipt, a known code and a warning.
			for _, code := range []string{s, "131026"} {
				c.Prior.Receipt = &states.Receipt{Status: states.ReceiptFailed, ErrorCode: code, ErrorText: s, At: time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("X", 5*3600+1800))}
				c.Warning = plans.OutsideWindow
				ref.Prior.Receipt = jsonReceiptOf(c.Prior.Receipt)
				ref.Warnings = []struct {
					Warning plans.Warning `json:"warning"`
					Message string        `json:"message"`
				}{{plans.OutsideWindow, warningSentence(plans.OutsideWindow)}}
				check("with a receipt and a warning")
			}
		}
	}
}

// TestChangedContentHidesSensitive: the diffs of changed content show
// non-sensitive fields only; sensitive content shows as (sensitive) in
// every view.
func TestChangedContentHidesSensitive(t *testing.T) {
	var text, js, md bytes.Buffer
	p := fxChanged()
	PlanText(&text, p, TextOptions{})
	if err := PlanJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	if err := PlanMarkdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "json": js.String(), "markdown": md.String()} {
		if strings.Contains(out, "SECRET") {
			t.Errorf("the %s plan shows sensitive content:\n%s", name, out)
		}
		if name != "json" && !strings.Contains(out, "~ content = (sensitive)") {
			t.Errorf("the %s plan does not mark the sensitive change", name)
		}
		if n := strings.Count(out, `"v1.2.3" -> "v1.2.4"`); name != "json" && n != 1 {
			t.Errorf("the %s plan shows the change of message.announce %d times, want once", name, n)
		}
	}
}
