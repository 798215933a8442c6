package plans_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// instance builds message NAME (or NAME["KEY"] with key set) from
// +12025550100 to recipients.
func instance(name, key string, content delivery.Content, recipients ...string) *delivery.Instance {
	addr := addrs.Message{Name: name}.Instance(addrs.NoKey)
	ref := "ref-" + name
	if key != "" {
		addr = addrs.Message{Name: name}.Instance(addrs.StringKey(key))
		ref += "-" + key
	}
	return &delivery.Instance{
		Address:    addr,
		Channel:    "whatsapp",
		Sender:     "+12025550100",
		Ref:        ref,
		Content:    content,
		Digest:     content.Digest(),
		Provider:   "kaleyra",
		SenderName: "ops",
		Recipients: recipients,
	}
}

// plan is the InstanceChange of in with one change per recipient, each as
// changes gives it; a change's Recipient is filled in.
func plan(in *delivery.Instance, changes ...plans.Change) plans.InstanceChange {
	for i := range changes {
		changes[i].Recipient = in.Recipients[i]
	}
	return plans.InstanceChange{Instance: in, Changes: changes}
}

func withPrior(in *delivery.Instance, c plans.Change, recipient string, status states.Status, digest delivery.Digest, code, text string) plans.Change {
	c.Prior = &states.Delivery{Key: in.Key(recipient), Address: in.Address.String(), Digest: digest, Status: status, ErrorCode: code, ErrorText: text}
	return c
}

func withReceipt(c plans.Change, r states.Receipt) plans.Change {
	c.Prior.Receipt = &r
	return c
}

var (
	textContent     = delivery.Content{Type: delivery.Text, Body: "Rollout v1.2 <complete> & \"done\"\nsecond line"}
	templateContent = delivery.Content{Type: delivery.Template, TemplateName: "release_announcement", Language: "en",
		Params: []delivery.Param{{Name: "version", Value: "v1.2"}, {Name: "eta", Value: "today"}}}
	send = plans.Change{Action: plans.Send, Reason: plans.NotInState}
	// priorContent is what a delivery changed after sending was sent.
	priorContent = delivery.Content{Type: delivery.Template, TemplateName: "release_announcement", Language: "en",
		Params: []delivery.Param{{Name: "version", Value: "v1.1"}, {Name: "eta", Value: "today"}}}
)

// examplePlan has one of everything a saved plan must keep.
func examplePlan() *plans.Plan {
	announce := instance("announce", "", templateContent, "+12025550123", "+12025550124", "+12025550125")
	done := instance("done", "wave-1", textContent, "+12025550123")
	done.CallbackURL = "https://hooks.example.com/kaleyra"
	done.DependsOn = []addrs.Message{{Name: "announce"}}
	done.Ref1, done.Ref2 = "rollout", "wave-1"
	done.Provider = "kaleyra.eu"
	receipted := instance("receipted", "", templateContent, "+12025550123", "+12025550124")
	return &plans.Plan{
		Variables: []plans.Variable{
			{Name: "release", Value: cty.StringVal("v1.2")},
			{Name: "token", Value: cty.NilVal, Sensitive: true},
			{Name: "waves", Value: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
			{Name: "limits", Value: cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(3), "on": cty.True, "none": cty.NullVal(cty.String)})},
		},
		Instances: []plans.InstanceChange{
			plan(announce,
				withPrior(announce, plans.Change{Action: plans.None, Reason: plans.AlreadySent}, "+12025550123", states.Sent, templateContent.Digest(), "", ""),
				withPrior(announce, plans.Change{Action: plans.Retry, Reason: plans.FailedBefore}, "+12025550124", states.Failed, templateContent.Digest(), "E13009", "to number invalid"),
				withPrior(announce, plans.Change{Action: plans.Changed, Reason: plans.ContentChanged}, "+12025550125", states.Sent, priorContent.Digest(), "", "")),
			plan(done, plans.Change{Action: plans.Send, Reason: plans.NotInState, Warning: plans.OutsideWindow}),
			plan(instance("done", "wave-2", textContent, "+12025550123"), send),
			plan(receipted,
				withReceipt(withPrior(receipted, plans.Change{Action: plans.Retry, Reason: plans.FailedAfterSend}, "+12025550123", states.Sent, templateContent.Digest(), "", ""),
					states.Receipt{Status: states.ReceiptFailed, ErrorCode: "131026", ErrorText: "Message undeliverable", At: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)}),
				withReceipt(withPrior(receipted, plans.Change{Action: plans.None, Reason: plans.AlreadySent}, "+12025550124", states.Sent, templateContent.Digest(), "", ""),
					states.Receipt{Status: states.Read, At: time.Date(2026, 1, 2, 3, 6, 0, 0, time.UTC)})),
		},
		NoLongerDeclared: []*states.Delivery{{
			Key:     delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: "+12025550199", Ref: "old"},
			Address: "message.old", Digest: "abcd", Status: states.Sent, RequestID: "req-1", MessageID: "msg-1",
			Attempts: 1, FirstSent: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
		}},
		PriorContents: map[delivery.Digest]delivery.Content{priorContent.Digest(): priorContent},
		Lineage:       "8d0c2f6e-lineage",
		Serial:        42,
		Targeted:      true,
		Providers:     map[string]string{"kaleyra": "https://api.in.kaleyra.io sid=HX1 method=POST encoding=form sandbox=false recipients_per_request=1"},
		HeraldVersion: "0.1.0-test",
	}
}

var instanceKeys = cmp.Comparer(func(a, b addrs.InstanceKey) bool { return a == b })

var ctyValues = cmp.Comparer(func(a, b cty.Value) bool {
	if a.Type() == cty.NilType || b.Type() == cty.NilType {
		return a.Type() == b.Type()
	}
	return a.RawEquals(b)
})

func TestFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "release.plan")
	want := examplePlan()
	if err := plans.WriteFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := plans.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ctyValues, instanceKeys); diff != "" {
		t.Errorf("plan changed in a round trip (-want +got):\n%s", diff)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("plan file mode is %v, want 0600: it holds phone numbers", mode)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*tmp*")); len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestFileOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "release.plan")
	if err := os.WriteFile(path, []byte("an older, longer file that must not survive in part"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &plans.Plan{Lineage: "l", Serial: 1}
	if err := plans.WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	got, err := plans.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, ctyValues, instanceKeys); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A sensitive delivery keeps its digest and content type; its body and
// params never reach the file. A sensitive variable keeps only its name.
func TestFileSensitive(t *testing.T) {
	const secretBody = "the launch code is 0000-SECRET-BODY"
	const secretParam = "SECRET-PARAM-VALUE"
	const secretVar = "SECRET-VARIABLE-VALUE"
	text := instance("secret", "", delivery.Content{Type: delivery.Text, Body: secretBody}, "+12025550123")
	text.Sensitive = true
	tmpl := instance("secret_tmpl", "", delivery.Content{Type: delivery.Template, TemplateName: "t",
		Params: []delivery.Param{{Name: "code", Value: secretParam}}}, "+12025550123")
	tmpl.Sensitive = true
	p := &plans.Plan{
		Lineage:   "l",
		Variables: []plans.Variable{{Name: "code", Value: cty.StringVal(secretVar), Sensitive: true}},
		Instances: []plans.InstanceChange{plan(text, send), plan(tmpl, send)},
	}

	var buf bytes.Buffer
	if err := plans.Write(&buf, p); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{secretBody, secretParam, secretVar} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the saved plan contains the sensitive value %q:\n%s", secret, buf.String())
		}
	}

	got, err := plans.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Variables[0]; v.Name != "code" || !v.Sensitive || v.Value != cty.NilVal {
		t.Errorf("sensitive variable read back as %#v, want only its name and the flag", v)
	}
	for i, ic := range got.Instances {
		want := p.Instances[i].Instance
		if !ic.Instance.Sensitive || ic.Instance.Digest != want.Digest {
			t.Errorf("instance %d: sensitive=%v digest=%s, want sensitive with digest %s", i, ic.Instance.Sensitive, ic.Instance.Digest, want.Digest)
		}
		if diff := cmp.Diff(delivery.Content{Type: want.Content.Type}, ic.Instance.Content); diff != "" {
			t.Errorf("instance %d: content read back (-want +got):\n%s", i, diff)
		}
	}
}

// No field of a Plan can hold provider settings or anything named like a
// key, so the API key cannot reach a saved plan even if someone later adds
// fields carelessly; and a real plan's file has no key in it.
func TestFileNeverHoldsAPIKey(t *testing.T) {
	settings := reflect.TypeOf(kaleyra.Settings{})
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string) []string
	walk = func(ty reflect.Type, path string) []string {
		if seen[ty] {
			return nil
		}
		seen[ty] = true
		if ty == settings {
			return []string{path + " is a kaleyra.Settings"}
		}
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			return walk(ty.Elem(), path+"[]")
		case reflect.Map:
			return append(walk(ty.Key(), path+"{key}"), walk(ty.Elem(), path+"{}")...)
		case reflect.Struct:
			var bad []string
			for i := range ty.NumField() {
				f := ty.Field(i)
				if strings.Contains(strings.ToLower(f.Name), "apikey") || strings.Contains(strings.ToLower(f.Name), "secret") {
					bad = append(bad, path+"."+f.Name+" looks like a credential")
				}
				bad = append(bad, walk(f.Type, path+"."+f.Name)...)
			}
			return bad
		}
		return nil
	}
	for _, problem := range walk(reflect.TypeOf(plans.Plan{}), "Plan") {
		t.Error(problem)
	}

	// The provider's settings, with a key no one would type by accident,
	// exist alongside the plan as they do in a real run.
	s := kaleyra.Settings{Address: "kaleyra", SID: "HXAP16XXXXXX17IN", APIKey: "Ak-DISTINCTIVE-7f3e9b1c-KEY"}
	var buf bytes.Buffer
	if err := plans.Write(&buf, examplePlan()); err != nil {
		t.Fatal(err)
	}
	for _, forbidden := range []string{s.APIKey, "api_key", "api-key", "apikey"} {
		if strings.Contains(strings.ToLower(buf.String()), strings.ToLower(forbidden)) {
			t.Errorf("saved plan contains %q", forbidden)
		}
	}
}

func TestFileRefusesBadFiles(t *testing.T) {
	var good bytes.Buffer
	if err := plans.Write(&good, examplePlan()); err != nil {
		t.Fatal(err)
	}
	valid := good.String()
	tests := []struct {
		name    string
		content string
		want    error
		wantMsg string
	}{
		{"edited", strings.Replace(valid, "+12025550124", "+12025550999", 1), plans.ErrCorrupt, "checksum does not match"},
		{"action edited", strings.Replace(valid, `"action":"none"`, `"action":"send"`, 1), plans.ErrCorrupt, "checksum"},
		{"one bit flipped", flipByte(valid, len(valid)/2), plans.ErrCorrupt, ""},
		{"truncated", valid[:len(valid)/2], plans.ErrCorrupt, "checksum does not match"},
		{"truncated in the header", valid[:30], plans.ErrCorrupt, "not complete"},
		{"something appended", valid + "{}\n", plans.ErrCorrupt, "checksum"},
		{"empty", "", plans.ErrNotPlan, "herald plan -out=FILE"},
		{"a state file", `{"version":1,"lineage":"x","serial":3,"deliveries":[]}`, plans.ErrNotPlan, ""},
		{"not json", "# just text\n", plans.ErrNotPlan, ""},
		{"newer format", strings.Replace(valid, `"format_version":3`, `"format_version":7`, 1), nil, "plan format 7, which this herald (format 3) cannot read"},
		{"older format", strings.Replace(valid, `"format_version":3`, `"format_version":1`, 1), nil, "no longer reads"},
		{"older format says what to do", strings.Replace(valid, `"format_version":3`, `"format_version":1`, 1), nil, `run "herald plan -out=FILE" again`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.plan")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := plans.ReadFile(path)
			if err == nil {
				t.Fatalf("ReadFile accepted the file: %+v", p)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q should name the file and say %q", err, tt.wantMsg)
			}
		})
	}
}

// A writer bug that stores content not matching its digest is caught even
// though the checksum (computed over the bad content) matches.
func TestFileRefusesInconsistentContent(t *testing.T) {
	in := instance("announce", "", textContent, "+12025550123")
	in.Digest = delivery.Content{Type: delivery.Text, Body: "something else"}.Digest()
	var buf bytes.Buffer
	if err := plans.Write(&buf, &plans.Plan{Instances: []plans.InstanceChange{plan(in, send)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := plans.Read(&buf); !errors.Is(err, plans.ErrCorrupt) {
		t.Errorf("Read: got %v, want an error wrapping ErrCorrupt", err)
	}

	// A prior content stored under a digest it does not have would show
	// a diff of something never sent.
	buf.Reset()
	prior := plans.Plan{Lineage: "l", PriorContents: map[delivery.Digest]delivery.Content{textContent.Digest(): {Type: delivery.Text, Body: "never sent"}}}
	if err := plans.Write(&buf, &prior); err != nil {
		t.Fatal(err)
	}
	if _, err := plans.Read(&buf); !errors.Is(err, plans.ErrCorrupt) {
		t.Errorf("Read of a mismatched prior content: got %v, want an error wrapping ErrCorrupt", err)
	}
}

func TestWriteFileMissingFolder(t *testing.T) {
	err := plans.WriteFile(filepath.Join(t.TempDir(), "no", "such", "x.plan"), examplePlan())
	if err == nil || !strings.Contains(err.Error(), "saving plan") {
		t.Errorf("got %v, want a saving plan error", err)
	}
}

func flipByte(s string, i int) string {
	b := []byte(s)
	b[i] ^= 0x01
	return string(b)
}

// BenchmarkFile100k writes and reads a saved plan of 10 messages x 10,000
// recipients, all already sent: the size apply PLANFILE must handle.
func BenchmarkFile100k(b *testing.B) {
	p := &plans.Plan{Lineage: "l", Serial: 1}
	for m := range 10 {
		in := instance(fmt.Sprintf("m%d", m), "", textContent)
		ic := plans.InstanceChange{Instance: in}
		for r := range 10000 {
			n := fmt.Sprintf("+1202555%04d", r)
			in.Recipients = append(in.Recipients, n)
			c := withPrior(in, plans.Change{Recipient: n, Action: plans.None, Reason: plans.AlreadySent}, n, states.Sent, textContent.Digest(), "", "")
			ic.Changes = append(ic.Changes, c)
		}
		p.Instances = append(p.Instances, ic)
	}
	path := filepath.Join(b.TempDir(), "big.plan")
	b.ReportAllocs()
	for b.Loop() {
		if err := plans.WriteFile(path, p); err != nil {
			b.Fatal(err)
		}
		if _, err := plans.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
	if info, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(info.Size())/(1<<20), "MiB/file")
	}
}

// TestWriteFileThroughLink: a plan saved to a link replaces the link's
// target, as the state file does, never the link.
func TestWriteFileThroughLink(t *testing.T) {
	target := filepath.Join(t.TempDir(), "release.plan")
	link := filepath.Join(t.TempDir(), "release.plan")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	p := examplePlan()
	if err := plans.WriteFile(link, p); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file (mode %v, error %v)", info.Mode(), err)
	}
	if _, err := plans.ReadFile(target); err != nil {
		t.Errorf("the link's target is not the plan: %v", err)
	}
}

// A plan saved in format 2, before receipts and warnings, still reads: it
// is a format 3 plan without them.
func TestFileReadsFormat2(t *testing.T) {
	want := examplePlan()
	want.Instances = want.Instances[:3]
	want.Instances[1].Changes[0].Warning = 0
	var buf bytes.Buffer
	if err := plans.Write(&buf, want); err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(buf.String(), `"format_version":3`, `"format_version":2`, 1)
	if old == buf.String() {
		t.Fatal("no format_version 3 in the header")
	}
	got, err := plans.Read(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ctyValues, instanceKeys); diff != "" {
		t.Errorf("a format 2 plan read differently (-want +got):\n%s", diff)
	}
}
