package views

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
)

// applyClock is a clock the test moves by hand.
type applyClock struct{ t time.Time }

func (c *applyClock) Now() time.Time          { return c.t }
func (c *applyClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newApplyClock() *applyClock {
	return &applyClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
}

// applyRun replays an apply of total sends at rate per second, calling
// Progress every step, with one failure and one unknown outcome on the way.
func applyRun(h engine.Hooks, clock *applyClock, total int, rate float64, step time.Duration) engine.Result {
	run := mdChanges(mdMessage("announce", ""), plans.Send, total, mdTemplate())
	var r engine.Result
	elapsed := time.Duration(0)
	next := 0
	for next < total {
		clock.Advance(step)
		elapsed += step
		until := min(total, int(elapsed.Seconds()*rate))
		for ; next < until; next++ {
			c := &run.changes[next]
			h.PreSend(run.inst, []*plans.Change{c})
			o := kaleyra.Outcome{Recipient: c.Recipient, Status: kaleyra.Sent, RequestID: "req", MessageID: "msg", Attempts: 1}
			switch next {
			case total / 3:
				o = kaleyra.Outcome{Recipient: c.Recipient, Status: kaleyra.Failed, Code: "E13009", Text: "The recipient number\nis not valid.", Attempts: 1}
				r.Failed++
			case total / 2:
				o = kaleyra.Outcome{Recipient: c.Recipient, Status: kaleyra.Unknown, Code: "TIMEOUT", Text: "No answer within 30s; the message may have gone out.", Attempts: 1}
				r.Unknown++
			default:
				r.Sent++
			}
			h.PostSend(run.inst, []*plans.Change{c}, []kaleyra.Outcome{o})
		}
		done := r.Sent + r.Failed + r.Unknown
		remaining := time.Duration(0)
		if done < total {
			remaining = time.Duration(float64(total-done) / rate * float64(time.Second))
		}
		h.Progress(engine.Progress{Total: total, Sent: r.Sent, Failed: r.Failed, Unknown: r.Unknown,
			Elapsed: elapsed, Rate: rate, Remaining: remaining})
	}
	return r
}

func TestApplyTextLines(t *testing.T) {
	clock := newApplyClock()
	var buf bytes.Buffer
	v := NewApplyText(&buf, ApplyTextOptions{Now: clock.Now})
	// 5000 sends at 80/s take 62.5s: progress lines at 10s, 20s, ... 60s.
	r := applyRun(v, clock, 5000, 80, time.Second)
	v.Summary(r)

	var progress []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "Sending: ") {
			progress = append(progress, line)
		}
	}
	if len(progress) != 6 {
		t.Errorf("got %d progress lines, want 6 (one every 10s of 62.5s):\n%s", len(progress), buf.String())
	}
	if want := "Sending: 800/5000 (16%), 80/s, about 53s left"; len(progress) == 0 || progress[0] != want {
		t.Errorf("first progress line:\n got %q\nwant %q", progress, want)
	}
	fxGolden(t, "apply_lines.txt", buf.Bytes())
}

// TestApplyTextInterval checks that a line comes at least every Interval
// whatever the rate at which Progress is called.
func TestApplyTextInterval(t *testing.T) {
	for _, step := range []time.Duration{100 * time.Millisecond, time.Second, 3 * time.Second} {
		t.Run(step.String(), func(t *testing.T) {
			clock := newApplyClock()
			var lines []time.Time
			w := writerFunc(func(p []byte) {
				if bytes.HasPrefix(p, []byte("Sending: ")) {
					lines = append(lines, clock.Now())
				}
			})
			v := NewApplyText(w, ApplyTextOptions{Now: clock.Now})
			start := clock.Now()
			for clock.Now().Sub(start) < time.Minute {
				clock.Advance(step)
				v.Progress(engine.Progress{Total: 100000, Sent: 1, Rate: 1})
			}
			last := start
			for _, at := range lines {
				if gap := at.Sub(last); gap < 10*time.Second || gap > 10*time.Second+step {
					t.Errorf("progress line %s after the previous one, want 10s (Progress every %s)", gap, step)
				}
				last = at
			}
			if len(lines) < 5 {
				t.Errorf("%d progress lines in a minute, want at least 5", len(lines))
			}
		})
	}
}

func TestApplyTextTerminal(t *testing.T) {
	clock := newApplyClock()
	var buf bytes.Buffer
	v := NewApplyText(&buf, ApplyTextOptions{Terminal: true, Color: true, Now: clock.Now})
	// 60 sends at 20/s, Progress every 100ms: the bar is redrawn at most
	// every 250ms, so about 12 times in 3s, plus once at the end.
	r := applyRun(v, clock, 60, 20, 100*time.Millisecond)
	v.Summary(r)

	if draws := strings.Count(buf.String(), "Sending ["); draws > 14 {
		t.Errorf("bar drawn %d times in 3s, want at most 4 a second", draws)
	}
	if !strings.Contains(buf.String(), "[████████████████████] \x1b[33m60/60 (100%)") {
		t.Errorf("the bar was not drawn at 100%%:\n%q", buf.String())
	}
	fxGolden(t, "apply_terminal.txt", buf.Bytes())
}

// TestApplyTextBarFits checks that the bar's line never wraps: a wrapped
// line cannot be redrawn with \r.
func TestApplyTextBarFits(t *testing.T) {
	p := engine.Progress{Total: 123456, Sent: 65432, Failed: 1234, Unknown: 567, Skipped: 89, Rate: 123.4, Remaining: 3 * time.Hour}
	for _, width := range []int{40, 60, 80, 120} {
		var buf bytes.Buffer
		v := NewApplyText(&buf, ApplyTextOptions{Terminal: true, Color: true, Width: width})
		v.Progress(p)
		line := strings.TrimPrefix(buf.String(), ansiClearLine)
		line = strings.NewReplacer(ansiYellow, "", ansiReset, "").Replace(line)
		if n := utf8.RuneCountInString(line); n >= width {
			t.Errorf("width %d: the bar's line is %d columns: %q", width, n, line)
		}
		if !strings.Contains(line, "67322/123456 (54%)") {
			t.Errorf("width %d: the counts are missing: %q", width, line)
		}
	}
}

func TestApplyTextSummary(t *testing.T) {
	tests := []struct {
		name   string
		result engine.Result
		want   []string
		absent []string
	}{
		{
			name:   "all sent",
			result: engine.Result{Sent: 3},
			want:   []string{"Apply complete: 3 sent, 0 failed, 0 unknown.\n"},
			absent: []string{"skipped", "-replace"},
		},
		{
			name:   "failures and unknown",
			result: engine.Result{Sent: 3, Failed: 1, Unknown: 2},
			want: []string{
				"Apply complete: 3 sent, 1 failed, 2 unknown.\n",
				"1 delivery was refused by Kaleyra: nothing went out, and the next apply tries it again.",
				"2 deliveries have an unknown outcome",
				"-replace=ADDRESS",
			},
			absent: []string{"skipped"},
		},
		{
			name:   "skipped",
			result: engine.Result{Sent: 1, Skipped: 4},
			want:   []string{"Apply complete: 1 sent, 0 failed, 0 unknown, 4 skipped.\n", "4 deliveries were not sent"},
			absent: []string{"-replace"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			NewApplyText(&buf, ApplyTextOptions{}).Summary(tt.result)
			got := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("summary has %q:\n%s", a, got)
				}
			}
			if strings.Contains(got, "\x1b[") {
				t.Errorf("summary has colour without Color:\n%q", got)
			}
		})
	}
}

func TestApplyTextSkippedOncePerReason(t *testing.T) {
	var buf bytes.Buffer
	v := NewApplyText(&buf, ApplyTextOptions{})
	run := mdChanges(mdMessage("done", "wave-1"), plans.Send, 50, mdText("done"))
	failed := engine.Skip{Cause: engine.DependencyFailed, BlockedBy: []addrs.Message{{Name: "announce"}}}
	for i := range run.changes {
		v.Skipped(run.inst, []*plans.Change{&run.changes[i]}, failed)
	}
	v.Skipped(run.inst, []*plans.Change{&run.changes[0]}, engine.Skip{Cause: engine.Interrupted})
	want := "Skipped: message.done[\"wave-1\"]: not sent because message.announce, which it depends on, did not send everything\n" +
		"Skipped: message.done[\"wave-1\"]: not sent: apply was interrupted\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestApplyRemaining(t *testing.T) {
	for d, want := range map[time.Duration]string{
		46200 * time.Millisecond: "47s",
		200 * time.Second:        "3m20s",
		3900 * time.Second:       "1h05m",
	} {
		if got := applyRemaining(d); got != want {
			t.Errorf("applyRemaining(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestApplyJSONEvents produces every event type and validates each line
// against schema/apply-events.schema.json.
func TestApplyJSONEvents(t *testing.T) {
	schema := loadSchema(t, "apply-events.schema.json")
	clock := newApplyClock()
	var buf bytes.Buffer
	v := NewApplyJSON(&buf, "1.2.3")
	v.now = func() time.Time { clock.Advance(time.Millisecond); return clock.Now() }

	file := "notify.herald.hcl"
	v.Version()
	v.Diagnostics(hcl.Diagnostics{
		{Severity: hcl.DiagWarning, Summary: "Deprecated attribute", Detail: "The attribute \"x\" is deprecated.",
			Subject: &hcl.Range{Filename: file, Start: hcl.Pos{Line: 3, Column: 3, Byte: 20}, End: hcl.Pos{Line: 3, Column: 4, Byte: 21}}},
		{Severity: hcl.DiagError, Summary: "Too many sends", Detail: "The plan sends 12 messages; -max-sends allows 10."},
	})
	p := mdMixedPlan()
	v.PlannedSends(p)
	sends := p.Summary().Sends()
	// Sends that retry after a receipt, and outside the 24-hour window.
	receipts := fxReceipts()
	v.PlannedSends(receipts)
	sends += receipts.Summary().Sends()
	run := mdChanges(mdMessage("announce", ""), plans.Send, 4, mdTemplate())
	outcomes := []kaleyra.Outcome{
		{Status: kaleyra.Sent, RequestID: "a1b2", MessageID: "m-1", Attempts: 1},
		{Status: kaleyra.Failed, Code: "E13009", Text: "The recipient number is not valid.", Attempts: 1},
		{Status: kaleyra.Unknown, Code: "TIMEOUT", Text: "No answer within 30s.", Attempts: 2},
	}
	for i, o := range outcomes {
		o.Recipient = run.changes[i].Recipient
		c := []*plans.Change{&run.changes[i]}
		v.PreSend(run.inst, c)
		v.PostSend(run.inst, c, []kaleyra.Outcome{o})
	}
	v.Skipped(run.inst, []*plans.Change{&run.changes[3]}, engine.Skip{Cause: engine.Interrupted})
	v.Progress(engine.Progress{Total: 4, Sent: 1, Failed: 1, Unknown: 1, Skipped: 1, Elapsed: 1500 * time.Millisecond, Rate: 2.666666})
	v.Summary(engine.Result{Sent: 1, Failed: 1, Unknown: 1, Skipped: 1})

	types := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	for n := 1; sc.Scan(); n++ {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(sc.Bytes()))
		if err != nil {
			t.Fatalf("line %d is not JSON: %s\n%s", n, err, sc.Text())
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("line %d does not match the schema: %s\n%s", n, err, sc.Text())
		}
		var head struct{ Type string }
		json.Unmarshal(sc.Bytes(), &head)
		types[head.Type]++
	}
	want := map[string]int{"version": 1, "diagnostic": 2, "planned_send": sends, "send_start": 3, "send_outcome": 3, "skipped": 1, "progress": 1, "summary": 1}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Errorf("event types %v, want %v", types, want)
	}
	fxGolden(t, "apply_events.jsonl", buf.Bytes())
}

// TestApplyJSONSchemaRejects checks that the schema is strict enough to
// catch a drifting view.
func TestApplyJSONSchemaRejects(t *testing.T) {
	schema := loadSchema(t, "apply-events.schema.json")
	for _, line := range []string{
		`{"@level":"info","@message":"x","@timestamp":"2026-11-26T10:00:00Z","type":"nonsense"}`,
		`{"@level":"info","@message":"x","@timestamp":"2026-11-26T10:00:00Z","type":"summary","sent":1,"failed":0,"unknown":0}`,
		`{"@level":"info","@message":"x","@timestamp":"2026-11-26T10:00:00Z","type":"summary","sent":1,"failed":0,"unknown":0,"skipped":0,"extra":1}`,
		`{"@level":"info","@message":"x","@timestamp":"2026-11-26T10:00:00Z","type":"send_outcome","address":"message.a","recipient":"+12025550123","status":"sent","attempts":1}`,
		`{"@message":"x","@timestamp":"2026-11-26T10:00:00Z","type":"version","herald":"1","format_version":"1.0"}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(doc) == nil {
			t.Errorf("schema accepts %s", line)
		}
	}
}

// TestApplyJSONConcurrent checks that concurrent hooks write whole lines,
// each with one Write. Run with -race.
func TestApplyJSONConcurrent(t *testing.T) {
	var mu sync.Mutex
	var writes [][]byte
	v := NewApplyJSON(writerFunc(func(p []byte) {
		mu.Lock()
		defer mu.Unlock()
		writes = append(writes, append([]byte(nil), p...))
	}), "1.2.3")
	run := mdChanges(mdMessage("announce", ""), plans.Send, 200, mdTemplate())
	var wg sync.WaitGroup
	for i := range run.changes {
		wg.Go(func() {
			c := []*plans.Change{&run.changes[i]}
			v.PreSend(run.inst, c)
			v.PostSend(run.inst, c, []kaleyra.Outcome{{Recipient: c[0].Recipient, Status: kaleyra.Sent, RequestID: "r", MessageID: "m", Attempts: 1}})
			v.Progress(engine.Progress{Total: 200, Sent: i})
		})
	}
	wg.Wait()
	if len(writes) != 600 {
		t.Fatalf("%d writes, want 600", len(writes))
	}
	for _, w := range writes {
		if bytes.Count(w, []byte("\n")) != 1 || w[len(w)-1] != '\n' || !json.Valid(w) {
			t.Fatalf("write is not one JSON line: %q", w)
		}
	}
}

// writerFunc turns a function into an io.Writer that sees every Write.
type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }
