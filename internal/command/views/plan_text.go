// Package views renders herald's results for people and programs: plans as
// text, JSON and Markdown, state summaries, and diagnostics. Views only
// render values they are given; they compute nothing and read no files.
package views

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// TextOptions shapes the text plan.
type TextOptions struct {
	// Color adds ANSI colours: sends in green, warnings in yellow.
	Color bool
}

// textListMax is how many recipients a list shows before "... and N more".
const textListMax = 20

// textMarkers mark each recipient with what apply does. Plain ASCII, so that
// plans read the same in every CI log; "-/+" is Terraform's replace marker.
var textMarkers = map[plans.Action]struct{ mark, style, legend string }{
	plans.Send:   {"+ send    ", ansiGreen, "not sent before"},
	plans.Retry:  {"+ retry   ", ansiGreen, "refused last time (nothing went out): sent again"},
	plans.Resend: {"-/+ resend", ansiMagenta, "sent again because of -replace"},
}

// PlanText renders p for a person reading a terminal or a CI log: the
// deliveries to send grouped by message instance in declaration order, each
// instance's content once, then warnings, then the summary line. Instances
// with nothing to send take one line.
//
// It runs in time linear in the number of deliveries and allocates per
// message instance, not per delivery: a no-change plan of 100,000
// deliveries is counted, not listed.
func PlanText(w io.Writer, p *plans.Plan, opts TextOptions) {
	bw := bufio.NewWriter(w)
	r := &textRenderer{w: bw, color: opts.Color}
	r.render(p)
	bw.Flush()
}

// textGroup is one message instance's share of the plan. It keeps counts
// and at most textListMax changes of each list, so its size does not grow
// with the number of recipients.
type textGroup struct {
	addr    addrs.MessageInstance
	inst    *delivery.Instance
	counts  plans.Summary
	sends   []*plans.Change // send, retry and resend, in plan order
	changed []*plans.Change
	unknown []*plans.Change
	retried []*plans.Change // retries of refused sends
	// arrivedNot are retries of sends whose receipt said they never
	// reached the phone.
	arrivedNot []*plans.Change
	outside    []*plans.Change // sends outside the 24-hour window
	// foreignKey counts the changed whose digest was keyed with another
	// digest secret.
	foreignKey int
	// contents are what changed in the content since it was sent to the
	// changed deliveries.
	contents []contentChange
}

// textPhrases renders the non-zero counts of a summary's changes: "2 to
// send, 12 already sent", then what receipts said: "(receipts: 9
// delivered, 3 read)".
func textPhrases(c plans.Summary) string {
	var parts []string
	for _, a := range plans.Actions {
		if n := c.Count(a); n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+actionPhrases[a])
		}
	}
	out := strings.Join(parts, ", ")
	if c.Receipts() {
		out += " (receipts: " + receiptPhrases(c) + ")"
	}
	return out
}

// groupText summarises each instance of the plan for the text view.
func groupText(p *plans.Plan) []*textGroup {
	groups := make([]*textGroup, len(p.Instances))
	for i := range p.Instances {
		groups[i] = groupInstance(&p.Instances[i])
		if groups[i].counts.Changed > 0 {
			groups[i].contents = contentChanges(p, &p.Instances[i])
		}
	}
	return groups
}

func groupInstance(ic *plans.InstanceChange) *textGroup {
	g := &textGroup{addr: ic.Instance.Address, inst: ic.Instance}
	for j := range ic.Changes {
		c := &ic.Changes[j]
		g.counts.AddChange(c)
		switch {
		case c.Action.Sends():
			g.sends = textAppendCapped(g.sends, c)
			switch {
			case c.Reason == plans.FailedAfterSend:
				g.arrivedNot = textAppendCapped(g.arrivedNot, c)
			case c.Action == plans.Retry:
				g.retried = textAppendCapped(g.retried, c)
			}
			if c.Warning == plans.OutsideWindow {
				g.outside = textAppendCapped(g.outside, c)
			}
		case c.Action == plans.Changed:
			g.changed = textAppendCapped(g.changed, c)
			if c.Prior != nil && ic.Instance.ForeignKey(c.Prior.Digest) {
				g.foreignKey++
			}
		case c.Action == plans.Unknown:
			g.unknown = textAppendCapped(g.unknown, c)
		}
	}
	return g
}

func textAppendCapped(list []*plans.Change, c *plans.Change) []*plans.Change {
	if len(list) < textListMax {
		list = append(list, c)
	}
	return list
}

type textRenderer struct {
	w     *bufio.Writer
	color bool
	// started is set once anything is written; see block.
	started bool
}

func (r *textRenderer) styled(style, s string) string {
	if !r.color || style == "" {
		return s
	}
	return style + s + ansiReset
}

func (r *textRenderer) printf(format string, args ...any) { fmt.Fprintf(r.w, format, args...) }

func (r *textRenderer) render(p *plans.Plan) {
	groups := groupText(p)
	sum := p.Summary()

	if p.Targeted {
		r.block()
		r.printf("%s this plan is limited by -target or -exclude: deliveries outside it are\n", r.styled(ansiBold, "Note:"))
		r.printf("not shown and will not be sent.\n")
		if deps := p.TargetDependencies; len(deps) > 0 {
			names := make([]string, len(deps))
			for i, m := range deps {
				names[i] = m.String()
			}
			r.printf("It includes %s: a target depends on %s (depends_on), and\n", strings.Join(names, ", "), itThem(len(deps)))
			r.printf("%s sends go first.\n", itsTheir(len(deps)))
		}
	}
	if sum.Sends() > 0 {
		r.legend(sum)
	}
	quiet := false
	for _, g := range groups {
		if g.counts.Sends() > 0 {
			r.group(g)
			quiet = false
			continue
		}
		if !quiet {
			r.block()
			quiet = true
		}
		r.printf("  %s: %s\n", g.addr, textPhrases(g.counts))
	}

	r.warnings(groups, sum)

	r.block()
	if sum.Sends() == 0 {
		r.printf("%s\n", r.styled(ansiBold, "No changes. Nothing to send."))
	}
	r.printf("%s %s.\n", r.styled(ansiBold, "Plan:"), summaryPhrases(sum))
	if sum.Receipts() {
		r.printf("%s %s.\n", r.styled(ansiBold, "Receipts:"), receiptSummaryPhrases(sum))
	}
	if n := sum.NoLongerDeclared; n > 0 {
		r.printf("%s in state %s no longer declared (kept as history; \"herald state rm -undeclared -older-than=AGE\" prunes %s).\n", countNoun(n, "delivery", "deliveries"), isAre(n), itThem(n))
	}
}

// block starts a new block of output, separated from the one before by a
// blank line.
func (r *textRenderer) block() {
	if r.started {
		r.printf("\n")
	}
	r.started = true
}

// legend explains the markers the plan uses, like Terraform's "Resource
// actions are indicated with the following symbols".
func (r *textRenderer) legend(sum plans.Summary) {
	r.block()
	r.printf("herald will send these messages. Recipients are marked:\n")
	for _, a := range []struct {
		action plans.Action
		n      int
	}{{plans.Send, sum.Send}, {plans.Retry, sum.Retry}, {plans.Resend, sum.Resend}} {
		if a.n > 0 {
			m := textMarkers[a.action]
			legend := m.legend
			if a.action == plans.Retry && sum.FailedAfterSend > 0 {
				legend = retryAfterSendLegend
				if sum.FailedAfterSend < sum.Retry {
					legend = retryEitherLegend
				}
			}
			r.printf("  %s  %s\n", r.styled(m.style, m.mark), legend)
		}
	}
}

// group renders one instance that has something to send: its content once,
// then the recipients to send to.
func (r *textRenderer) group(g *textGroup) {
	d := g.inst
	r.block()
	r.printf("  %s\n", r.styled(ansiBold, "# "+g.addr.String()+": "+textPhrases(g.counts)))
	r.content(d)
	r.attr("from", fmt.Sprintf("sender.%s (%s)", d.SenderName, d.Sender))
	r.attr("ref", strconv.Quote(d.Ref))
	if d.Ref1 != "" {
		r.attr("ref1", strconv.Quote(d.Ref1))
	}
	if d.Ref2 != "" {
		r.attr("ref2", strconv.Quote(d.Ref2))
	}
	if d.CallbackURL != "" {
		r.attr("callback_url", strconv.Quote(d.CallbackURL))
	}
	if d.Provider != "" && d.Provider != "kaleyra" {
		r.attr("provider", d.Provider)
	}
	if len(d.DependsOn) > 0 {
		names := make([]string, len(d.DependsOn))
		for i, m := range d.DependsOn {
			names[i] = m.String()
		}
		r.attr("depends_on", "["+strings.Join(names, ", ")+"]")
	}
	r.printf("    to:\n")
	for _, c := range g.sends {
		m := textMarkers[c.Action]
		if c.Warning == plans.OutsideWindow {
			r.printf("      %s  %s  %s\n", r.styled(m.style, m.mark), c.Recipient, r.styled(ansiYellow, "(outside the 24-hour window)"))
			continue
		}
		r.printf("      %s  %s\n", r.styled(m.style, m.mark), c.Recipient)
	}
	if more := g.counts.Sends() - len(g.sends); more > 0 {
		r.printf("      ... and %d more (herald plan -json lists them all, as does herald show -json PLANFILE)\n", more)
	}
}

// attr prints one aligned "name = value" line of an instance's content.
func (r *textRenderer) attr(name, value string) {
	r.printf("    %-12s = %s\n", name, value)
}

func (r *textRenderer) content(d *delivery.Instance) {
	c := &d.Content
	if c.Type != "" {
		r.attr("type", string(c.Type))
	}
	switch {
	case c.Type == delivery.Template || c.Type == delivery.MediaTemplate:
		if c.TemplateName == "" {
			// A sensitive delivery read from a saved plan keeps only its
			// type: the template is part of what was withheld.
			r.attr("template", "(sensitive)")
		} else {
			r.attr("template", strconv.Quote(c.TemplateName))
		}
		if c.Language != "" {
			r.attr("language", strconv.Quote(c.Language))
		}
		r.params(c.Params, d.Sensitive)
		if c.Header != "" {
			r.attr("header", c.Header)
		}
		r.richValue("header_text", c.HeaderText, d.Sensitive)
		if c.Type == delivery.MediaTemplate {
			r.richValue("media_url", c.MediaURL, d.Sensitive)
		}
		r.richValue("button_url", c.ButtonURL, d.Sensitive)
	case c.Type == delivery.Media:
		r.richValue("media_url", c.MediaURL, d.Sensitive)
		r.richValue("caption", c.Caption, d.Sensitive)
	case d.Sensitive:
		r.attr("body", "(sensitive)")
	default:
		r.body(c.Body)
	}
}

// richValue shows a rich content field when it is set, withheld when the
// content is sensitive.
func (r *textRenderer) richValue(name, value string, sensitive bool) {
	switch {
	case value == "":
	case sensitive:
		r.attr(name, "(sensitive)")
	default:
		r.attr(name, strconv.Quote(value))
	}
}

func (r *textRenderer) params(params []delivery.Param, sensitive bool) {
	if len(params) == 0 {
		if sensitive {
			r.attr("params", "(sensitive)")
		}
		return
	}
	width := 0
	for _, p := range params {
		width = max(width, utf8.RuneCountInString(p.Name))
	}
	r.attr("params", "{")
	for _, p := range params {
		value := "(sensitive)"
		if !sensitive {
			value = strconv.Quote(p.Value)
		}
		r.printf("      %-*s = %s\n", width, p.Name, value)
	}
	r.printf("    }\n")
}

// body prints a one-line body quoted, and a longer one as a heredoc with
// its lines indented, as a reader would want to proofread it. Control
// characters are escaped so that a body cannot drive the terminal.
func (r *textRenderer) body(body string) {
	if !strings.Contains(body, "\n") {
		r.attr("body", strconv.Quote(body))
		return
	}
	r.attr("body", "<<EOT")
	for line := range strings.SplitSeq(strings.TrimSuffix(body, "\n"), "\n") {
		if line == "" {
			r.printf("\n")
			continue
		}
		r.printf("      %s\n", textEscape(line))
	}
	r.printf("    EOT\n")
}

func textEscape(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if c != '\t' && unicode.IsControl(c) {
			q := strconv.QuoteRune(c)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// warnings lists what needs a person's attention after the groups: sends
// withheld because the content changed or the outcome is unknown, and
// earlier failures being retried.
func (r *textRenderer) warnings(groups []*textGroup, sum plans.Summary) {
	if n := sum.Changed; n > 0 {
		r.block()
		r.printf("%s %s changed after sending\n\n", r.styled(ansiBold+ansiYellow, "Warning:"), countNoun(n, "delivery", "deliveries"))
		r.printf("  %s sent before, and the content the configuration gives now differs\n", plural(n, "It was", "They were"))
		r.printf("  from what was sent. herald does not send %s again on its own.\n", itThem(n))
		foreign := 0
		for _, g := range groups {
			foreign += g.foreignKey
		}
		if foreign > 0 {
			for _, line := range wrap(foreignKeyNote(foreign, n), 72) {
				r.printf("  %s\n", line)
			}
		}
		r.replaceHint(groups, func(g *textGroup) []*plans.Change { return g.changed })
		r.changedList(groups)
	}
	if n := sum.Unknown; n > 0 {
		r.block()
		r.printf("%s %s with an unknown outcome\n\n", r.styled(ansiBold+ansiYellow, "Warning:"), countNoun(n, "delivery", "deliveries"))
		r.printf("  An earlier apply was interrupted or got an unclear answer, so %s may\n", itThey(n))
		r.printf("  have gone out. herald does not send %s again on its own.\n", itThem(n))
		r.replaceUnknownHint(groups)
		r.warningList(groups, func(g *textGroup) (int, []*plans.Change) { return g.counts.Unknown, g.unknown }, "~", ansiYellow)
	}
	if n := sum.OutsideWindow; n > 0 {
		r.block()
		r.printf("%s %s outside WhatsApp's 24-hour window\n\n", r.styled(ansiBold+ansiYellow, "Warning:"), countNoun(n, "delivery", "deliveries"))
		r.printf("  WhatsApp delivers free-form messages (text and media, not templates)\n")
		r.printf("  only within 24 hours of the recipient's last message to the sender\n")
		r.printf("  number. %s not written to it in that time, as far\n", plural(n, "This recipient has", "These recipients have"))
		r.printf("  as herald's receipts show, so WhatsApp will likely refuse %s (131047).\n", itThem(n))
		r.printf("  Send a template instead, or wait until %s.\n\n", plural(n, "the recipient writes", "they write"))
		r.warningList(groups, func(g *textGroup) (int, []*plans.Change) { return g.counts.OutsideWindow, g.outside }, "!", ansiYellow)
	}
	if n := sum.FailedAfterSend; n > 0 {
		r.block()
		r.printf("%s %s failed after sending and will be retried\n\n", r.styled(ansiBold, "Note:"), countNoun(n, "delivery", "deliveries"))
		r.printf("  Kaleyra accepted %s, but the delivery receipts said %s never reached\n", itThem(n), itThey(n))
		r.printf("  the phone.\n\n")
		r.receiptList(groups)
	}
	if n := sum.Retry - sum.FailedAfterSend; n > 0 {
		r.block()
		r.printf("%s %s failed before and will be retried\n\n", r.styled(ansiBold, "Note:"), countNoun(n, "delivery", "deliveries"))
		r.printf("  Kaleyra refused %s last time, so nothing went out.\n\n", itThem(n))
		r.warningList(groups, func(g *textGroup) (int, []*plans.Change) {
			return g.counts.Retry - g.counts.FailedAfterSend, g.retried
		}, "", "")
	}
}

// receiptList prints, per instance, the retries of deliveries whose
// receipt said they never arrived, each with the code in plain words.
func (r *textRenderer) receiptList(groups []*textGroup) {
	for _, g := range groups {
		n := g.counts.FailedAfterSend
		if n == 0 {
			continue
		}
		r.printf("    %s: %d\n", g.addr, n)
		for _, c := range g.arrivedNot {
			rc := priorReceipt(c.Prior)
			r.printf("      %s  %s", c.Recipient, receiptWord(rc))
			if e := receiptError(rc); e != "" {
				r.printf(" (%s)", textEscape(e))
			}
			r.printf("\n")
		}
		if more := n - len(g.arrivedNot); more > 0 {
			r.printf("      ... and %d more\n", more)
		}
	}
}

// replaceHint tells how to send withheld deliveries again, with addresses
// taken from the plan so that they can be copied.
func (r *textRenderer) replaceHint(groups []*textGroup, list func(*textGroup) []*plans.Change) {
	for _, g := range groups {
		if l := list(g); len(l) > 0 {
			c := l[0]
			one := addrs.Target{Message: g.addr.Message, Key: g.addr.Key, Recipient: c.Recipient}.String()
			all := g.addr.String()
			width := max(len(one), len(all)) + len("-replace=''")
			r.printf("  Use -replace=ADDRESS to send again, for example:\n")
			r.printf("    %-*s  (one recipient)\n", width, "-replace='"+one+"'")
			r.printf("    %-*s  (all of its recipients)\n\n", width, "-replace='"+all+"'")
			return
		}
	}
}

// replaceUnknownHint tells how to send again deliveries whose outcome is
// unknown, after checking that they did not arrive: one of them, or all
// the unknown ones of an instance, never the sent ones beside them.
func (r *textRenderer) replaceUnknownHint(groups []*textGroup) {
	for _, g := range groups {
		if len(g.unknown) == 0 {
			continue
		}
		c := g.unknown[0]
		one := addrs.Target{Message: g.addr.Message, Key: g.addr.Key, Recipient: c.Recipient}.String()
		all := g.addr.String()
		first := "-replace='" + one + "'"
		second := "-replace-unknown='" + all + "'"
		width := max(len(first), len(second))
		r.printf("  Check Kaleyra's delivery reports first. To send again those that did\n")
		r.printf("  not arrive:\n")
		r.printf("    %-*s  (one recipient)\n", width, first)
		r.printf("    %-*s  (its %d unknown, not those sent)\n\n", width, second, g.counts.Unknown)
		return
	}
}

// warningList prints, per instance, how many deliveries a warning concerns
// and the first few of them with the prior error, if any.
func (r *textRenderer) warningList(groups []*textGroup, list func(*textGroup) (int, []*plans.Change), mark, style string) {
	for _, g := range groups {
		n, shown := list(g)
		if n == 0 {
			continue
		}
		r.printf("    %s: %d\n", g.addr, n)
		for _, c := range shown {
			if mark != "" {
				r.printf("      %s %s%s\n", r.styled(style, mark), c.Recipient, textPriorError(c.Prior))
			} else {
				r.printf("      %s%s\n", c.Recipient, textPriorError(c.Prior))
			}
		}
		if more := n - len(shown); more > 0 {
			r.printf("      ... and %d more\n", more)
		}
	}
}

// changedList prints, per instance, what changed in its content since it
// was sent, once, then the first few changed deliveries.
func (r *textRenderer) changedList(groups []*textGroup) {
	for _, g := range groups {
		n := g.counts.Changed
		if n == 0 {
			continue
		}
		r.printf("    %s: %d\n", g.addr, n)
		for _, cc := range g.contents {
			for _, line := range diffLines(cc, len(g.contents) > 1) {
				if line[0] == '#' {
					r.printf("        %s\n", line)
					continue
				}
				r.printf("        %s%s\n", r.styled(diffStyle(line[0]), line[:1]), textEscape(line[1:]))
			}
		}
		for _, c := range g.changed {
			r.printf("      %s %s%s\n", r.styled(ansiYellow, "~"), c.Recipient, textPriorError(c.Prior))
		}
		if more := n - len(g.changed); more > 0 {
			r.printf("      ... and %d more\n", more)
		}
	}
}

// diffStyle colours a diff line's marker as Terraform does.
func diffStyle(mark byte) string {
	switch mark {
	case '+':
		return ansiGreen
	case '-':
		return ansiRed
	}
	return ansiYellow
}

// textPriorError is "  (E13009: to number invalid)" for a record with an error.
func textPriorError(d *states.Delivery) string {
	if d == nil || (d.ErrorCode == "" && d.ErrorText == "") {
		return ""
	}
	if d.ErrorCode == "" || d.ErrorText == "" {
		return "  (" + textEscape(d.ErrorCode+d.ErrorText) + ")"
	}
	return "  (" + textEscape(d.ErrorCode+": "+d.ErrorText) + ")"
}
