package views

import (
	"strconv"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
)

// contentChange is what changed in one instance's content since it was
// sent to some of the instance's deliveries planned as changed after
// sending: one per distinct content sent before, so that a message to
// 10,000 people shows its change once.
type contentChange struct {
	prior delivery.Digest
	// count is how many of the changed deliveries were sent prior.
	count int
	// sensitive: the content is sensitive now, so neither side is shown.
	sensitive bool
	// recorded: the state kept what was sent (it keeps non-sensitive
	// content sent since herald began keeping it).
	recorded bool
	// foreignKey: prior was keyed with another digest secret.
	foreignKey bool
	fields     []delivery.FieldChange
}

// contentChanges lists ic's content changes, in the order of the first
// changed delivery sent each prior content.
func contentChanges(p *plans.Plan, ic *plans.InstanceChange) []contentChange {
	var out []contentChange
	in := ic.Instance
	for i := range ic.Changes {
		c := &ic.Changes[i]
		if c.Action != plans.Changed || c.Prior == nil {
			continue
		}
		found := false
		for j := range out {
			if out[j].prior == c.Prior.Digest {
				out[j].count++
				found = true
				break
			}
		}
		if found {
			continue
		}
		cc := contentChange{prior: c.Prior.Digest, count: 1, sensitive: in.Sensitive, foreignKey: in.ForeignKey(c.Prior.Digest)}
		if before, ok := p.PriorContents[c.Prior.Digest]; ok && !in.Sensitive {
			cc.recorded = true
			cc.fields = delivery.Diff(before, in.Content)
		}
		out = append(out, cc)
	}
	return out
}

// diffLine renders one field change as Terraform renders an attribute's:
// `~ body = "old" -> "new"`, `+ params.eta = "today"` for a parameter
// added, `- params.eta = "today"` for one removed.
func diffLine(f delivery.FieldChange) string {
	switch {
	case !f.Had:
		return "+ " + f.Field + " = " + strconv.Quote(f.After)
	case !f.Has:
		return "- " + f.Field + " = " + strconv.Quote(f.Before)
	}
	return "~ " + f.Field + " = " + strconv.Quote(f.Before) + " -> " + strconv.Quote(f.After)
}

// diffLines renders cc as the lines a view indents, prefixed by how many
// deliveries it concerns when the instance has more than one.
func diffLines(cc contentChange, several bool) []string {
	var lines []string
	if several {
		lines = append(lines, "# sent to "+countNoun(cc.count, "of them", "of them")+":")
	}
	switch {
	case cc.sensitive:
		lines = append(lines, "~ content = (sensitive)")
	case !cc.recorded:
		lines = append(lines, "# what was sent is not in the state (sent by an older herald, or by an apply that stopped before saving it)")
	default:
		for _, f := range cc.fields {
			lines = append(lines, diffLine(f))
		}
	}
	return lines
}
