package views

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// mdGitHubCommentMax is GitHub's limit on a comment body.
const mdGitHubCommentMax = 65536

func TestPlanMarkdownGolden(t *testing.T) {
	tests := []struct {
		name string
		plan *plans.Plan
		opts MarkdownOptions
	}{
		{"markdown_small", mdSmallPlan(), MarkdownOptions{PlanFile: "plan.out"}},
		{"markdown_mixed", mdMixedPlan(), MarkdownOptions{Marker: "notifications/prod", PlanFile: "prod.plan"}},
		{"markdown_sensitive", mdSensitivePlan(), MarkdownOptions{PlanFile: "plan.out"}},
		{"markdown_nothing", mdNothingPlan(), MarkdownOptions{}},
		{"markdown_large", mdLargePlan(), MarkdownOptions{PlanFile: "plan.out"}},
		{"markdown_rich", fxRich(), MarkdownOptions{PlanFile: "plan.out"}},
		{"markdown_receipts", fxReceipts(), MarkdownOptions{PlanFile: "plan.out"}},
		{"markdown_changed", fxChanged(), MarkdownOptions{PlanFile: "plan.out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PlanMarkdown(&buf, tt.plan, tt.opts); err != nil {
				t.Fatal(err)
			}
			if buf.Len() >= mdGitHubCommentMax {
				t.Errorf("document is %d characters, want under %d", buf.Len(), mdGitHubCommentMax)
			}
			fxGolden(t, tt.name+".md", buf.Bytes())
		})
	}
}

// TestPlanMarkdownAlwaysFits renders plans far beyond a comment's size and
// checks that what must survive does.
func TestPlanMarkdownAlwaysFits(t *testing.T) {
	tests := []struct {
		name string
		plan *plans.Plan
		want []string
	}{
		{
			name: "20,000 recipients in one message",
			plan: mdPlanOf(mdChanges(mdMessage("everyone", ""), plans.Send, 20000, mdText("Maintenance tonight at 22:00 UTC."))),
			want: []string{
				"## herald plan: 20,000 messages to send",
				"| **To send** | **20,000** |",
				"… 19,800 recipients not shown; run `herald show plan.out` for all.",
				"+10000000000\n", // the first recipient
				"+10000019999\n", // and the last
			},
		},
		{
			name: "500 messages",
			plan: mdManyMessagesPlan(500, 40),
			want: []string{
				"## herald plan: 20,000 messages to send",
				"| **To send** | **20,000** |",
				"to keep this comment within GitHub's size limit",
			},
		},
		{
			name: "500 messages, all with warnings",
			plan: mdManyWarningsPlan(500),
			want: []string{
				"## herald plan: nothing to send",
				"| **Changed after sending** | **500** |",
				"| **Unknown** | **1,000** |",
				"**1,000 deliveries have an unknown outcome**",
				"and 490 more",
			},
		},
		{
			name: "one enormous body and long values",
			plan: mdPlanOf(mdChanges(mdMessage(strings.Repeat("n", 5000), ""), plans.Send, 3, mdText(strings.Repeat("é", 100000)))),
			want: []string{"more characters not shown", "## herald plan: 3 messages to send"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := PlanMarkdown(&buf, tt.plan, MarkdownOptions{PlanFile: "plan.out"}); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			if len(got) >= mdGitHubCommentMax {
				t.Errorf("document is %d characters, want under %d", len(got), mdGitHubCommentMax)
			}
			if !strings.HasPrefix(got, "<!-- herald-plan: herald-plan -->\n") {
				t.Errorf("document does not start with the marker:\n%.200s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("document lacks %q", w)
				}
			}
		})
	}
}

func TestPlanMarkdownLimit(t *testing.T) {
	plan := mdManyMessagesPlan(50, 30)
	for _, limit := range []int{20000, 40000, 65000} {
		var buf bytes.Buffer
		if err := PlanMarkdown(&buf, plan, MarkdownOptions{Limit: limit}); err != nil {
			t.Fatal(err)
		}
		if buf.Len() > limit {
			t.Errorf("Limit %d: document is %d characters", limit, buf.Len())
		}
		if !strings.Contains(buf.String(), "| **To send** | **1,500** |") {
			t.Errorf("Limit %d: summary missing", limit)
		}
	}
}

func TestPlanMarkdownEscaping(t *testing.T) {
	d := mdMessage("tricky", "a`b")
	changes := mdChanges(d, plans.Send, 1, delivery.Content{
		Type: delivery.Text,
		Body: "Run:\n```\nrm -rf /\n```\n<b>not bold</b>",
	})
	d.Ref = "x`y``"
	var buf bytes.Buffer
	if err := PlanMarkdown(&buf, mdPlanOf(changes), MarkdownOptions{Marker: "evil --> <script>\nnext"}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"<!-- herald-plan: evil - -> <script>↵next -->\n",
		"````text\nRun:\n```\nrm -rf /\n```\n<b>not bold</b>\n````\n",
		"**Ref:** ``` x`y`` ```",
		"### `` message.tricky[\"a`b\"] ``",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("document lacks %q:\n%s", want, got)
		}
	}
}

func TestMdCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 19800: "19,800", 1234567: "1,234,567", -1200: "-1,200"} {
		if got := mdCount(n); got != want {
			t.Errorf("mdCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// Fixtures.

var mdFixtureTime = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func mdText(body string) delivery.Content {
	return delivery.Content{Type: delivery.Text, Body: body}
}

func mdTemplate() delivery.Content {
	return delivery.Content{
		Type:         delivery.Template,
		TemplateName: "release_announcement",
		Language:     "en",
		Params:       []delivery.Param{{Name: "version", Value: "v1.4.0"}, {Name: "eta", Value: "today 18:00 UTC"}},
	}
}

// mdMessage is message.NAME (or message.NAME["KEY"]) from the ops sender,
// without recipients or content: mdChanges sets the content, mdPlanOf the
// recipients.
func mdMessage(name, key string) *delivery.Instance {
	addr := addrs.Message{Name: name}.Instance(addrs.NoKey)
	ref := "release-v1.4.0-" + name
	if key != "" {
		addr = addrs.Message{Name: name}.Instance(addrs.StringKey(key))
		ref += "-" + key
	}
	return &delivery.Instance{
		Address:    addr,
		Channel:    "whatsapp",
		Sender:     "+12025550100",
		Ref:        ref,
		SenderName: "ops",
		Provider:   "kaleyra",
	}
}

// mdChanges makes n changes of one instance with the given action,
// to recipients +1000000000 upwards.
func mdChanges(d *delivery.Instance, action plans.Action, n int, content delivery.Content) fxRun {
	return mdChangesFrom(d, action, 0, n, content)
}

func mdChangesFrom(d *delivery.Instance, action plans.Action, from, n int, content delivery.Content) fxRun {
	d.Content, d.Digest = content, content.Digest()
	out := make([]plans.Change, n)
	for i := range out {
		c := plans.Change{Recipient: fmt.Sprintf("+1%010d", from+i), Action: action, Reason: fxReasons[action]}
		key, address, id := d.Key(c.Recipient), d.Address.String(), c.Recipient[1:]
		switch action {
		case plans.Retry:
			c.Prior = &states.Delivery{Key: key, Address: address, Status: states.Failed,
				ErrorCode: "E13009", ErrorText: "The recipient number is not a valid WhatsApp number.", Attempts: 1, UpdatedAt: mdFixtureTime}
		case plans.None, plans.Resend:
			c.Prior = &states.Delivery{Key: key, Address: address, Status: states.Sent, Digest: d.Digest,
				RequestID: "req-" + id, MessageID: "msg-" + id, Attempts: 1, UpdatedAt: mdFixtureTime}
		case plans.Changed:
			c.Prior = &states.Delivery{Key: key, Address: address, Status: states.Sent, Digest: "0123",
				RequestID: "req-" + id, MessageID: "msg-" + id, Attempts: 1, UpdatedAt: mdFixtureTime}
		case plans.Unknown:
			c.Prior = &states.Delivery{Key: key, Address: address, Status: states.Unknown,
				RequestID: "req-" + id, ErrorCode: "TIMEOUT", ErrorText: "No answer within 30s.", Attempts: 1, UpdatedAt: mdFixtureTime}
		}
		out[i] = c
	}
	return fxRun{d, out}
}

func mdPlanOf(runs ...fxRun) *plans.Plan {
	return planOf(&plans.Plan{Lineage: "3f1c", Serial: 7}, runs)
}

func mdSmallPlan() *plans.Plan {
	d := mdMessage("announce", "")
	d.Ref1 = "rollout"
	d.CallbackURL = "https://hooks.example.com/kaleyra"
	return mdPlanOf(mdChanges(d, plans.Send, 3, mdTemplate()))
}

func mdMixedPlan() *plans.Plan {
	announce := mdMessage("announce", "")
	announce.Ref1, announce.Ref2 = "rollout", "wave-1"
	wave1 := mdMessage("done", "wave-1")
	wave2 := mdMessage("done", "wave-2")
	body := "Rollout v1.4.0 wave-1 complete.\nDashboards: https://status.example.com"
	p := mdPlanOf(
		mdChangesFrom(announce, plans.None, 0, 12, mdTemplate()),
		mdChangesFrom(announce, plans.Send, 12, 25, mdTemplate()),
		mdChangesFrom(announce, plans.Retry, 37, 2, mdTemplate()),
		mdChangesFrom(wave1, plans.Changed, 0, 1, mdText(body)),
		mdChangesFrom(wave1, plans.Unknown, 1, 1, mdText(body)),
		mdChangesFrom(wave1, plans.Resend, 2, 1, mdText(body)),
		mdChangesFrom(wave2, plans.None, 0, 3, mdText("Rollout v1.4.0 wave-2 complete.")),
		mdChangesFrom(mdMessage("welcome", ""), plans.None, 0, 4, mdText("Welcome to the on-call rota.")),
	)
	p.NoLongerDeclared = []*states.Delivery{{Address: "message.old", Status: states.Sent}, {Address: "message.old", Status: states.Sent}}
	p.Targeted = true
	return p
}

func mdSensitivePlan() *plans.Plan {
	t := mdMessage("token", "")
	t.Sensitive = true
	b := mdMessage("secret_body", "")
	b.Sensitive = true
	return mdPlanOf(mdChanges(t, plans.Send, 2, mdTemplate()), mdChanges(b, plans.Send, 1, mdText("Your code is 123456")))
}

func mdNothingPlan() *plans.Plan {
	return mdPlanOf(
		mdChanges(mdMessage("announce", ""), plans.None, 5, mdTemplate()),
		mdChanges(mdMessage("done", "wave-1"), plans.None, 5, mdText("done")),
	)
}

// mdLargePlan is 20,000 recipients in one message followed by 500 messages of
// 3 recipients, some with warnings.
func mdLargePlan() *plans.Plan {
	runs := []fxRun{mdChanges(mdMessage("everyone", ""), plans.Send, 20000, mdText("Maintenance tonight at 22:00 UTC."))}
	for i := range 500 {
		action := plans.Send
		switch i % 50 {
		case 7:
			action = plans.Unknown
		case 13:
			action = plans.None
		}
		runs = append(runs, mdChanges(mdMessage(fmt.Sprintf("team_%03d", i), ""), action, 3, mdTemplate()))
	}
	return mdPlanOf(runs...)
}

func mdManyMessagesPlan(messages, recipients int) *plans.Plan {
	var runs []fxRun
	for i := range messages {
		runs = append(runs, mdChanges(mdMessage("m", fmt.Sprint(i)), plans.Send, recipients, mdTemplate()))
	}
	return mdPlanOf(runs...)
}

func mdManyWarningsPlan(messages int) *plans.Plan {
	var runs []fxRun
	for i := range messages {
		d := mdMessage(fmt.Sprintf("m%03d_%s", i, strings.Repeat("x", 250)), "")
		runs = append(runs, mdChangesFrom(d, plans.Changed, 0, 1, mdText("x")), mdChangesFrom(d, plans.Unknown, 1, 2, mdText("x")))
	}
	return mdPlanOf(runs...)
}

// BenchmarkPlanMarkdownLarge renders the very large plan: 20,000 recipients
// in one message and 500 more messages.
func BenchmarkPlanMarkdownLarge(b *testing.B) {
	p := mdLargePlan()
	for b.Loop() {
		if err := PlanMarkdown(io.Discard, p, MarkdownOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMarkdownLongChangeIsCut: a long value in what changed is cut as a
// long body is, so that the comment keeps within its limit.
func TestMarkdownLongChangeIsCut(t *testing.T) {
	p := fxPlan()
	long := strings.Repeat("x", 30000)
	in := fxMessage("long", "", fxText(long+"!"))
	p = planOf(p, []fxRun{fxSentAs(p, fxChanges(in, plans.Changed, 0, 1), fxText(long), true)})
	var buf bytes.Buffer
	if err := PlanMarkdown(&buf, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "~ body = ") || !strings.Contains(out, "more characters not shown") {
		t.Errorf("the change is not shown, cut:\n%.2000s", out)
	}
	if len(out) > defaultMarkdownLimit {
		t.Errorf("the plan is %d characters, over the limit %d", len(out), defaultMarkdownLimit)
	}
}
