package configs

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Local is one named value of a locals block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

func decodeLocalsBlock(block *hcl.Block) ([]*Local, hcl.Diagnostics) {
	attrs, diags := block.Body.JustAttributes()
	locals := make([]*Local, 0, len(attrs))
	for _, a := range attrs {
		if !hclsyntax.ValidIdentifier(a.Name) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid local value name",
				Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores and dashes.",
				Subject:  a.NameRange.Ptr(),
			})
			continue
		}
		locals = append(locals, &Local{Name: a.Name, Expr: a.Expr, DeclRange: a.Range})
	}
	// JustAttributes returns a map; keep source order for stable output.
	slices.SortFunc(locals, func(a, b *Local) int { return a.DeclRange.Start.Byte - b.DeclRange.Start.Byte })
	return locals, diags
}
