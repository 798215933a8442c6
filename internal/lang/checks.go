package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// ruleDiag turns a broken Kaleyra field rule into a diagnostic on rng,
// the attribute's range (or its element's). label names the attribute as
// written ("ref", "template name", "parameter who"); for a sensitive value
// the detail quotes nothing of it. The problem rides along as the
// diagnostic's Extra, so that its code can be read back.
func ruleDiag(p *rules.Problem, label string, sensitive bool, rng hcl.Range) hcl.Diagnostics {
	if p == nil {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  ruleSummary(p, label),
		Detail:   p.Detail(!sensitive),
		Subject:  rng.Ptr(),
		Extra:    *p,
	}}
}

func ruleSummary(p *rules.Problem, label string) string {
	switch p.Kind {
	case rules.HTMLTag:
		return "HTML tag in " + label
	case rules.TooLong:
		return "Value of " + label + " too long"
	case rules.Empty:
		return "Empty " + label
	case rules.InvalidNumber:
		return "Invalid phone number"
	case rules.InsecureURL:
		return "Insecure " + label
	case rules.NotOneOf:
		if p.Field == rules.FieldChannel {
			return "Unsupported channel"
		}
	}
	return "Invalid " + label
}

// elementRange returns the source range of element i of the n elements of a
// list written as a literal [a, b, c], so that a diagnostic about one element
// points at it; for any other expression, or when the literal's length is
// not n, it returns the whole expression's range.
func elementRange(expr hcl.Expression, i, n int) hcl.Range {
	if tuple, ok := expr.(interface{ ExprList() []hcl.Expression }); ok {
		if elems := tuple.ExprList(); len(elems) == n && i < n {
			return elems[i].Range()
		}
	}
	return expr.Range()
}

// itemRange returns the range of the value written for key in an object
// literal { key = value }, so that a diagnostic about one template
// parameter points at it; for any other expression it returns the whole
// expression's range.
func itemRange(expr hcl.Expression, key string) hcl.Range {
	if obj, ok := expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range obj.Items {
			if k, diags := item.KeyExpr.Value(nil); !diags.HasErrors() && k.Type() == cty.String && k.IsKnown() && k.AsString() == key {
				return item.ValueExpr.Range()
			}
		}
	}
	return expr.Range()
}
