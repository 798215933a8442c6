package configs

import "github.com/hashicorp/hcl/v2"

// Herald is the herald block: settings of herald itself.
type Herald struct {
	// StatePath is the state_path expression, nil when absent.
	StatePath hcl.Expression
	DeclRange hcl.Range
}

var heraldSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "state_path"}},
}

func decodeHeraldBlock(block *hcl.Block) (*Herald, hcl.Diagnostics) {
	content, diags := block.Body.Content(heraldSchema)
	return &Herald{
		StatePath: attrExpr(content.Attributes, "state_path"),
		DeclRange: block.DefRange,
	}, diags
}
