package views

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// -update rewrites every golden file in testdata from the current output:
// text, JSON, Markdown, state and apply views alike.
var update = flag.Bool("update", false, "rewrite golden files in testdata")

// fxGolden compares got with testdata/NAME, or rewrites it under -update.
func fxGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

var fxTime = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func fxText(body string) delivery.Content { return delivery.Content{Type: delivery.Text, Body: body} }

func fxTemplate(version string) delivery.Content {
	return delivery.Content{Type: delivery.Template, TemplateName: "release_announcement", Language: "en",
		Params: []delivery.Param{{Name: "version", Value: version}, {Name: "eta", Value: "today"}}}
}

// fxMessage is message NAME (instance KEY when not empty) from sender.ops,
// without recipients yet: fxPlan gives it those it plans.
func fxMessage(name, key string, content delivery.Content) *delivery.Instance {
	addr := addrs.Message{Name: name}.Instance(addrs.NoKey)
	ref := "release-v1.2.3-" + name
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
	}
}

// fxNumber is the i-th test recipient, a valid US number.
func fxNumber(i int) string { return fmt.Sprintf("+1202555%04d", 1000+i) }

// fxRun is some planned changes of one instance.
type fxRun struct {
	inst    *delivery.Instance
	changes []plans.Change
}

// fxReasons are the reasons the engine gives each action when nothing
// more is known.
var fxReasons = map[plans.Action]plans.Reason{
	plans.Send: plans.NotInState, plans.Retry: plans.FailedBefore, plans.Resend: plans.ReplaceSent,
	plans.None: plans.AlreadySent, plans.Changed: plans.ContentChanged, plans.Unknown: plans.OutcomeUnknown,
}

// fxChanges plans n deliveries of in to recipients from, from+1, ... with
// the given action and the state record that action implies.
func fxChanges(in *delivery.Instance, action plans.Action, from, n int) fxRun {
	out := make([]plans.Change, n)
	for i := range out {
		c := plans.Change{Recipient: fxNumber(from + i), Action: action, Reason: fxReasons[action]}
		prior := &states.Delivery{Key: in.Key(c.Recipient), Address: in.Address.String(), Digest: in.Digest, Status: states.Sent,
			MessageID: fmt.Sprintf("msg-%d", from+i), Attempts: 1, FirstSent: fxTime, UpdatedAt: fxTime}
		switch action {
		case plans.Send:
			prior = nil
		case plans.Retry:
			prior.Status, prior.ErrorCode, prior.ErrorText, prior.MessageID = states.Failed, "E13009", "to number invalid", ""
		case plans.Changed:
			prior.Digest = fxText("older content").Digest()
		case plans.Unknown:
			prior.Status, prior.ErrorText, prior.MessageID = states.Unknown, "request timed out after 30s", ""
		}
		c.Prior = prior
		out[i] = c
	}
	return fxRun{in, out}
}

// fxPlan is a plan of the runs, its instances in the order the runs first
// name them; each instance's changes and recipients are its runs' in order.
func fxPlan(runs ...fxRun) *plans.Plan {
	return planOf(&plans.Plan{Lineage: "5f0c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f", Serial: 7, HeraldVersion: "0.1.0-test"}, runs)
}

func planOf(p *plans.Plan, runs []fxRun) *plans.Plan {
	index := map[*delivery.Instance]int{}
	for _, r := range runs {
		i, ok := index[r.inst]
		if !ok {
			i = len(p.Instances)
			index[r.inst] = i
			p.Instances = append(p.Instances, plans.InstanceChange{Instance: r.inst})
		}
		ic := &p.Instances[i]
		ic.Changes = append(ic.Changes, r.changes...)
		for _, c := range r.changes {
			r.inst.Recipients = append(r.inst.Recipients, c.Recipient)
		}
	}
	return p
}

// fxFirstSend: a first apply of a message with for_each and depends_on.
func fxFirstSend() *plans.Plan {
	announce := fxMessage("announce", "", fxTemplate("v1.2.3"))
	announce.Ref1 = "rollout"
	announce.CallbackURL = "https://hooks.example.com/kaleyra"
	body := "Rollout v1.2.3 %s complete.\n\nDashboards: https://grafana.example.com/d/rollout\n"
	wave1 := fxMessage("done", "wave-1", fxText(fmt.Sprintf(body, "wave-1")))
	wave1.DependsOn = []addrs.Message{{Name: "announce"}}
	wave1.Ref2 = "wave-1"
	wave2 := fxMessage("done", "wave-2", fxText(fmt.Sprintf(body, "wave-2")))
	wave2.DependsOn = []addrs.Message{{Name: "announce"}}
	wave2.Ref2 = "wave-2"
	wave2.Provider = "kaleyra.eu"
	p := fxPlan(fxChanges(announce, plans.Send, 0, 3), fxChanges(wave1, plans.Send, 0, 2), fxChanges(wave2, plans.Send, 0, 2))
	p.Variables = []plans.Variable{
		{Name: "release", Value: cty.StringVal("v1.2.3")},
		{Name: "waves", Value: cty.SetVal([]cty.Value{cty.StringVal("wave-1"), cty.StringVal("wave-2")})},
	}
	return p
}

// fxMixed has every action, warnings, and state records no longer declared.
func fxMixed() *plans.Plan {
	announce := fxMessage("announce", "", fxTemplate("v1.2.3"))
	wave1 := fxMessage("done", "wave-1", fxText("Rollout v1.2.3 wave-1 complete"))
	wave2 := fxMessage("done", "wave-2", fxText("Rollout v1.2.3 wave-2 complete"))
	p := fxPlan(
		fxChanges(announce, plans.None, 0, 12),
		fxChanges(announce, plans.Send, 12, 2),
		fxChanges(announce, plans.Retry, 14, 1),
		fxChanges(announce, plans.Resend, 15, 1),
		fxChanges(announce, plans.Changed, 16, 1),
		fxChanges(wave1, plans.None, 0, 40),
		fxChanges(wave2, plans.None, 0, 38),
		fxChanges(wave2, plans.Unknown, 38, 2),
	)
	p.Variables = []plans.Variable{
		{Name: "release", Value: cty.StringVal("v1.2.3")},
		{Name: "token", Value: cty.NilVal, Sensitive: true},
	}
	for i := range 2 {
		p.NoLongerDeclared = append(p.NoLongerDeclared, &states.Delivery{
			Key:     delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fxNumber(100 + i), Ref: "release-v1.2.2"},
			Address: "message.old", Digest: fxText("old").Digest(), Status: states.Sent, MessageID: "msg-old",
			Attempts: 1, FirstSent: fxTime, UpdatedAt: fxTime,
		})
	}
	return p
}

// fxSensitive has sensitive content: a text, a template, and a template as
// read back from a saved plan (only its type kept).
func fxSensitive() *plans.Plan {
	text := fxMessage("secret_text", "", fxText("Door code: 4711-SECRET"))
	text.Sensitive = true
	tmpl := fxMessage("secret_template", "", fxTemplate("SECRET-VERSION"))
	tmpl.Sensitive = true
	saved := fxMessage("saved_template", "", delivery.Content{Type: delivery.Template})
	saved.Digest = fxTemplate("SECRET-VERSION").Digest()
	saved.Sensitive = true
	p := fxPlan(fxChanges(text, plans.Send, 0, 1), fxChanges(tmpl, plans.Send, 0, 1), fxChanges(saved, plans.Send, 0, 1))
	p.Variables = []plans.Variable{{Name: "door_code", Value: cty.NilVal, Sensitive: true}}
	return p
}

// fxRich has rich content: a media message, a media template with a URL
// button, a template with a text header, and a sensitive media message.
func fxRich() *plans.Plan {
	notes := fxMessage("notes", "", delivery.Content{Type: delivery.Media,
		MediaURL: "https://cdn.example.com/notes v1.2.3 (final).pdf", Caption: "Release notes for v1.2.3"})
	launch := fxMessage("launch", "", delivery.Content{Type: delivery.MediaTemplate, TemplateName: "launch_banner", Language: "en",
		Params: []delivery.Param{{Name: "version", Value: "v1.2.3"}}, Header: delivery.HeaderImage,
		MediaURL: "https://cdn.example.com/v1.2.3.png", ButtonURL: "v1.2.3"})
	titled := fxMessage("titled", "", delivery.Content{Type: delivery.Template, TemplateName: "launch_titled",
		Params: []delivery.Param{}, Header: delivery.HeaderText, HeaderText: "Today: v1.2.3"})
	secret := fxMessage("secret_media", "", delivery.Content{Type: delivery.Media, MediaURL: "https://cdn.example.com/SECRET.pdf", Caption: "SECRET caption"})
	secret.Sensitive = true
	return fxPlan(fxChanges(notes, plans.Send, 0, 2), fxChanges(launch, plans.Send, 0, 1), fxChanges(titled, plans.Send, 0, 1), fxChanges(secret, plans.Send, 0, 1))
}

// fxMany has long lists: more than textListMax sends and warnings.
func fxMany() *plans.Plan {
	all := fxMessage("all_hands", "", fxText("All hands at 15:00 UTC"))
	p := fxPlan(fxChanges(all, plans.Send, 0, 45), fxChanges(all, plans.Changed, 45, 30))
	p.Targeted = true
	return p
}

// fxNothing has nothing to send.
func fxNothing() *plans.Plan {
	return fxPlan(
		fxChanges(fxMessage("announce", "", fxTemplate("v1.2.3")), plans.None, 0, 12),
		fxChanges(fxMessage("done", "wave-1", fxText("Rollout complete")), plans.None, 0, 40),
	)
}

// fxLarge is a no-change plan of messages x recipients deliveries.
func fxLarge(messages, recipients int) *plans.Plan {
	p := fxPlan()
	for m := range messages {
		in := fxMessage(fmt.Sprintf("m%d", m), "", fxText("Hello"))
		ic := plans.InstanceChange{Instance: in, Changes: make([]plans.Change, recipients)}
		for r := range recipients {
			n := fxNumber(r)
			in.Recipients = append(in.Recipients, n)
			ic.Changes[r] = plans.Change{Recipient: n, Action: plans.None, Reason: plans.AlreadySent,
				Prior: &states.Delivery{Key: in.Key(n), Digest: in.Digest, Status: states.Sent}}
		}
		p.Instances = append(p.Instances, ic)
	}
	return p
}

// fxReceipted gives every change of run a prior receipt with status and
// code; a retry becomes a retry after sending.
func fxReceipted(run fxRun, status states.ReceiptStatus, code, text string) fxRun {
	for i := range run.changes {
		c := &run.changes[i]
		if c.Action == plans.Retry {
			c.Reason = plans.FailedAfterSend
			c.Prior.Status, c.Prior.ErrorCode, c.Prior.ErrorText, c.Prior.MessageID = states.Sent, "", "", "msg-r"
		}
		c.Prior.Receipt = &states.Receipt{Status: status, ErrorCode: code, ErrorText: text, At: fxTime.Add(time.Minute)}
	}
	return run
}

// fxOutsideWindow marks the first n changes of run outside the window.
func fxOutsideWindow(run fxRun, n int) fxRun {
	for i := range n {
		run.changes[i].Warning = plans.OutsideWindow
	}
	return run
}

// fxReceipts has what delivery receipts change: deliveries delivered and
// read, retries of deliveries that failed after sending or were not sent
// on, beside one refused before, and free-form sends outside the 24-hour
// window.
func fxReceipts() *plans.Plan {
	announce := fxMessage("announce", "", fxTemplate("v1.2.3"))
	reminder := fxMessage("reminder", "", fxText("Maintenance tonight at 22:00 UTC"))
	p := fxPlan(
		fxReceipted(fxChanges(announce, plans.None, 0, 10), states.Delivered, "", ""),
		fxReceipted(fxChanges(announce, plans.None, 10, 4), states.Read, "", ""),
		fxReceipted(fxChanges(announce, plans.Retry, 14, 1), states.ReceiptFailed, "131026", "Message undeliverable"),
		fxReceipted(fxChanges(announce, plans.Retry, 15, 1), states.NotSent, "WAV2101", ""),
		fxChanges(announce, plans.Retry, 16, 1),
		fxReceipted(fxChanges(announce, plans.Changed, 17, 1), states.Read, "", ""),
		fxOutsideWindow(fxChanges(reminder, plans.Send, 0, 3), 2),
		fxReceipted(fxChanges(reminder, plans.None, 3, 2), states.Delivered, "", ""),
		fxReceipted(fxChanges(reminder, plans.Retry, 5, 1), states.ReceiptFailed, "131047", "Re-engagement message"),
	)
	p.NoLongerDeclared = []*states.Delivery{{
		Key:     delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fxNumber(100), Ref: "release-v1.2.2"},
		Address: "message.old", Digest: fxText("old").Digest(), Status: states.Sent, MessageID: "msg-old",
		Attempts: 1, FirstSent: fxTime, UpdatedAt: fxTime, Receipt: &states.Receipt{Status: states.Read, At: fxTime},
	}}
	return p
}

// fxPlans are the fixtures every plan view renders.
var fxPlans = []struct {
	name string
	plan func() *plans.Plan
}{
	{"first_send", fxFirstSend},
	{"mixed", fxMixed},
	{"sensitive", fxSensitive},
	{"many", fxMany},
	{"nothing", fxNothing},
	{"empty", func() *plans.Plan { return fxPlan() }},
	{"rich", fxRich},
	{"receipts", fxReceipts},
	{"changed", fxChanged},
}

// fxSentAs makes run's deliveries prior records of content sent, kept in
// p's PriorContents when kept is true, as the state keeps what it sends.
func fxSentAs(p *plans.Plan, run fxRun, sent delivery.Content, kept bool) fxRun {
	for i := range run.changes {
		run.changes[i].Prior.Digest = sent.Digest()
	}
	if kept {
		if p.PriorContents == nil {
			p.PriorContents = map[delivery.Digest]delivery.Content{}
		}
		p.PriorContents[sent.Digest()] = sent
	}
	return run
}

// fxChanged has deliveries changed after sending: a template whose
// recipients were sent two earlier versions, a text whose body changed,
// one sent before the state kept contents, a sensitive one, and a
// sensitive one sent under a digest secret since lost.
func fxChanged() *plans.Plan {
	p := fxPlan()
	announce := fxMessage("announce", "", fxTemplate("v1.2.4"))
	hello := fxMessage("hello", "", fxText("Hello, world.\nSee you at 15:00."))
	old := fxMessage("old_text", "", fxText("Maintenance tonight"))
	secret := fxMessage("code", "", fxText("Your code is 4711-SECRET"))
	secret.Sensitive = true
	k1, _ := delivery.NewDigestKey(bytes.Repeat([]byte{1}, delivery.DigestSecretSize))
	k2, _ := delivery.NewDigestKey(bytes.Repeat([]byte{2}, delivery.DigestSecretSize))
	secret.KeyDigest(k1)
	lost := fxMessage("lost_code", "", fxText("Your code is 9999-SECRET"))
	lost.Sensitive = true
	lost.KeyDigest(k1)
	older := fxTemplate("v1.2.2")
	older.Params = older.Params[:1]
	secretRun := fxChanges(secret, plans.Changed, 0, 1)
	secretRun.changes[0].Prior.Digest = fxText("Your code is 0000-SECRET").KeyedDigest(k1)
	lostRun := fxChanges(lost, plans.Changed, 0, 1)
	lostRun.changes[0].Prior.Digest = fxText("Your code is 9999-SECRET").KeyedDigest(k2)
	return planOf(p, []fxRun{
		fxChanges(announce, plans.None, 0, 4),
		fxSentAs(p, fxChanges(announce, plans.Changed, 4, 3), fxTemplate("v1.2.3"), true),
		fxSentAs(p, fxChanges(announce, plans.Changed, 7, 2), older, true),
		fxSentAs(p, fxChanges(hello, plans.Changed, 0, 25), fxText("Hello, world."), true),
		fxSentAs(p, fxChanges(old, plans.Changed, 0, 1), fxText("Maintenance today"), false),
		secretRun,
		lostRun,
	})
}
