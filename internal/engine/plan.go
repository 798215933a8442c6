// Package engine computes plans (configuration x state -> plan) and applies
// them (plan -> sends -> state). It does no rendering and owns no files: the
// command layer gives it a state, a journal and clients, and persists what
// it returns.
package engine

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// PlanOptions narrow and steer a plan.
type PlanOptions struct {
	// Targets, when any, limit the plan to the deliveries they contain.
	Targets []addrs.Target
	// Excludes leave out the deliveries they contain.
	Excludes []addrs.Target
	// Replace asks to send again deliveries that were sent, changed or
	// unknown.
	Replace []addrs.Target
	// ReplaceUnknown asks to send again only the deliveries whose outcome
	// is unknown: the way to resend an interrupted apply's unknown sends
	// without also resending those it did send.
	ReplaceUnknown []addrs.Target
	// Now is the time the 24-hour window is judged at; zero means the
	// time Plan is called.
	Now time.Time
}

// Window is how long after a recipient's last message to a sender number
// WhatsApp delivers free-form messages from it.
const Window = 24 * time.Hour

// Plan chooses an action for every declared delivery by comparing it with
// the state, as the plans package doc's table says. A -target or -exclude
// that matches nothing is a warning; a -replace that matches nothing is an
// error, and then there is no plan.
func Plan(cfg *lang.Result, st *states.State, opts PlanOptions) (*plans.Plan, hcl.Diagnostics) {
	p := &plans.Plan{
		Lineage:   st.Lineage,
		Serial:    st.Serial,
		Targeted:  len(opts.Targets) > 0 || len(opts.Excludes) > 0,
		Providers: make(map[string]string, len(cfg.Providers)),
	}
	for addr, s := range cfg.Providers {
		p.Providers[addr] = s.Destination()
	}
	for _, t := range opts.Replace {
		p.Replace = append(p.Replace, t.String())
	}
	for _, t := range opts.ReplaceUnknown {
		p.ReplaceUnknown = append(p.ReplaceUnknown, t.String())
	}
	for _, v := range cfg.Variables {
		pv := plans.Variable{Name: v.Name, Sensitive: v.Sensitive}
		if !v.Sensitive {
			pv.Value = v.Value
		}
		p.Variables = append(p.Variables, pv)
	}

	total := cfg.DeliveryCount()
	// recorded counts the declared deliveries that the state has a record
	// of. Keys are unique in a configuration, so when it equals the
	// state's size every record is declared, and finding the undeclared
	// ones needs no set of all declared keys.
	recorded := 0
	targetHits := make([]int, len(opts.Targets))
	excludeHits := make([]int, len(opts.Excludes))
	replaceHits := make([]int, len(opts.Replace))
	unknownHits := make([]int, len(opts.ReplaceUnknown))
	// A target brings the messages it depends on, as in Terraform: its
	// sends must not go out before theirs, which a plan without them
	// could not hold back.
	deps := targetDependencies(cfg, opts.Targets)
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	windowed := windowedSenders(st)
	// Every instance's changes are cut from one array: one allocation for
	// the whole plan rather than one per instance.
	all := make([]plans.Change, 0, total)
	priors := lookUpPriors(cfg.Instances, st, total)
	at := 0
	for _, in := range cfg.Instances {
		start := len(all)
		dep := deps[in.Address.Message]
		judge := windowed[in.Sender] && freeForm(in.Content.Type)
		for _, r := range in.Recipients {
			prior := priors[at]
			at++
			if prior != nil {
				recorded++
			}
			// Both are counted for every delivery, so that an -exclude that
			// only overlaps what -target left out is not reported as a typo.
			targeted := selected(in.Address, r, opts.Targets, targetHits, true) || dep
			excluded := selected(in.Address, r, opts.Excludes, excludeHits, false)
			if !targeted || excluded {
				continue
			}
			replace := selected(in.Address, r, opts.Replace, replaceHits, false)
			var replaceUnknown bool
			if prior != nil && prior.Status == states.Unknown {
				replaceUnknown = selected(in.Address, r, opts.ReplaceUnknown, unknownHits, false)
			}
			c := decide(in, r, prior, replace, replaceUnknown)
			if c.Action == plans.Changed && !in.Sensitive {
				keepPriorContent(p, st, prior.Digest)
			}
			// A free-form send that already failed for the window (131047)
			// is judged even where no incoming message was recorded.
			if c.Action.Sends() && (judge || (freeForm(in.Content.Type) && closedWindow(prior))) && outsideWindow(st, in.Sender, r, now) {
				c.Warning = plans.OutsideWindow
			}
			all = append(all, c)
		}
		if len(all) > start {
			p.Instances = append(p.Instances, plans.InstanceChange{Instance: in, Changes: all[start:len(all):len(all)]})
		}
	}
	for m := range deps {
		p.TargetDependencies = append(p.TargetDependencies, m)
	}
	slices.SortFunc(p.TargetDependencies, func(a, b addrs.Message) int { return strings.Compare(a.Name, b.Name) })
	if recorded < st.Deliveries.Len() {
		p.NoLongerDeclared = undeclared(cfg, st, recorded)
	}
	states.SortDeliveries(p.NoLongerDeclared)
	diags := unmatched(opts, targetHits, excludeHits, replaceHits, unknownHits)
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

// keepPriorContent puts into p what st kept of the content of digest d,
// if anything, so that views can show what changed since it was sent.
func keepPriorContent(p *plans.Plan, st *states.State, d delivery.Digest) {
	if _, ok := p.PriorContents[d]; ok {
		return
	}
	c, ok := st.Contents[d]
	if !ok {
		return
	}
	if p.PriorContents == nil {
		p.PriorContents = make(map[delivery.Digest]delivery.Content)
	}
	p.PriorContents[d] = c
}

// undeclared returns the records of st that cfg does not declare;
// recorded is how many of its records cfg declares.
func undeclared(cfg *lang.Result, st *states.State, recorded int) []*states.Delivery {
	// A set of the declared records, by pointer: a word per entry where
	// a set of keys would copy six strings per delivery.
	declared := make(map[*states.Delivery]struct{}, recorded)
	for _, in := range cfg.Instances {
		for _, r := range in.Recipients {
			if rec := st.Get(in.Key(r)); rec != nil {
				declared[rec] = struct{}{}
			}
		}
	}
	out := make([]*states.Delivery, 0, st.Deliveries.Len()-recorded)
	for rec := range st.Deliveries.All() {
		if _, ok := declared[rec]; !ok {
			out = append(out, rec)
		}
	}
	return out
}

// unmatched reports the addresses that matched no declared delivery.
func unmatched(opts PlanOptions, targetHits, excludeHits, replaceHits, unknownHits []int) hcl.Diagnostics {
	// A -replace or -replace-unknown that matches nothing is an error, and
	// reported alone: with no plan, the warnings about the others do not
	// matter.
	var diags hcl.Diagnostics
	for i, n := range replaceHits {
		if n == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -replace",
				Detail:   fmt.Sprintf("-replace=%s matches no declared delivery; check the address with \"herald state list\" or the plan.", opts.Replace[i]),
			})
		}
	}
	for i, n := range unknownHits {
		if n == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -replace-unknown",
				Detail:   fmt.Sprintf("-replace-unknown=%s matches no delivery whose outcome is unknown; \"herald state list %s\" shows what the state holds there.", opts.ReplaceUnknown[i], opts.ReplaceUnknown[i]),
			})
		}
	}
	if diags.HasErrors() {
		return diags
	}
	for _, set := range []struct {
		flag    string
		targets []addrs.Target
		hits    []int
	}{{"-target", opts.Targets, targetHits}, {"-exclude", opts.Excludes, excludeHits}} {
		for i, n := range set.hits {
			if n == 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Partial plan",
					Detail:   fmt.Sprintf("%s=%s matches no declared delivery.", set.flag, set.targets[i]),
				})
			}
		}
	}
	return diags
}

// targetDependencies returns the messages that the messages of targets
// depend on, directly or through others, and that no target names itself.
func targetDependencies(cfg *lang.Result, targets []addrs.Target) map[addrs.Message]bool {
	if len(targets) == 0 {
		return nil
	}
	dependsOn := map[addrs.Message][]addrs.Message{}
	for _, in := range cfg.Instances {
		if _, seen := dependsOn[in.Address.Message]; !seen {
			dependsOn[in.Address.Message] = in.DependsOn
		}
	}
	named := map[addrs.Message]bool{}
	var queue []addrs.Message
	for _, t := range targets {
		named[t.Message] = true
		queue = append(queue, t.Message)
	}
	out := map[addrs.Message]bool{}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		for _, dep := range dependsOn[m] {
			if !out[dep] && !named[dep] {
				out[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	return out
}

// selected reports whether the delivery of addr to recipient falls in any
// of targets, counting hits; with none given it returns ifNone.
func selected(addr addrs.MessageInstance, recipient string, targets []addrs.Target, hits []int, ifNone bool) bool {
	if len(targets) == 0 {
		return ifNone
	}
	in := false
	for i, t := range targets {
		if t.Contains(addr, recipient) {
			hits[i]++
			in = true
		}
	}
	return in
}

// windowedSenders are the sender numbers the state records incoming
// messages for: only for them can the plan tell a recipient outside the
// 24-hour window from one whose messages herald never heard of.
func windowedSenders(st *states.State) map[string]bool {
	if len(st.Inbound) == 0 {
		return nil
	}
	out := make(map[string]bool)
	for k := range st.Inbound {
		out[k.Sender] = true
	}
	return out
}

// freeForm reports whether WhatsApp delivers content of type t only
// within the 24-hour window: everything but templates.
func freeForm(t delivery.Type) bool {
	return t != delivery.Template && t != delivery.MediaTemplate
}

// outsideWindow reports whether recipient last wrote to sender more than
// Window before now, or never.
func outsideWindow(st *states.State, sender, recipient string, now time.Time) bool {
	last, ok := st.Inbound[states.InboundKey{Sender: sender, Recipient: recipient}]
	return !ok || now.Sub(last) > Window
}

// closedWindow reports whether prior's receipt said WhatsApp refused it
// for the 24-hour window.
func closedWindow(prior *states.Delivery) bool {
	return prior != nil && prior.Receipt != nil && prior.Receipt.ErrorCode == kaleyra.CodeWindowClosed
}

// decide chooses the action for in's delivery to recipient, following the
// table in the plans package doc: its rows are the cases below, in order.
func decide(in *delivery.Instance, recipient string, prior *states.Delivery, replace, replaceUnknown bool) plans.Change {
	c := plans.Change{Recipient: recipient, Prior: prior}
	switch {
	case prior == nil:
		c.Action, c.Reason = plans.Send, plans.NotInState
	case (prior.Status == states.Sent || prior.Status == states.Failed) && prior.Receipt.NeverArrived():
		// A failed record with such a receipt is an unknown outcome the
		// receipt settled: Kaleyra had accepted it after all.
		c.Action, c.Reason = plans.Retry, plans.FailedAfterSend
	case prior.Status == states.Failed:
		c.Action, c.Reason = plans.Retry, plans.FailedBefore
	case replace && prior.Status == states.Unknown:
		c.Action, c.Reason = plans.Resend, plans.ReplaceUnknown
	case replace && !in.Matches(prior.Digest):
		c.Action, c.Reason = plans.Resend, plans.ReplaceChanged
	case replace:
		c.Action, c.Reason = plans.Resend, plans.ReplaceSent
	case replaceUnknown:
		c.Action, c.Reason = plans.Resend, plans.ResendUnknown
	case prior.Status == states.Unknown:
		c.Action, c.Reason = plans.Unknown, plans.OutcomeUnknown
	case !in.Matches(prior.Digest):
		c.Action, c.Reason = plans.Changed, plans.ContentChanged
	default:
		c.Action, c.Reason = plans.None, plans.AlreadySent
	}
	return c
}

// lookUpPriors finds each declared delivery's record in st, in the order
// of cfg's instances and their recipients. A large plan looks them up on
// every core: each lookup is a cache miss into a state of a million
// records, and the lookups are a fifth of a no-change plan's time.
func lookUpPriors(instances []*delivery.Instance, st *states.State, total int) []*states.Delivery {
	priors := make([]*states.Delivery, total)
	lookUp := func(from, to int) {
		at := 0
		for _, in := range instances {
			if at+len(in.Recipients) <= from {
				at += len(in.Recipients)
				continue
			}
			for _, r := range in.Recipients {
				if at >= to {
					return
				}
				if at >= from {
					priors[at] = st.Get(in.Key(r))
				}
				at++
			}
		}
	}
	const minShare = 50_000 // below it, a goroutine costs more than it saves
	workers := min(runtime.GOMAXPROCS(0), max(1, total/minShare))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { lookUp(total*w/workers, total*(w+1)/workers) })
	}
	wg.Wait()
	return priors
}
