// Package engine computes plans (configuration x state -> plan) and applies
// them (plan -> sends -> state). It does no rendering and owns no files: the
// command layer gives it a state, a journal and clients, and persists what
// it returns.
package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
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
}

// Plan chooses an action for every declared delivery by comparing it with
// the state (DESIGN.md section 4). It returns warnings alongside the plan;
// an error means no plan could be made.
func Plan(cfg *lang.Result, st *states.State, opts PlanOptions) (*plans.Plan, []string, error) {
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

	declared := make(map[delivery.Key]bool, len(cfg.Deliveries))
	targetHits := make([]int, len(opts.Targets))
	excludeHits := make([]int, len(opts.Excludes))
	replaceHits := make([]int, len(opts.Replace))
	unknownHits := make([]int, len(opts.ReplaceUnknown))
	p.Changes = make([]plans.Change, 0, len(cfg.Deliveries))
	// A target brings the messages it depends on, as in Terraform: its
	// sends must not go out before theirs, which a plan without them
	// could not hold back.
	deps := targetDependencies(cfg, opts.Targets)
	for i := range cfg.Deliveries {
		d := &cfg.Deliveries[i]
		declared[d.Key] = true
		// Both are counted for every delivery, so that an -exclude that
		// only overlaps what -target left out is not reported as a typo.
		targeted := selected(d, opts.Targets, targetHits, true) || deps[d.Address.Message]
		excluded := selected(d, opts.Excludes, excludeHits, false)
		if !targeted || excluded {
			continue
		}
		replace := selected(d, opts.Replace, replaceHits, false)
		prior := st.Get(d.Key)
		var replaceUnknown bool
		if prior != nil && prior.Status == states.Unknown {
			replaceUnknown = selected(d, opts.ReplaceUnknown, unknownHits, false)
		}
		p.Changes = append(p.Changes, decide(d, prior, replace, replaceUnknown))
	}
	for m := range deps {
		p.TargetDependencies = append(p.TargetDependencies, m)
	}
	slices.SortFunc(p.TargetDependencies, func(a, b addrs.Message) int { return strings.Compare(a.Name, b.Name) })
	for _, rec := range st.Sorted() {
		if !declared[rec.Key] {
			p.NoLongerDeclared = append(p.NoLongerDeclared, rec)
		}
	}

	var warnings []string
	for i, n := range replaceHits {
		if n == 0 {
			return nil, nil, fmt.Errorf("-replace=%s matches no declared delivery; check the address with \"herald state list\" or the plan", opts.Replace[i])
		}
	}
	for i, n := range unknownHits {
		if n == 0 {
			return nil, nil, fmt.Errorf("-replace-unknown=%s matches no delivery whose outcome is unknown; \"herald state list %s\" shows what the state holds there", opts.ReplaceUnknown[i], opts.ReplaceUnknown[i])
		}
	}
	for i, n := range targetHits {
		if n == 0 {
			warnings = append(warnings, fmt.Sprintf("-target=%s matches no declared delivery.", opts.Targets[i]))
		}
	}
	for i, n := range excludeHits {
		if n == 0 {
			warnings = append(warnings, fmt.Sprintf("-exclude=%s matches no declared delivery.", opts.Excludes[i]))
		}
	}
	return p, warnings, nil
}

// targetDependencies returns the messages that the messages of targets
// depend on, directly or through others, and that no target names itself.
func targetDependencies(cfg *lang.Result, targets []addrs.Target) map[addrs.Message]bool {
	if len(targets) == 0 {
		return nil
	}
	dependsOn := map[addrs.Message][]addrs.Message{}
	for i := range cfg.Deliveries {
		d := &cfg.Deliveries[i]
		if _, seen := dependsOn[d.Address.Message]; !seen {
			dependsOn[d.Address.Message] = d.DependsOn
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

// selected reports whether d falls in any of targets, counting hits; with
// none given it returns ifNone.
func selected(d *delivery.Delivery, targets []addrs.Target, hits []int, ifNone bool) bool {
	if len(targets) == 0 {
		return ifNone
	}
	in := false
	for i, t := range targets {
		if t.Contains(d.Address, d.Key.Recipient) {
			hits[i]++
			in = true
		}
	}
	return in
}

// decide is DESIGN.md section 4's table.
func decide(d *delivery.Delivery, prior *states.Delivery, replace, replaceUnknown bool) plans.Change {
	c := plans.Change{Delivery: *d, Prior: prior}
	switch {
	case prior == nil:
		c.Action, c.Reason = plans.Send, "not sent before"
	case prior.Status == states.Failed:
		c.Action = plans.Retry
		c.Reason = "the last attempt was refused" + errorSuffix(prior) + "; nothing was sent"
	case replace:
		c.Action, c.Reason = plans.Resend, fmt.Sprintf("-replace asks to send again (was %s)", describePrior(prior, d.Digest))
	case replaceUnknown:
		c.Action, c.Reason = plans.Resend, "-replace-unknown asks to send again (was unknown)"
	case prior.Status == states.Unknown:
		c.Action = plans.Unknown
		c.Reason = "the outcome of an earlier send is unknown" + errorSuffix(prior) + "; use -replace to send again"
	case prior.Digest != d.Digest:
		c.Action = plans.Changed
		c.Reason = "already sent, and the content has changed since; use -replace to send again"
	default:
		c.Action, c.Reason = plans.None, "already sent"
	}
	return c
}

func describePrior(prior *states.Delivery, digest delivery.Digest) string {
	switch {
	case prior.Status == states.Unknown:
		return "unknown"
	case prior.Digest != digest:
		return "sent, content changed since"
	default:
		return "sent"
	}
}

func errorSuffix(prior *states.Delivery) string {
	var parts []string
	if prior.ErrorCode != "" {
		parts = append(parts, prior.ErrorCode)
	}
	if prior.ErrorText != "" {
		parts = append(parts, prior.ErrorText)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ": ") + ")"
}
