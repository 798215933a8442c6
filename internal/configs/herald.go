package configs

import (
	"github.com/hashicorp/hcl/v2"
)

// Herald is the herald block: settings of herald itself.
type Herald struct {
	// StatePath is the state_path expression, nil when absent.
	StatePath hcl.Expression
	// Backend is the backend block, nil when absent: the state is then
	// the local file.
	Backend   *Backend
	DeclRange hcl.Range
}

// Backend is a herald block's backend "TYPE" block: where the state lives
// when it is not a local file.
type Backend struct {
	Type       string
	TypeRange  hcl.Range
	ConnStr    hcl.Expression // nil when absent
	SchemaName hcl.Expression
	StateName  hcl.Expression
	DeclRange  hcl.Range
}

var heraldSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "state_path"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "backend", LabelNames: []string{"type"}}},
}

var pgBackendSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "conn_str"}, {Name: "schema_name"}, {Name: "state_name"}},
}

func decodeHeraldBlock(block *hcl.Block) (*Herald, hcl.Diagnostics) {
	content, diags := block.Body.Content(heraldSchema)
	h := &Herald{
		StatePath: attrExpr(content.Attributes, "state_path"),
		DeclRange: block.DefRange,
	}
	for _, b := range content.Blocks {
		if h.Backend != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate backend block",
				Detail:   "The herald block may have at most one backend; the first is at " + h.Backend.DeclRange.String() + ".",
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		if b.Labels[0] != "pg" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported backend type",
				Detail:   "herald keeps its state in a local file (the default, set with state_path) or in PostgreSQL (backend \"pg\"); there is no backend \"" + b.Labels[0] + "\".",
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		bc, moreDiags := b.Body.Content(pgBackendSchema)
		diags = append(diags, moreDiags...)
		h.Backend = &Backend{
			Type:       b.Labels[0],
			TypeRange:  b.LabelRanges[0],
			ConnStr:    attrExpr(bc.Attributes, "conn_str"),
			SchemaName: attrExpr(bc.Attributes, "schema_name"),
			StateName:  attrExpr(bc.Attributes, "state_name"),
			DeclRange:  b.DefRange,
		}
	}
	return h, diags
}
