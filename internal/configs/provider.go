package configs

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Provider is a provider "kaleyra" block: one Kaleyra account and how to
// talk to it.
type Provider struct {
	// Type is the block's label; always ProviderKaleyra once decoded.
	Type string
	// Alias distinguishes a second configuration: kaleyra.ALIAS.
	Alias string
	// Attrs holds the settings as written, by attribute name (sid, api_key,
	// region, ...); absent ones are missing from the map.
	Attrs     hcl.Attributes
	DeclRange hcl.Range
}

// Addr is the provider configuration's address: "kaleyra" or "kaleyra.ALIAS".
func (p *Provider) Addr() string {
	if p.Alias == "" {
		return p.Type
	}
	return p.Type + "." + p.Alias
}

// Provider attribute names.
const (
	ProviderSID                  = "sid"
	ProviderAPIKey               = "api_key"
	ProviderRegion               = "region"
	ProviderEndpoint             = "endpoint"
	ProviderMethod               = "method"
	ProviderEncoding             = "encoding"
	ProviderSandbox              = "sandbox"
	ProviderEmulator             = "emulator"
	ProviderMessagesPerSecond    = "messages_per_second"
	ProviderRecipientsPerRequest = "recipients_per_request"
	ProviderTimeout              = "timeout"
)

var providerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: ProviderSID, Required: true},
		{Name: ProviderAPIKey},
		{Name: ProviderRegion},
		{Name: ProviderEndpoint},
		{Name: ProviderMethod},
		{Name: ProviderEncoding},
		{Name: ProviderSandbox},
		{Name: ProviderEmulator},
		{Name: ProviderMessagesPerSecond},
		{Name: ProviderRecipientsPerRequest},
		{Name: ProviderTimeout},
		{Name: "alias"},
	},
}

func decodeProviderBlock(block *hcl.Block) (*Provider, hcl.Diagnostics) {
	if block.Labels[0] != ProviderKaleyra {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unsupported provider",
			Detail:   "herald knows only the \"kaleyra\" provider.",
			Subject:  block.LabelRanges[0].Ptr(),
		}}
	}
	content, diags := block.Body.Content(providerSchema)
	p := &Provider{Type: block.Labels[0], Attrs: content.Attributes, DeclRange: block.DefRange}
	if a, ok := content.Attributes["alias"]; ok {
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &p.Alias)...)
		delete(p.Attrs, "alias")
		if p.Alias != "" && !hclsyntax.ValidIdentifier(p.Alias) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid provider alias",
				Detail:   "An alias must start with a letter or underscore and hold only letters, digits, underscores and dashes, so that a sender can name it as kaleyra.ALIAS.",
				Subject:  a.Expr.Range().Ptr(),
			})
			return nil, diags
		}
	}
	return p, diags
}
