package views

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
)

var (
	_ engine.Hooks = (*ApplyText)(nil)
	_ engine.Hooks = (*ApplyJSON)(nil)
)

// Both apply views drop write errors: hooks cannot fail an apply, and an
// apply whose output is gone (a closed pipe) must still record every
// outcome in state.

// ApplyTextOptions shapes the human apply view.
type ApplyTextOptions struct {
	// Terminal draws a live progress bar, redrawn in place; without it a
	// progress line is printed every Interval.
	Terminal bool
	// Color marks failures red and unknown outcomes yellow.
	Color bool
	// Width is the terminal's width in columns: the bar's line stays
	// shorter, since a line that wraps cannot be redrawn in place. Default 80.
	Width int
	// Interval is the time between progress lines without a terminal.
	// Default 10s.
	Interval time.Duration
	// Now is the clock; tests replace it. Default time.Now.
	Now func() time.Time
}

const (
	defaultApplyInterval = 10 * time.Second
	// applyBarRedraw is the shortest time between two draws of the bar, so
	// that a fast apply does not spend its terminal on redraws.
	applyBarRedraw = 250 * time.Millisecond
	applyBarWidth  = 20
	// applyBarMin is the narrowest bar worth drawing; below it the line
	// shows the numbers alone.
	applyBarMin         = 5
	defaultApplyColumns = 80
)

// ApplyText is the human apply view: failures and unknown outcomes as they
// happen, progress (a bar on a terminal, a line every Interval otherwise),
// and the summary. Its methods may be called from many goroutines.
type ApplyText struct {
	w    io.Writer
	opts ApplyTextOptions

	mu sync.Mutex
	// lastLine is when the last progress line was printed (or the view
	// made), without a terminal.
	lastLine time.Time
	// lastDraw is when the bar was last drawn; bar is what it shows, ""
	// when no bar is on the screen.
	lastDraw time.Time
	bar      string
	// skipped remembers the (address, reason) pairs already reported, so
	// that an interrupted apply does not print one line per recipient.
	skipped map[string]bool
	// explained remembers the account-wide codes (wrong credentials, no
	// balance) already explained: requests in flight together all fail
	// with one, and it is said once.
	explained map[string]bool
}

// NewApplyText returns the human apply view writing to w.
func NewApplyText(w io.Writer, opts ApplyTextOptions) *ApplyText {
	if opts.Interval <= 0 {
		opts.Interval = defaultApplyInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Width <= 0 {
		opts.Width = defaultApplyColumns
	}
	return &ApplyText{w: w, opts: opts, lastLine: opts.Now(), skipped: map[string]bool{}, explained: map[string]bool{}}
}

// PreSend shows nothing: progress counts sends as they finish.
func (v *ApplyText) PreSend(*delivery.Instance, []*plans.Change) {}

// PostSend prints failed and unknown outcomes, one line each.
func (v *ApplyText) PostSend(in *delivery.Instance, _ []*plans.Change, outcomes []kaleyra.Outcome) {
	for _, o := range outcomes {
		var label, color string
		switch o.Status {
		case kaleyra.Failed:
			label, color = "Failed", ansiRed
		case kaleyra.Unknown:
			label, color = "Unknown", ansiYellow
		default:
			continue
		}
		line := fmt.Sprintf("%s: %s to %s", v.paint(color+ansiBold, label), in.Address, o.Recipient)
		if o.Code != "" {
			line += " (" + o.Code + ")"
		}
		v.mu.Lock()
		switch {
		case kaleyra.AccountWide(o.Code) && v.explained[o.Code]:
			line += ": as above"
		case o.Text != "":
			line += ": " + applyOneLine(o.Text)
		}
		if kaleyra.AccountWide(o.Code) {
			v.explained[o.Code] = true
		}
		v.printAboveBar(line)
		v.mu.Unlock()
	}
}

// Skipped prints, once per message instance and reason, why deliveries
// were not sent.
func (v *ApplyText) Skipped(in *delivery.Instance, _ []*plans.Change, why engine.Skip) {
	reason := skipSentence(why)
	v.mu.Lock()
	defer v.mu.Unlock()
	id := in.Address.String() + "\x00" + reason
	if v.skipped[id] {
		return
	}
	v.skipped[id] = true
	v.printAboveBar(fmt.Sprintf("%s: %s: %s", v.paint(ansiYellow, "Skipped"), in.Address, applyOneLine(reason)))
}

// Progress redraws the bar on a terminal, at most a few times a second;
// otherwise it prints a line when Interval has passed since the last.
func (v *ApplyText) Progress(p engine.Progress) {
	if p.Total == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.opts.Now()
	finished := p.Done() >= p.Total
	if v.opts.Terminal {
		if !finished && v.bar != "" && now.Sub(v.lastDraw) < applyBarRedraw {
			return
		}
		v.lastDraw = now
		v.bar = v.barLine(p)
		io.WriteString(v.w, ansiClearLine+v.bar)
		return
	}
	// The summary follows the last call; a line saying 100% would repeat it.
	if finished || now.Sub(v.lastLine) < v.opts.Interval {
		return
	}
	v.lastLine = now
	io.WriteString(v.w, "Sending: "+applyProgressText(p)+"\n")
}

// Summary ends the apply's output: the counts, and what to do about
// failed, unknown and skipped deliveries.
func (v *ApplyText) Summary(r engine.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var b strings.Builder
	if v.bar != "" {
		b.WriteString(ansiClearLine)
		v.bar = ""
	}
	counts := fmt.Sprintf("%d sent, %d failed, %d unknown", r.Sent, r.Failed, r.Unknown)
	if r.Skipped > 0 {
		counts += fmt.Sprintf(", %d skipped", r.Skipped)
	}
	color := ansiGreen + ansiBold
	if r.Failed > 0 || r.Unknown > 0 || r.Skipped > 0 {
		color = ansiYellow + ansiBold
	}
	fmt.Fprintf(&b, "%s %s.\n", v.paint(color, "Apply complete:"), counts)
	if r.Failed > 0 {
		fmt.Fprintf(&b, "\n%s refused by Kaleyra: nothing went out, and the next apply tries %s again. Fix the cause shown above first.\n",
			countNoun(r.Failed, "delivery was", "deliveries were"), itThem(r.Failed))
	}
	if r.Unknown > 0 {
		fmt.Fprintf(&b, "\n%s an unknown outcome: the request may or may not have reached %s, so herald will not send %s again on its own. "+
			"Check with Kaleyra (\"herald state show ADDRESS\" gives the request ids), and if a message did not arrive, apply with -replace=ADDRESS:+NUMBER to send it again, or -replace-unknown=ADDRESS for every unknown one of a message (never those sent).\n",
			countNoun(r.Unknown, "delivery has", "deliveries have"), plural(r.Unknown, "its recipient", "their recipients"), itThem(r.Unknown))
	}
	if r.Skipped > 0 {
		fmt.Fprintf(&b, "\n%s not sent (see above why); the next apply sends %s.\n",
			countNoun(r.Skipped, "delivery was", "deliveries were"), itThem(r.Skipped))
	}
	io.WriteString(v.w, b.String())
}

// printAboveBar prints a line where the bar is, then draws the bar again
// below it. The caller holds v.mu.
func (v *ApplyText) printAboveBar(line string) {
	if v.bar != "" {
		io.WriteString(v.w, ansiClearLine+line+"\n"+v.bar)
		return
	}
	io.WriteString(v.w, line+"\n")
}

// barLine is "Sending [████░░░░] 1200/5000 (24%), 80/s, about 47s left",
// the bar narrowed so that the line fits the terminal.
func (v *ApplyText) barLine(p engine.Progress) string {
	text := applyProgressText(p)
	cells := min(applyBarWidth, v.opts.Width-1-len("Sending [] ")-utf8.RuneCountInString(text))
	if p.Failed > 0 || p.Unknown > 0 {
		text = v.paint(ansiYellow, text)
	}
	if cells < applyBarMin {
		// No room for a bar; and if the numbers alone are too long, they
		// are cut rather than wrapped.
		line := "Sending " + applyProgressText(p)
		if runes := []rune(line); len(runes) >= v.opts.Width {
			line = string(runes[:v.opts.Width-2]) + "…"
		}
		if p.Failed > 0 || p.Unknown > 0 {
			line = v.paint(ansiYellow, line)
		}
		return line
	}
	filled := cells * p.Done() / p.Total
	bar := "[" + strings.Repeat("█", filled) + strings.Repeat("░", cells-filled) + "]"
	return "Sending " + bar + " " + text
}

func (v *ApplyText) paint(color, s string) string {
	if !v.opts.Color {
		return s
	}
	return color + s + ansiReset
}

// applyProgressText is "1200/5000 (24%), 80/s, about 47s left", followed by the
// failed, unknown and skipped counts that are not zero.
func applyProgressText(p engine.Progress) string {
	parts := []string{fmt.Sprintf("%d/%d (%d%%)", p.Done(), p.Total, 100*p.Done()/p.Total)}
	if p.Rate > 0 {
		parts = append(parts, applyRate(p.Rate))
	}
	if p.Remaining > 0 && p.Done() < p.Total {
		parts = append(parts, "about "+applyRemaining(p.Remaining)+" left")
	}
	for _, c := range []struct {
		n    int
		name string
	}{{p.Failed, "failed"}, {p.Unknown, "unknown"}, {p.Skipped, "skipped"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	return strings.Join(parts, ", ")
}

func applyRate(r float64) string {
	if r < 10 {
		return fmt.Sprintf("%.1f/s", r)
	}
	return fmt.Sprintf("%.0f/s", r)
}

// applyRemaining rounds up to whole seconds: "47s", "3m20s", "1h05m".
func applyRemaining(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
}

func applyOneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ApplyJSONFormatVersion is the version of the apply event stream
// described by schema/apply-events.schema.json. The minor number grows
// when fields are added; the major when a field changes meaning.
//
// 1.1 added the skipped event's cause, a token. 1.2 added planned_send's
// action_reason and warnings.
const ApplyJSONFormatVersion = "1.2"

// ApplyJSON is apply's machine-readable view: one JSON object per line,
// in the manner of Terraform's machine-readable UI. Every event has
// "@level", "@message", "@timestamp" and "type"; the types and their fields
// are described in schema/apply-events.schema.json. Its methods may be
// called from many goroutines; each event is written with one Write.
type ApplyJSON struct {
	w       io.Writer
	version string
	// now is the clock for "@timestamp"; tests replace it.
	now func() time.Time

	mu sync.Mutex
}

// NewApplyJSON returns the JSON apply view writing to w; version is
// herald's.
func NewApplyJSON(w io.Writer, version string) *ApplyJSON {
	return &ApplyJSON{w: w, version: version, now: time.Now}
}

// applyEvent is the part every event shares.
type applyEvent struct {
	Level     string `json:"@level"`
	Message   string `json:"@message"`
	Timestamp string `json:"@timestamp"`
	Type      string `json:"type"`
}

// Version emits the "version" event, first in every stream.
func (v *ApplyJSON) Version() {
	v.emit(&struct {
		applyEvent
		Herald        string `json:"herald"`
		FormatVersion string `json:"format_version"`
	}{
		applyEvent:    applyEvent{Level: "info", Message: "herald v" + v.version, Type: "version"},
		Herald:        v.version,
		FormatVersion: ApplyJSONFormatVersion,
	})
}

// Diagnostics emits one "diagnostic" event per diagnostic, each in the
// shape validate -json uses; files, when given, add source snippets.
func (v *ApplyJSON) Diagnostics(diags hcl.Diagnostics, files ...map[string]*hcl.File) {
	for _, d := range DiagnosticsJSON(diags, files...) {
		level, prefix := "error", "Error: "
		if d.Severity == "warning" {
			level, prefix = "warn", "Warning: "
		}
		v.emit(&struct {
			applyEvent
			Diagnostic JSONDiagnostic `json:"diagnostic"`
		}{
			applyEvent: applyEvent{Level: level, Message: prefix + d.Summary, Type: "diagnostic"},
			Diagnostic: d,
		})
	}
}

// PlannedSends emits a "planned_send" event for each delivery the plan
// sends, before the first is sent.
func (v *ApplyJSON) PlannedSends(p *plans.Plan) {
	for i := range p.Instances {
		ic := &p.Instances[i]
		address := ic.Instance.Address.String()
		for _, c := range ic.Changes {
			if !c.Action.Sends() {
				continue
			}
			ev := applyEvent{Level: "info", Message: fmt.Sprintf("%s: %s to %s", address, c.Action, c.Recipient), Type: "planned_send"}
			var warnings []plannedWarning
			if c.Warning != 0 {
				ev.Level = "warn"
				ev.Message += " (" + warningSentence(c.Warning) + ")"
				warnings = []plannedWarning{{c.Warning, warningSentence(c.Warning)}}
			}
			v.emit(&struct {
				applyEvent
				Address      string           `json:"address"`
				Recipient    string           `json:"recipient"`
				Key          delivery.Key     `json:"key"`
				Action       plans.Action     `json:"action"`
				ActionReason plans.Reason     `json:"action_reason"`
				Warnings     []plannedWarning `json:"warnings,omitempty"`
			}{
				applyEvent:   ev,
				Address:      address,
				Recipient:    c.Recipient,
				Key:          ic.Instance.Key(c.Recipient),
				Action:       c.Action,
				ActionReason: c.Reason,
				Warnings:     warnings,
			})
		}
	}
}

// plannedWarning is a planned send's warning, as the plan JSON gives it.
type plannedWarning struct {
	Warning plans.Warning `json:"warning"`
	Message string        `json:"message"`
}

// PreSend emits "send_start" for each delivery.
func (v *ApplyJSON) PreSend(in *delivery.Instance, changes []*plans.Change) {
	address := in.Address.String()
	for _, c := range changes {
		v.emit(&struct {
			applyEvent
			Address   string `json:"address"`
			Recipient string `json:"recipient"`
		}{
			applyEvent: applyEvent{Level: "info", Message: fmt.Sprintf("%s: sending to %s", address, c.Recipient), Type: "send_start"},
			Address:    address,
			Recipient:  c.Recipient,
		})
	}
}

// PostSend emits "send_outcome" for each delivery, with Kaleyra's ids or
// the error.
func (v *ApplyJSON) PostSend(in *delivery.Instance, _ []*plans.Change, outcomes []kaleyra.Outcome) {
	address := in.Address.String()
	for _, o := range outcomes {
		v.outcome(address, o)
	}
}

func (v *ApplyJSON) outcome(address string, o kaleyra.Outcome) {
	level, message := "info", fmt.Sprintf("%s: sent to %s", address, o.Recipient)
	switch o.Status {
	case kaleyra.Failed:
		level, message = "error", fmt.Sprintf("%s: failed to send to %s", address, o.Recipient)
	case kaleyra.Unknown:
		level, message = "warn", fmt.Sprintf("%s: outcome unknown for %s", address, o.Recipient)
	}
	if o.Code != "" {
		message += " (" + o.Code + ")"
	}
	if o.Text != "" {
		message += ": " + applyOneLine(o.Text)
	}
	v.emit(&struct {
		applyEvent
		Address   string `json:"address"`
		Recipient string `json:"recipient"`
		Status    string `json:"status"`
		RequestID string `json:"request_id,omitempty"`
		MessageID string `json:"message_id,omitempty"`
		Code      string `json:"code,omitempty"`
		Text      string `json:"text,omitempty"`
		Attempts  int    `json:"attempts"`
	}{
		applyEvent: applyEvent{Level: level, Message: message, Type: "send_outcome"},
		Address:    address,
		Recipient:  o.Recipient,
		Status:     o.Status.String(),
		RequestID:  o.RequestID,
		MessageID:  o.MessageID,
		Code:       o.Code,
		Text:       o.Text,
		Attempts:   o.Attempts,
	})
}

// Skipped emits "skipped" for each delivery: the reason in words, and its
// cause as a token.
func (v *ApplyJSON) Skipped(in *delivery.Instance, changes []*plans.Change, why engine.Skip) {
	address := in.Address.String()
	reason := skipSentence(why)
	for _, c := range changes {
		v.emit(&struct {
			applyEvent
			Address   string `json:"address"`
			Recipient string `json:"recipient"`
			Reason    string `json:"reason"`
			Cause     string `json:"cause"`
		}{
			applyEvent: applyEvent{Level: "warn", Message: fmt.Sprintf("%s: skipped %s: %s", address, c.Recipient, applyOneLine(reason)), Type: "skipped"},
			Address:    address,
			Recipient:  c.Recipient,
			Reason:     reason,
			Cause:      why.Cause.String(),
		})
	}
}

// Progress emits "progress" on every call: a machine reading the stream
// decides itself how often to look.
func (v *ApplyJSON) Progress(p engine.Progress) {
	message := "Sending: nothing to send"
	if p.Total > 0 {
		message = "Sending: " + applyProgressText(p)
	}
	v.emit(&struct {
		applyEvent
		Total            int     `json:"total"`
		Sent             int     `json:"sent"`
		Failed           int     `json:"failed"`
		Unknown          int     `json:"unknown"`
		Skipped          int     `json:"skipped"`
		Rate             float64 `json:"rate"`
		ElapsedSeconds   float64 `json:"elapsed_seconds"`
		RemainingSeconds float64 `json:"remaining_seconds"`
	}{
		applyEvent:       applyEvent{Level: "info", Message: message, Type: "progress"},
		Total:            p.Total,
		Sent:             p.Sent,
		Failed:           p.Failed,
		Unknown:          p.Unknown,
		Skipped:          p.Skipped,
		Rate:             math.Round(p.Rate*100) / 100,
		ElapsedSeconds:   math.Round(p.Elapsed.Seconds()*1000) / 1000,
		RemainingSeconds: math.Ceil(p.Remaining.Seconds()),
	})
}

// Summary emits "summary", last in every stream that got as far as
// sending.
func (v *ApplyJSON) Summary(r engine.Result) {
	level := "info"
	if r.Failed > 0 || r.Unknown > 0 {
		level = "error"
	}
	message := fmt.Sprintf("Apply complete: %d sent, %d failed, %d unknown", r.Sent, r.Failed, r.Unknown)
	if r.Skipped > 0 {
		message += fmt.Sprintf(", %d skipped", r.Skipped)
	}
	v.emit(&struct {
		applyEvent
		Sent    int `json:"sent"`
		Failed  int `json:"failed"`
		Unknown int `json:"unknown"`
		Skipped int `json:"skipped"`
	}{
		applyEvent: applyEvent{Level: level, Message: message + ".", Type: "summary"},
		Sent:       r.Sent,
		Failed:     r.Failed,
		Unknown:    r.Unknown,
		Skipped:    r.Skipped,
	})
}

// applyEventStamper is implemented by every event struct through its
// embedded applyEvent, so that emit can set the timestamp.
type applyEventStamper interface{ stamp(time.Time) }

func (e *applyEvent) stamp(t time.Time) {
	e.Timestamp = t.Format("2006-01-02T15:04:05.000000Z07:00")
}

// emit writes one event as one line with one Write, so that lines from
// concurrent hooks never interleave.
func (v *ApplyJSON) emit(e applyEventStamper) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e.stamp(v.now())
	line, err := json.Marshal(e)
	if err != nil {
		// Every event is plain strings and numbers; this cannot happen.
		panic("views: encoding an apply event: " + err.Error())
	}
	v.w.Write(append(line, '\n'))
}
