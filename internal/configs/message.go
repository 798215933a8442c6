package configs

import (
	"github.com/hashicorp/hcl/v2"
)

// Message is a message block: content sent from one sender to a list of
// recipients, once per for_each element when for_each is set. Absent
// optional attributes are nil.
type Message struct {
	Name     string
	ForEach  hcl.Expression
	From     hcl.Expression
	To       hcl.Expression
	Template hcl.Expression
	Body     hcl.Expression
	Params   hcl.Expression
	// Media is a media message's { url, caption }.
	Media hcl.Expression
	// Header is the header of a template that declares one: { media_url }
	// for an image, video or document header, { text } for a text header.
	Header hcl.Expression
	// ButtonURL is the dynamic part of the template's URL button.
	ButtonURL   hcl.Expression
	Ref         hcl.Expression
	Ref1        hcl.Expression
	Ref2        hcl.Expression
	CallbackURL hcl.Expression
	// DependsOn lists the depends_on entries as written; package lang
	// checks that each names a message.
	DependsOn []hcl.Traversal
	// Attrs keeps every attribute as written, for ranges in diagnostics.
	Attrs     hcl.Attributes
	DeclRange hcl.Range
}

// Copy returns a shallow copy of m, for replacing expressions.
func (m *Message) Copy() *Message {
	c := *m
	return &c
}

var messageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "for_each"},
		{Name: "from", Required: true},
		{Name: "to", Required: true},
		{Name: "template"},
		{Name: "body"},
		{Name: "params"},
		{Name: "media"},
		{Name: "header"},
		{Name: "button_url"},
		{Name: "ref", Required: true},
		{Name: "ref1"},
		{Name: "ref2"},
		{Name: "callback_url"},
		{Name: "depends_on"},
	},
}

func decodeMessageBlock(block *hcl.Block) (*Message, hcl.Diagnostics) {
	content, diags := namedBlockContent("message", block, messageSchema)
	attrs := content.Attributes
	m := &Message{
		Name:        block.Labels[0],
		ForEach:     attrExpr(attrs, "for_each"),
		From:        attrExpr(attrs, "from"),
		To:          attrExpr(attrs, "to"),
		Template:    attrExpr(attrs, "template"),
		Body:        attrExpr(attrs, "body"),
		Params:      attrExpr(attrs, "params"),
		Media:       attrExpr(attrs, "media"),
		Header:      attrExpr(attrs, "header"),
		ButtonURL:   attrExpr(attrs, "button_url"),
		Ref:         attrExpr(attrs, "ref"),
		Ref1:        attrExpr(attrs, "ref1"),
		Ref2:        attrExpr(attrs, "ref2"),
		CallbackURL: attrExpr(attrs, "callback_url"),
		Attrs:       attrs,
		DeclRange:   block.DefRange,
	}
	if a, ok := attrs["depends_on"]; ok {
		exprs, moreDiags := hcl.ExprList(a.Expr)
		diags = append(diags, moreDiags...)
		for _, e := range exprs {
			trav, travDiags := hcl.AbsTraversalForExpr(e)
			if travDiags.HasErrors() {
				detail := "Each depends_on entry must name a message block, written without quotes: message.NAME."
				if InJSON(e.Range()) {
					detail = "Each depends_on entry must name a message block, as the string \"message.NAME\"."
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid depends_on reference",
					Detail:   detail,
					Subject:  e.Range().Ptr(),
				})
				continue
			}
			m.DependsOn = append(m.DependsOn, trav)
		}
	}
	return m, diags
}
