package views

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
)

// MarkdownOptions shapes a Markdown plan for a pull-request comment.
type MarkdownOptions struct {
	// Marker identifies the comment: the document starts with
	// <!-- herald-plan: MARKER --> so that a CI job can find the comment it
	// wrote before and update it. Default "herald-plan".
	Marker string
	// Limit is the most characters the document may have. Default 65000,
	// under GitHub's 65,536 for a comment. The head (marker, verdict,
	// summary, warnings) is always kept and is at most a few thousand
	// characters, so a Limit below that is not honoured.
	Limit int
	// PlanFile names the saved plan in "run `herald show PLANFILE` for
	// all"; "" when the plan was not saved, and the reader is told to run
	// `herald plan` instead.
	PlanFile string
}

const (
	defaultMarkdownMarker = "herald-plan"
	defaultMarkdownLimit  = 65000

	// mdListEnds is how many lines a long recipient list keeps at each end
	// before the budget forces fewer: 20,000 recipients show as 200 lines.
	mdListEnds = 100
	// mdListOpen is the longest list shown unfolded.
	mdListOpen = 10
	// mdNamesShown is how many message addresses a warning or the
	// nothing-to-do line names before saying "and N more".
	mdNamesShown = 10
	// mdValueMax and mdBodyMax bound a single value and a body so that no
	// one field can crowd out the rest of the plan.
	mdValueMax = 300
	mdBodyMax  = 4000
	// mdBodyFold is the body length beyond which the body is folded.
	mdBodyFold      = 600
	mdBodyFoldLines = 12
	// mdOmittedReserve is kept free for the note that says which messages
	// did not fit.
	mdOmittedReserve = 1000
)

// PlanMarkdown renders p as one GitHub comment: the marker, a heading with
// the verdict, a summary table, what needs attention, then a section per
// message instance with something to send or to warn about, in plan order,
// as many as fit within opts.Limit. Sends are highlighted: every one of them
// reaches a person.
//
// The marker, heading, summary and warnings are always kept, and are
// bounded in size whatever the plan; message sections and long recipient
// lists give way, and the document says what it left out.
func PlanMarkdown(w io.Writer, p *plans.Plan, opts MarkdownOptions) error {
	_, err := io.WriteString(w, renderPlanMarkdown(p, opts))
	return err
}

// mdInstance is one message instance's share of the plan.
type mdInstance struct {
	addr     addrs.MessageInstance
	first    *delivery.Instance
	byAction map[plans.Action][]*plans.Change
	// refused and arrivedNot split the retries: sends Kaleyra refused, and
	// sends whose receipt said they never reached the phone.
	refused, arrivedNot []*plans.Change
	// outside are the sends outside the 24-hour window.
	outside []*plans.Change
	// contents are what changed in the content since it was sent to the
	// changed deliveries.
	contents []contentChange
	sum      plans.Summary
	total    int
}

func (i *mdInstance) count(a plans.Action) int { return len(i.byAction[a]) }

func (i *mdInstance) sends() int {
	return i.count(plans.Send) + i.count(plans.Retry) + i.count(plans.Resend)
}

func (i *mdInstance) warnings() int {
	return i.count(plans.Changed) + i.count(plans.Unknown) + i.count(plans.Retry)
}

// mdGroup sorts each instance's changes by action, in plan order.
func mdGroup(p *plans.Plan) []*mdInstance {
	out := make([]*mdInstance, len(p.Instances))
	for i := range p.Instances {
		ic := &p.Instances[i]
		inst := &mdInstance{addr: ic.Instance.Address, first: ic.Instance, byAction: map[plans.Action][]*plans.Change{}, total: len(ic.Changes)}
		for j := range ic.Changes {
			c := &ic.Changes[j]
			inst.byAction[c.Action] = append(inst.byAction[c.Action], c)
			inst.sum.AddChange(c)
			switch {
			case c.Reason == plans.FailedAfterSend:
				inst.arrivedNot = append(inst.arrivedNot, c)
			case c.Action == plans.Retry:
				inst.refused = append(inst.refused, c)
			}
			if c.Warning == plans.OutsideWindow {
				inst.outside = append(inst.outside, c)
			}
		}
		if inst.sum.Changed > 0 {
			inst.contents = contentChanges(p, ic)
		}
		out[i] = inst
	}
	return out
}

type mdRenderer struct {
	opts MarkdownOptions
	plan *plans.Plan
	sum  plans.Summary
	inst []*mdInstance
}

func renderPlanMarkdown(p *plans.Plan, opts MarkdownOptions) string {
	if opts.Marker == "" {
		opts.Marker = defaultMarkdownMarker
	}
	if opts.Limit <= 0 {
		opts.Limit = defaultMarkdownLimit
	}
	r := &mdRenderer{opts: opts, plan: p, sum: p.Summary(), inst: mdGroup(p)}

	head := r.head()
	var quiet []*mdInstance // instances with nothing to do
	var loud []*mdInstance  // instances that get a section
	for _, inst := range r.inst {
		if inst.sends() > 0 || inst.warnings() > 0 {
			loud = append(loud, inst)
		} else {
			quiet = append(quiet, inst)
		}
	}
	quietLine := r.quietLine(quiet)
	footer := r.footer()

	var b strings.Builder
	b.WriteString(head)
	budget := opts.Limit - len(head) - len(quietLine) - len(footer) - mdOmittedReserve
	shown := 0
	for _, inst := range loud {
		section, ok := r.fittingSection(inst, budget)
		if !ok {
			break
		}
		b.WriteString(section)
		budget -= len(section)
		shown++
	}
	if shown < len(loud) {
		b.WriteString(r.omitted(loud[shown:]))
	}
	b.WriteString(quietLine)
	b.WriteString(footer)
	return b.String()
}

// head is everything that is always kept: marker, verdict, summary table
// and the warnings.
func (r *mdRenderer) head() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- herald-plan: %s -->\n", mdMarker(r.opts.Marker))
	sends := r.sum.Sends()
	if sends > 0 {
		fmt.Fprintf(&b, "## herald plan: %s to send\n\n", mdPlural(sends, "message", "messages"))
		people := r.people()
		parts := mdNonZero([]mdCountName{
			{r.sum.Send, "new"}, {r.sum.Retry, "to retry"}, {r.sum.Resend, "to resend"},
		})
		fmt.Fprintf(&b, "> [!WARNING]\n> **%s will receive %s when this plan is applied** (%s).\n\n",
			mdPlural(people, "person", "people"), mdPlural(sends, "message", "messages"), strings.Join(parts, ", "))
	} else {
		b.WriteString("## herald plan: nothing to send\n\n")
		b.WriteString("No one will receive a message when this plan is applied.\n\n")
	}
	if r.plan.Targeted {
		b.WriteString("> [!NOTE]\n> This plan was narrowed with `-target` or `-exclude`: messages outside the targets were not considered.")
		if deps := r.plan.TargetDependencies; len(deps) > 0 {
			names := make([]string, len(deps))
			for i, m := range deps {
				names[i] = mdCode(m.String())
			}
			fmt.Fprintf(&b, " It includes %s, which the targets depend on (`depends_on`), so that their sends go first.", mdNames(names))
		}
		b.WriteString("\n\n")
	}

	b.WriteString("| Deliveries | Count |\n|:--|--:|\n")
	row := func(name string, n int, loud bool) {
		if loud && n > 0 {
			fmt.Fprintf(&b, "| **%s** | **%s** |\n", name, mdCount(n))
			return
		}
		fmt.Fprintf(&b, "| %s | %s |\n", name, mdCount(n))
	}
	for _, a := range plans.Actions {
		row(capitalFirst(actionPhrases[a]), r.sum.Count(a), a != plans.None)
	}
	row("No longer declared", r.sum.NoLongerDeclared, false)
	if r.sum.Receipts() {
		row("Delivered (receipts)", r.sum.Delivered, false)
		row("Read (receipts)", r.sum.Read, false)
		row("Failed after sending (retried)", r.sum.FailedAfterSend, true)
	}
	if r.sum.OutsideWindow > 0 {
		row("Outside the 24-hour window", r.sum.OutsideWindow, true)
	}
	b.WriteString("\n")

	b.WriteString(r.warnings())
	if n := r.sum.NoLongerDeclared; n > 0 {
		fmt.Fprintf(&b, "%s in state %s no longer declared; %s %s kept as history and never sent (`herald state rm -undeclared -older-than=AGE` prunes %s).\n\n",
			mdPlural(n, "delivery", "deliveries"), isAre(n), itThey(n), isAre(n), itThem(n))
	}
	return b.String()
}

// people counts the distinct recipients of the plan's sends.
func (r *mdRenderer) people() int {
	seen := map[string]bool{}
	for i := range r.plan.Instances {
		for _, c := range r.plan.Instances[i].Changes {
			if c.Action.Sends() {
				seen[c.Recipient] = true
			}
		}
	}
	return len(seen)
}

func (r *mdRenderer) warnings() string {
	type warning struct {
		count func(*mdInstance) int
		text  func(n int, where string) string
	}
	kinds := []warning{
		{func(i *mdInstance) int { return i.count(plans.Changed) }, func(n int, where string) string {
			return fmt.Sprintf("**%s changed after sending** in %s: %s not sent again. To send the new content, apply with `-replace=ADDRESS`.",
				mdPlural(n, "delivery", "deliveries"), where, itThey(n)+" "+isAre(n))
		}},
		{func(i *mdInstance) int { return i.count(plans.Unknown) }, func(n int, where string) string {
			return fmt.Sprintf("**%s an unknown outcome** in %s: %s may have reached %s %s, so herald will not send %s again. Check with Kaleyra, then send again those that did not arrive with `-replace=ADDRESS:+NUMBER`, or `-replace-unknown=ADDRESS` for every unknown one of an instance (never those sent).",
				mdPlural(n, "delivery has", "deliveries have"), where, itThey(n), itsTheir(n), plural(n, "recipient", "recipients"), itThem(n))
		}},
		{func(i *mdInstance) int { return len(i.outside) }, func(n int, where string) string {
			return fmt.Sprintf("**%s outside WhatsApp's 24-hour window** in %s: free-form messages (not templates) to recipients who have not written to the sender number in the last 24 hours, as far as herald's receipts show. WhatsApp will likely refuse %s (131047); send a template instead.",
				mdPlural(n, "delivery", "deliveries"), where, itThem(n))
		}},
		{func(i *mdInstance) int { return len(i.arrivedNot) }, func(n int, where string) string {
			return fmt.Sprintf("**%s failed after sending** in %s: Kaleyra accepted %s, but the delivery receipts said %s never reached the phone; %s will be sent again.",
				mdPlural(n, "delivery", "deliveries"), where, itThem(n), itThey(n), itThey(n))
		}},
		{func(i *mdInstance) int { return len(i.refused) }, func(n int, where string) string {
			return fmt.Sprintf("**%s failed before** in %s: Kaleyra refused %s, so nothing went out; %s will be sent again.",
				mdPlural(n, "delivery", "deliveries"), where, itThem(n), itThey(n))
		}},
	}
	var lines []string
	for _, k := range kinds {
		var names []string
		n := 0
		for _, inst := range r.inst {
			if c := k.count(inst); c > 0 {
				n += c
				names = append(names, mdCode(mdShorten(inst.addr.String(), mdValueMax)))
			}
		}
		if n > 0 {
			lines = append(lines, "> - "+k.text(n, mdNames(names)))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "> [!CAUTION]\n> **Needs attention**\n>\n" + strings.Join(lines, "\n") + "\n\n"
}

// mdNames joins names, naming at most mdNamesShown of them.
func mdNames(names []string) string {
	if len(names) <= mdNamesShown {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:mdNamesShown], ", ") + fmt.Sprintf(" and %s more", mdCount(len(names)-mdNamesShown))
}

func (r *mdRenderer) quietLine(quiet []*mdInstance) string {
	if len(quiet) == 0 {
		return ""
	}
	names := make([]string, len(quiet))
	for i, inst := range quiet {
		names[i] = mdCode(mdShorten(inst.addr.String(), mdValueMax))
	}
	return fmt.Sprintf("**%s with nothing to do** (already sent): %s.\n\n",
		mdPlural(len(quiet), "message", "messages"), mdNames(names))
}

func (r *mdRenderer) footer() string {
	return fmt.Sprintf("<sub>Made by herald. Run %s for the whole plan.</sub>\n", r.showCommand())
}

// showCommand is the command that shows the whole plan: show of the saved
// plan, or plan again when it was not saved.
func (r *mdRenderer) showCommand() string {
	if r.opts.PlanFile == "" {
		return "`herald plan`"
	}
	return "`herald show " + mdShorten(r.opts.PlanFile, mdValueMax) + "`"
}

// omitted says which message sections did not fit.
func (r *mdRenderer) omitted(rest []*mdInstance) string {
	sends, warnings := 0, 0
	for _, inst := range rest {
		sends += inst.sends()
		warnings += inst.count(plans.Changed) + inst.count(plans.Unknown)
	}
	detail := mdPlural(sends, "send", "sends")
	if warnings > 0 {
		detail += ", " + mdCount(warnings) + " changed or unknown"
	}
	return fmt.Sprintf("> [!NOTE]\n> %s more %s, from %s on, %s not shown (%s) to keep this comment within GitHub's size limit. Run %s for the whole plan.\n\n",
		mdCount(len(rest)), plural(len(rest), "message", "messages"),
		mdCode(mdShorten(rest[0].addr.String(), mdValueMax)), isAre(len(rest)), detail, r.showCommand())
}

// fittingSection renders inst's section within budget, keeping fewer
// recipient lines if it must. ok is false when even the shortest form does
// not fit.
func (r *mdRenderer) fittingSection(inst *mdInstance, budget int) (string, bool) {
	for _, ends := range []int{mdListEnds, 20, 5} {
		if s := r.section(inst, ends); len(s) <= budget {
			return s, true
		}
	}
	return "", false
}

// section renders one message instance; long recipient lists keep ends
// lines at each end.
func (r *mdRenderer) section(inst *mdInstance, ends int) string {
	var b strings.Builder
	d := inst.first
	fmt.Fprintf(&b, "### %s\n\n", mdCode(mdShorten(inst.addr.String(), mdValueMax)))

	var counts []string
	for _, a := range plans.Actions {
		n := inst.count(a)
		switch {
		case n == 0:
		case a.Sends():
			counts = append(counts, fmt.Sprintf("**%s %s**", mdCount(n), actionPhrases[a]))
		default:
			counts = append(counts, fmt.Sprintf("%s %s", mdCount(n), actionPhrases[a]))
		}
	}
	if inst.sum.Receipts() {
		counts = append(counts, "receipts: "+receiptPhrases(inst.sum))
	}
	b.WriteString(strings.Join(counts, " · ") + "\n\n")

	fmt.Fprintf(&b, "- **From:** %s (%s, %s)\n", mdCode(mdShorten(d.SenderName, mdValueMax)), d.Sender, d.Channel)
	var body string
	switch d.Content.Type {
	case delivery.Template, delivery.MediaTemplate:
		fmt.Fprintf(&b, "- **Template:** %s", mdCode(mdShorten(d.Content.TemplateName, mdValueMax)))
		if d.Content.Language != "" {
			fmt.Fprintf(&b, ", language %s", mdCode(mdShorten(d.Content.Language, mdValueMax)))
		}
		b.WriteString("\n")
		if len(d.Content.Params) > 0 {
			b.WriteString("- **Params:**\n")
			for n, p := range d.Content.Params {
				value := "(sensitive)"
				if !d.Sensitive {
					value = mdCode(mdShorten(p.Value, mdValueMax))
				}
				fmt.Fprintf(&b, "  %d. %s: %s\n", n+1, mdCode(mdShorten(p.Name, mdValueMax)), value)
			}
		}
		c := &d.Content
		switch {
		case c.Header == "":
		case d.Sensitive:
			fmt.Fprintf(&b, "- **Header:** %s, (sensitive)\n", c.Header)
		case c.Type == delivery.MediaTemplate:
			fmt.Fprintf(&b, "- **Header:** %s, %s\n", c.Header, mdLink(c.MediaURL))
		default:
			fmt.Fprintf(&b, "- **Header:** %s, %s\n", c.Header, mdCode(mdShorten(c.HeaderText, mdValueMax)))
		}
		if c.ButtonURL != "" {
			value := "(sensitive)"
			if !d.Sensitive {
				value = mdCode(mdShorten(c.ButtonURL, mdValueMax))
			}
			fmt.Fprintf(&b, "- **Button URL part:** %s\n", value)
		}
	case delivery.Media:
		media := "(sensitive)"
		if !d.Sensitive {
			media = mdLink(d.Content.MediaURL)
		}
		fmt.Fprintf(&b, "- **Media:** %s\n", media)
		body = d.Content.Caption
		if d.Sensitive && body != "" {
			body = "(sensitive)"
		}
	default:
		body = d.Content.Body
		if d.Sensitive {
			body = "(sensitive)"
		}
	}
	refs := []string{"**Ref:** " + mdCode(mdShorten(d.Ref, mdValueMax))}
	if d.Ref1 != "" {
		refs = append(refs, "**ref1:** "+mdCode(mdShorten(d.Ref1, mdValueMax)))
	}
	if d.Ref2 != "" {
		refs = append(refs, "**ref2:** "+mdCode(mdShorten(d.Ref2, mdValueMax)))
	}
	b.WriteString("- " + strings.Join(refs, " · ") + "\n")
	if d.CallbackURL != "" {
		fmt.Fprintf(&b, "- **Callback URL:** %s\n", mdCode(mdShorten(d.CallbackURL, mdValueMax)))
	}
	fmt.Fprintf(&b, "- **Recipients:** %s\n\n", mdCount(inst.total))

	if label := map[delivery.Type]string{delivery.Text: "Body", delivery.Media: "Caption"}[d.Content.Type]; label != "" && (body != "" || d.Content.Type == delivery.Text) {
		body = mdShortenBody(body)
		lines := strings.Count(body, "\n") + 1
		if len(body) > mdBodyFold || lines > mdBodyFoldLines {
			fmt.Fprintf(&b, "<details><summary>%s (%s)</summary>\n\n%s\n</details>\n\n", label, mdPlural(lines, "line", "lines"), mdFence(body))
		} else {
			fmt.Fprintf(&b, "**%s:**\n\n%s", label, mdFence(body))
		}
	}

	addr := inst.addr.String()
	replace := mdCode(mdAddressFlag("-replace", addr))
	replaceUnknown := mdCode(mdAddressFlag("-replace-unknown", addr))
	if n := len(inst.outside); n > 0 {
		fmt.Fprintf(&b, "> [!WARNING]\n> %s outside WhatsApp's 24-hour window (marked below): %s free-form, and %s recipient%s not written to the sender number in the last 24 hours, so WhatsApp will likely refuse %s (131047). Send a template instead.\n\n",
			mdPlural(n, "send is", "sends are"), plural(n, "it is", "they are"), plural(n, "its", "their"), plural(n, " has", "s have"), itThem(n))
	}
	r.list(&b, inst.byAction[plans.Send], ends, "to send to", "", mdRecipientLine)
	r.list(&b, inst.arrivedNot, ends, "to retry (failed after sending)",
		"> [!CAUTION]\n> Kaleyra accepted these, but the delivery receipts said they never reached the phone; they will be sent again.\n\n", mdReceiptLine)
	r.list(&b, inst.refused, ends, "to retry",
		"> [!CAUTION]\n> Kaleyra refused these before, so nothing went out; they will be sent again.\n\n", mdRetryLine)
	r.list(&b, inst.byAction[plans.Resend], ends, "to send again (-replace)",
		"> [!WARNING]\n> These were sent before or may have been; `-replace` sends them again.\n\n", mdPriorLine)
	changedNote := ""
	if n := foreignKeyed(inst.first, inst.byAction[plans.Changed]); n > 0 {
		changedNote = " " + foreignKeyNote(n, inst.count(plans.Changed))
	}
	changedCallout := fmt.Sprintf("> [!CAUTION]\n> These were sent before with different content and will **not** be sent again. To send the new content, apply with %s.%s\n\n", replace, changedNote)
	if len(inst.contents) > 0 {
		var lines []string
		for _, cc := range inst.contents {
			// Long values are cut as bodies are, so that a section still
			// fits in a comment.
			short := cc
			short.fields = make([]delivery.FieldChange, len(cc.fields))
			for i, f := range cc.fields {
				f.Before, f.After = mdShortenBody(f.Before), mdShortenBody(f.After)
				short.fields[i] = f
			}
			lines = append(lines, diffLines(short, len(inst.contents) > 1)...)
		}
		changedCallout += "**What changed since it was sent:**\n\n" + mdDiffFence(strings.Join(lines, "\n"))
	}
	r.list(&b, inst.byAction[plans.Changed], ends, "changed after sending", changedCallout, mdPriorLine)
	r.list(&b, inst.byAction[plans.Unknown], ends, "with an unknown outcome",
		fmt.Sprintf("> [!CAUTION]\n> These may or may not have reached their recipients, so they will **not** be sent again. Check with Kaleyra (request ids below), then apply with %s to send again those of them that did not arrive (%s sends again the unknown ones only, never those sent).\n\n", mdCode(mdAddressFlag("-replace", addr+":+NUMBER")), replaceUnknown), mdPriorLine)
	return b.String()
}

// list renders changes as a folded list of lines, keeping ends lines at
// each end of a long one.
func (r *mdRenderer) list(b *strings.Builder, changes []*plans.Change, ends int, what, callout string, line func(*plans.Change) string) {
	if len(changes) == 0 {
		return
	}
	b.WriteString(callout)
	open := ""
	if len(changes) <= mdListOpen {
		open = " open"
	}
	fmt.Fprintf(b, "<details%s><summary>%s %s</summary>\n\n", open, mdPlural(len(changes), "recipient", "recipients"), what)
	lines := func(cs []*plans.Change) string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = line(c)
		}
		return mdFence(strings.Join(out, "\n"))
	}
	if len(changes) <= 2*ends {
		b.WriteString(lines(changes))
	} else {
		b.WriteString(lines(changes[:ends]))
		fmt.Fprintf(b, "*… %s not shown; run %s for all.*\n\n",
			mdPlural(len(changes)-2*ends, "recipient", "recipients"), r.showCommand())
		b.WriteString(lines(changes[len(changes)-ends:]))
	}
	b.WriteString("</details>\n\n")
}

func mdRecipientLine(c *plans.Change) string {
	if c.Warning == plans.OutsideWindow {
		return c.Recipient + "  outside the 24-hour window"
	}
	return c.Recipient
}

// mdReceiptLine shows a recipient with what its receipt said.
func mdReceiptLine(c *plans.Change) string {
	s := mdRecipientLine(c)
	rc := priorReceipt(c.Prior)
	s += "  " + receiptWord(rc)
	if e := receiptError(rc); e != "" {
		s += ": " + mdShorten(mdOneLine(e), mdValueMax)
	}
	return s
}

func mdRetryLine(c *plans.Change) string {
	s := c.Recipient
	if p := c.Prior; p != nil && (p.ErrorCode != "" || p.ErrorText != "") {
		s += "  failed before: " + mdShorten(strings.TrimSpace(p.ErrorCode+" "+mdOneLine(p.ErrorText)), mdValueMax)
	}
	return s
}

// mdPriorLine shows a recipient with what state knows of the earlier send.
func mdPriorLine(c *plans.Change) string {
	s := c.Recipient
	p := c.Prior
	if p == nil {
		return s
	}
	var facts []string
	facts = append(facts, string(p.Status))
	if w := receiptWord(p.Receipt); w != "" {
		facts = append(facts, w)
	}
	if !p.UpdatedAt.IsZero() {
		facts = append(facts, p.UpdatedAt.UTC().Format(time.DateTime)+" UTC")
	}
	if p.RequestID != "" {
		facts = append(facts, "request "+mdShorten(p.RequestID, mdValueMax))
	}
	if p.MessageID != "" {
		facts = append(facts, "message "+mdShorten(p.MessageID, mdValueMax))
	}
	if p.ErrorCode != "" || p.ErrorText != "" {
		facts = append(facts, mdShorten(strings.TrimSpace(p.ErrorCode+" "+mdOneLine(p.ErrorText)), mdValueMax))
	}
	return s + "  " + strings.Join(facts, ", ")
}

// mdAddressFlag is an address flag (-replace) for addr, quoted for a
// shell when the address has quotes or brackets in it.
func mdAddressFlag(flag, addr string) string {
	addr = mdShorten(addr, mdValueMax)
	if strings.ContainsAny(addr, `"[]`) && !strings.Contains(addr, "'") {
		return flag + "='" + addr + "'"
	}
	return flag + "=" + addr
}

// mdMarker keeps a marker from closing the HTML comment early or spanning
// lines.
func mdMarker(s string) string {
	s = mdOneLine(s)
	s = strings.ReplaceAll(s, "--", "- -")
	return mdShorten(s, 100)
}

// mdLink renders a media URL as a link whose text is the URL itself, in
// code so that nothing in it reads as Markdown. Characters that would end
// the link's destination are percent-encoded.
func mdLink(url string) string {
	url = mdShorten(mdOneLine(url), mdValueMax)
	dest := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(url)
	return "[" + mdCode(url) + "](" + dest + ")"
}

// mdCode renders s as an inline code span that survives backticks in s.
func mdCode(s string) string {
	s = mdOneLine(s)
	if s == "" {
		return "(empty)"
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || fence != "`" {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdFence renders s as a fenced code block longer than any backtick run in
// s, so that content cannot end the block early.
func mdFence(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n\n"
}

// mdDiffFence fences diff lines so that GitHub colours their markers.
func mdDiffFence(s string) string {
	return strings.Replace(mdFence(s), "text\n", "diff\n", 1)
}

func mdOneLine(s string) string {
	return strings.NewReplacer("\r\n", "↵", "\n", "↵", "\r", "↵").Replace(s)
}

// mdShorten cuts s to at most max characters, saying so.
func mdShorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max]) + fmt.Sprintf("… (%s more characters)", mdCount(len(runes)-max))
}

func mdShortenBody(s string) string {
	if len(s) <= mdBodyMax {
		return s
	}
	cut := mdBodyMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n… (%s more characters not shown)", mdCount(len(s)-cut))
}

// mdCount formats n with thousands separators: 20,000.
func mdCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func mdPlural(n int, one, many string) string { return mdCount(n) + " " + plural(n, one, many) }

type mdCountName struct {
	n    int
	name string
}

func mdNonZero(cs []mdCountName) []string {
	var out []string
	for _, c := range cs {
		if c.n > 0 {
			out = append(out, mdCount(c.n)+" "+c.name)
		}
	}
	return out
}

// foreignKeyed counts the changes whose prior digest was keyed with
// another digest secret than in's.
func foreignKeyed(in *delivery.Instance, changes []*plans.Change) int {
	n := 0
	for _, c := range changes {
		if c.Prior != nil && in.ForeignKey(c.Prior.Digest) {
			n++
		}
	}
	return n
}
