package configs

import "github.com/hashicorp/hcl/v2"

// Recipients is a recipients block: a named list of E.164 numbers.
type Recipients struct {
	Name      string
	Numbers   hcl.Expression
	DeclRange hcl.Range
}

var recipientsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "numbers", Required: true}},
}

func decodeRecipientsBlock(block *hcl.Block) (*Recipients, hcl.Diagnostics) {
	content, diags := namedBlockContent("recipients", block, recipientsSchema)
	return &Recipients{
		Name:      block.Labels[0],
		Numbers:   attrExpr(content.Attributes, "numbers"),
		DeclRange: block.DefRange,
	}, diags
}
