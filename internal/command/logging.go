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
		"providers", strings.Join(providers, "; "), "deliveries", len(cfg.Deliveries), "state_path", cfg.StatePath)
}

// logState logs the state a command read.
func logState(log hclog.Logger, path string, st *states.State) {
	if !log.IsDebug() {
		return
	}
	counts := map[states.Status]int{}
	for _, d := range st.Deliveries {
		counts[d.Status]++
	}
	log.Debug("read the state", "path", path, "lineage", st.Lineage, "serial", st.Serial,
		"deliveries", len(st.Deliveries), "sent", counts[states.Sent], "failed", counts[states.Failed], "unknown", counts[states.Unknown])
}

// logPlan logs, per message instance, how many deliveries take each
// action and the reasons given.
func logPlan(log hclog.Logger, p *plans.Plan) {
	if !log.IsDebug() {
		return
	}
	type group struct {
		addr    string
		reasons map[string]int
		order   []string
	}
	var groups []*group
	byAddr := map[string]*group{}
	for i := range p.Changes {
		c := &p.Changes[i]
		addr := c.Delivery.Address.String()
		g := byAddr[addr]
		if g == nil {
			g = &group{addr: addr, reasons: map[string]int{}}
			byAddr[addr] = g
			groups = append(groups, g)
		}
		why := string(c.Action) + " (" + fmt.Sprint(c.Reason) + ")"
		if g.reasons[why] == 0 {
			g.order = append(g.order, why)
		}
		g.reasons[why]++
	}
	for _, g := range groups {
		parts := make([]string, len(g.order))
		for i, why := range g.order {
			parts[i] = fmt.Sprintf("%d %s", g.reasons[why], why)
		}
		log.Debug("planned", "instance", g.addr, "deliveries", strings.Join(parts, "; "))
	}
	sum := p.Summary()
	log.Debug("plan made", "send", sum.Send, "retry", sum.Retry, "resend", sum.Resend, "already_sent", sum.None,
		"changed", sum.Changed, "unknown", sum.Unknown, "no_longer_declared", sum.NoLongerDeclared, "targeted", p.Targeted)
}
