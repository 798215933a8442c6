package views

import (
	"bytes"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/plans"
)

func TestPlanTextGolden(t *testing.T) {
	for _, fx := range fxPlans {
		t.Run(fx.name, func(t *testing.T) {
			var buf bytes.Buffer
			PlanText(&buf, fx.plan(), TextOptions{})
			if strings.Contains(buf.String(), "\x1b[") {
				t.Error("colour codes in output without Color")
			}
			fxGolden(t, "plan_text_"+fx.name+".golden", buf.Bytes())
		})
	}
	t.Run("color", func(t *testing.T) {
		var buf bytes.Buffer
		PlanText(&buf, fxMixed(), TextOptions{Color: true})
		fxGolden(t, "plan_text_color.golden", buf.Bytes())
	})
}

// The summary line is the contract scripts and people grep for.
func TestPlanTextSummaryLine(t *testing.T) {
	tests := []struct {
		name      string
		plan      func() string
		wantLines []string
		notWant   []string
	}{
		{"mixed", textRender(fxMixed), []string{
			"Plan: 2 to send, 1 to retry, 1 to resend. 90 already sent, 1 changed after sending, 2 unknown.",
			"2 deliveries in state are no longer declared (kept as history; \"herald state rm -undeclared -older-than=AGE\" prunes them).",
		}, []string{"No changes."}},
		{"nothing", textRender(fxNothing), []string{
			"No changes. Nothing to send.",
			"Plan: 0 to send, 0 to retry, 0 to resend. 52 already sent, 0 changed after sending, 0 unknown.",
			"  message.announce: 12 already sent",
			`  message.done["wave-1"]: 40 already sent`,
		}, []string{"no longer declared", "Warning"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.plan()
			lines := strings.Split(out, "\n")
			for _, want := range tt.wantLines {
				found := false
				for _, l := range lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("no line %q in:\n%s", want, out)
				}
			}
			for _, bad := range tt.notWant {
				if strings.Contains(out, bad) {
					t.Errorf("output contains %q:\n%s", bad, out)
				}
			}
		})
	}
}

func TestPlanTextNeverShowsSensitiveValues(t *testing.T) {
	out := textRender(fxSensitive)()
	for _, secret := range []string{"4711-SECRET", "SECRET-VERSION"} {
		if strings.Contains(out, secret) {
			t.Errorf("sensitive value %q shown:\n%s", secret, out)
		}
	}
	if n := strings.Count(out, "(sensitive)"); n < 4 {
		t.Errorf("(sensitive) shown %d times, want body, params and template redacted:\n%s", n, out)
	}
}

// A body cannot drive the terminal: control characters are escaped.
func TestPlanTextEscapesControlCharacters(t *testing.T) {
	for _, body := range []string{"one line \x1b[31mred", "two\nlines \x1b]0;title\x07"} {
		d := fxMessage("x", "", fxText(body))
		var buf bytes.Buffer
		PlanText(&buf, fxPlan(fxChanges(d, plans.Send, 0, 1)), TextOptions{})
		if strings.ContainsAny(buf.String(), "\x1b\x07") {
			t.Errorf("control characters reached the output: %q", buf.String())
		}
	}
}

// A no-change plan of 100,000 deliveries is summarised, not listed (its
// speed is BenchmarkPlanTextNoChange100k's business).
func TestPlanTextNoChangeIsSummarised(t *testing.T) {
	var buf bytes.Buffer
	PlanText(&buf, fxLarge(10, 10000), TextOptions{})
	if lines := strings.Count(buf.String(), "\n"); lines > 20 {
		t.Errorf("a no-change plan of 10 messages printed %d lines:\n%s", lines, buf.String())
	}
}

func BenchmarkPlanTextNoChange100k(b *testing.B) {
	p := fxLarge(10, 10000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		PlanText(&buf, p, TextOptions{})
	}
}

func textRender(plan func() *plans.Plan) func() string {
	return func() string {
		var buf bytes.Buffer
		PlanText(&buf, plan(), TextOptions{})
		return buf.String()
	}
}
