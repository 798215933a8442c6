package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// At debug level a run says what it read and what it planned, and why,
// per message instance: enough to answer "why does it (not) send this?"
// without a debugger. Values are left out: they may be sensitive.

// logConfig logs what the configuration evaluated to.
func logConfig(log hclog.Logger, dir string, files int, cfg *lang.Result) {
	if !log.IsDebug() || cfg == nil {
		return
	}
	vars := make([]string, 0, len(cfg.Variables))
	for _, v := range cfg.Variables {
		vars = append(vars, v.Name)
	}
	providers := make([]string, 0, len(cfg.Providers))
	for addr, s := range cfg.Providers {
		providers = append(providers, addr+" -> "+s.Destination())
	}
	sort.Strings(providers)
	log.Debug("read the configuration", "dir", dir, "files", files, "variables", strings.Join(vars, ","),
		"providers", strings.Join(providers, "; "), "instances", len(cfg.Instances), "deliveries", cfg.DeliveryCount(), "state_path", cfg.StatePath)
}

// logState logs the state a command read.
func logState(log hclog.Logger, path string, st *states.State) {
	if !log.IsDebug() {
		return
	}
	counts := map[states.Status]int{}
	for d := range st.Deliveries.All() {
		counts[d.Status]++
	}
	log.Debug("read the state", "path", path, "lineage", st.Lineage, "serial", st.Serial,
		"deliveries", st.Deliveries.Len(), "sent", counts[states.Sent], "failed", counts[states.Failed], "unknown", counts[states.Unknown])
}

// logPlan logs, per message instance, how many deliveries take each
// action and the reasons given.
func logPlan(log hclog.Logger, p *plans.Plan) {
	if !log.IsDebug() {
		return
	}
	for i := range p.Instances {
		ic := &p.Instances[i]
		// Counts by action and reason, in the order they first occur.
		counts := map[[2]uint8]int{}
		var order []plans.Change
		for _, c := range ic.Changes {
			k := [2]uint8{uint8(c.Action), uint8(c.Reason)}
			if counts[k] == 0 {
				order = append(order, c)
			}
			counts[k]++
		}
		parts := make([]string, len(order))
		for j, c := range order {
			parts[j] = fmt.Sprintf("%d %s (%s)", counts[[2]uint8{uint8(c.Action), uint8(c.Reason)}], c.Action, c.Reason)
		}
		log.Debug("planned", "instance", ic.Instance.Address.String(), "deliveries", strings.Join(parts, "; "))
	}
	sum := p.Summary()
	log.Debug("plan made", "send", sum.Send, "retry", sum.Retry, "resend", sum.Resend, "already_sent", sum.None,
		"changed", sum.Changed, "unknown", sum.Unknown, "no_longer_declared", sum.NoLongerDeclared, "delivered", sum.Delivered, "read", sum.Read,
		"failed_after_send", sum.FailedAfterSend, "outside_window", sum.OutsideWindow, "targeted", p.Targeted)
}
