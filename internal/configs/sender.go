package configs

import (
	"github.com/hashicorp/hcl/v2"
)

// Sender is a sender block: a WhatsApp business number messages come from.
type Sender struct {
	Name    string
	Number  hcl.Expression
	Channel hcl.Expression // nil: whatsapp
	// Provider is the provider configuration's address ("kaleyra",
	// "kaleyra.ALIAS"); empty when the sender uses the default provider.
	Provider      string
	ProviderRange hcl.Range
	DeclRange     hcl.Range
}

var senderSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "number", Required: true},
		{Name: "channel"},
		{Name: "provider"},
	},
}

func decodeSenderBlock(block *hcl.Block) (*Sender, hcl.Diagnostics) {
	content, diags := namedBlockContent("sender", block, senderSchema)
	s := &Sender{
		Name:      block.Labels[0],
		Number:    attrExpr(content.Attributes, "number"),
		Channel:   attrExpr(content.Attributes, "channel"),
		DeclRange: block.DefRange,
	}
	if a, ok := content.Attributes["provider"]; ok {
		s.ProviderRange = a.Expr.Range()
		addr, ok := providerAddr(a.Expr)
		if !ok {
			detail := "The provider argument takes a provider configuration's address, written without quotes: kaleyra or kaleyra.ALIAS."
			if InJSON(a.Expr.Range()) {
				detail = "The provider argument takes a provider configuration's address, as the string \"kaleyra\" or \"kaleyra.ALIAS\"."
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid provider reference",
				Detail:   detail,
				Subject:  a.Expr.Range().Ptr(),
			})
		}
		s.Provider = addr
	}
	return s, diags
}

// providerAddr reads a bare kaleyra or kaleyra.ALIAS traversal.
func providerAddr(expr hcl.Expression) (string, bool) {
	trav, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || trav.RootName() != ProviderKaleyra {
		return "", false
	}
	switch len(trav) {
	case 1:
		return ProviderKaleyra, true
	case 2:
		if a, ok := trav[1].(hcl.TraverseAttr); ok {
			return ProviderKaleyra + "." + a.Name, true
		}
	}
	return "", false
}
