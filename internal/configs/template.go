package configs

import "github.com/hashicorp/hcl/v2"

// Template is a template block: an approved WhatsApp template and the names
// of its body parameters, in order.
type Template struct {
	// Name is the block's label; TemplateName is the approved template's
	// name as Kaleyra knows it.
	Name         string
	TemplateName hcl.Expression
	Language     hcl.Expression // nil when absent
	Params       hcl.Expression // nil when absent
	// Header is the kind of header the template declares: "text",
	// "image", "video" or "document"; nil when it has none.
	Header hcl.Expression
	// Button is "url" when the template has a URL button with a dynamic
	// part; nil when it has none.
	Button    hcl.Expression
	DeclRange hcl.Range
}

var templateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name", Required: true},
		{Name: "language"},
		{Name: "params"},
		{Name: "header"},
		{Name: "button"},
	},
}

func decodeTemplateBlock(block *hcl.Block) (*Template, hcl.Diagnostics) {
	content, diags := namedBlockContent("template", block, templateSchema)
	return &Template{
		Name:         block.Labels[0],
		TemplateName: attrExpr(content.Attributes, "name"),
		Language:     attrExpr(content.Attributes, "language"),
		Params:       attrExpr(content.Attributes, "params"),
		Header:       attrExpr(content.Attributes, "header"),
		Button:       attrExpr(content.Attributes, "button"),
		DeclRange:    block.DefRange,
	}, diags
}
