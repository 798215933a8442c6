package configs

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Block type names, as written in configuration files.
const (
	blockHerald     = "herald"
	blockVariable   = "variable"
	blockLocals     = "locals"
	blockProvider   = "provider"
	blockSender     = "sender"
	blockRecipients = "recipients"
	blockTemplate   = "template"
	blockMessage    = "message"
)

// ProviderKaleyra is the only provider type herald knows.
const ProviderKaleyra = "kaleyra"

// Config is one folder's configuration, every file merged, in file then
// source order.
type Config struct {
	// Herald is the herald block, nil when absent.
	Herald     *Herald
	Variables  []*Variable
	Locals     []*Local
	Providers  []*Provider
	Senders    []*Sender
	Recipients []*Recipients
	Templates  []*Template
	Messages   []*Message
}

// fileSchema lists the top-level blocks of a configuration file.
var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockHerald},
		{Type: blockVariable, LabelNames: []string{"name"}},
		{Type: blockLocals},
		{Type: blockProvider, LabelNames: []string{"type"}},
		{Type: blockSender, LabelNames: []string{"name"}},
		{Type: blockRecipients, LabelNames: []string{"name"}},
		{Type: blockTemplate, LabelNames: []string{"name"}},
		{Type: blockMessage, LabelNames: []string{"name"}},
	},
}

// decodeFile appends the blocks of one file's body to c.
func (c *Config) decodeFile(body hcl.Body) hcl.Diagnostics {
	content, diags := body.Content(fileSchema)
	for _, block := range content.Blocks {
		switch block.Type {
		case blockHerald:
			h, moreDiags := decodeHeraldBlock(block)
			diags = append(diags, moreDiags...)
			if c.Herald != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate herald block",
					Detail:   "A configuration may have at most one herald block; the first is at " + c.Herald.DeclRange.String() + ".",
					Subject:  block.DefRange.Ptr(),
				})
				continue
			}
			c.Herald = h
		case blockVariable:
			v, moreDiags := decodeVariableBlock(block)
			diags = append(diags, moreDiags...)
			if v != nil {
				c.Variables = append(c.Variables, v)
			}
		case blockLocals:
			ls, moreDiags := decodeLocalsBlock(block)
			diags = append(diags, moreDiags...)
			c.Locals = append(c.Locals, ls...)
		case blockProvider:
			p, moreDiags := decodeProviderBlock(block)
			diags = append(diags, moreDiags...)
			if p != nil {
				c.Providers = append(c.Providers, p)
			}
		case blockSender:
			s, moreDiags := decodeSenderBlock(block)
			diags = append(diags, moreDiags...)
			c.Senders = append(c.Senders, s)
		case blockRecipients:
			r, moreDiags := decodeRecipientsBlock(block)
			diags = append(diags, moreDiags...)
			c.Recipients = append(c.Recipients, r)
		case blockTemplate:
			t, moreDiags := decodeTemplateBlock(block)
			diags = append(diags, moreDiags...)
			c.Templates = append(c.Templates, t)
		case blockMessage:
			m, moreDiags := decodeMessageBlock(block)
			diags = append(diags, moreDiags...)
			c.Messages = append(c.Messages, m)
		}
	}
	return diags
}

// checkDuplicates reports blocks of one kind that share a name, and
// provider configurations that share an address.
func (c *Config) checkDuplicates() hcl.Diagnostics {
	var diags hcl.Diagnostics
	// A local value is not a block of its own, hence "local value" rather
	// than "locals block".
	diags = append(diags, uniqueNames("variable block", c.Variables, func(v *Variable) (string, hcl.Range) { return v.Name, v.DeclRange })...)
	diags = append(diags, uniqueNames("local value", c.Locals, func(l *Local) (string, hcl.Range) { return l.Name, l.DeclRange })...)
	diags = append(diags, uniqueNames("sender block", c.Senders, func(s *Sender) (string, hcl.Range) { return s.Name, s.DeclRange })...)
	diags = append(diags, uniqueNames("recipients block", c.Recipients, func(r *Recipients) (string, hcl.Range) { return r.Name, r.DeclRange })...)
	diags = append(diags, uniqueNames("template block", c.Templates, func(t *Template) (string, hcl.Range) { return t.Name, t.DeclRange })...)
	diags = append(diags, uniqueNames("message block", c.Messages, func(m *Message) (string, hcl.Range) { return m.Name, m.DeclRange })...)

	seen := map[string]hcl.Range{}
	for _, p := range c.Providers {
		addr := p.Addr()
		if first, dup := seen[addr]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate provider configuration",
				Detail:   "The provider configuration " + addr + " was already declared at " + first.String() + ". Give each further configuration a distinct alias.",
				Subject:  p.DeclRange.Ptr(),
			})
			continue
		}
		seen[addr] = p.DeclRange
	}
	return diags
}

// uniqueNames reports each item whose name an earlier item already has;
// kind names one item in the diagnostic, as "recipients block".
func uniqueNames[T any](kind string, items []T, name func(T) (string, hcl.Range)) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, item := range items {
		n, decl := name(item)
		if first, dup := seen[n]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate " + kind,
				Detail:   "A " + kind + " named \"" + n + "\" was already declared at " + first.String() + ". Each " + kind + " needs a unique name.",
				Subject:  decl.Ptr(),
			})
			continue
		}
		seen[n] = decl
	}
	return diags
}

// attrExpr returns the attribute's expression, or nil when it is absent.
func attrExpr(attrs hcl.Attributes, name string) hcl.Expression {
	if a, ok := attrs[name]; ok {
		return a.Expr
	}
	return nil
}

// namedBlockContent reads the body of a block labelled with its name, after
// checking that the name can be used in a reference.
func namedBlockContent(kind string, block *hcl.Block, schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	diags := validName(kind, block)
	content, moreDiags := block.Body.Content(schema)
	return content, append(diags, moreDiags...)
}

// referencePrefix is how references to a block kind begin: var.NAME for a
// variable, KIND.NAME for the others.
func referencePrefix(kind string) string {
	if kind == "variable" {
		return "var"
	}
	return kind
}

// validName reports a block label that cannot be used in a reference.
func validName(kind string, block *hcl.Block) hcl.Diagnostics {
	name := block.Labels[0]
	if hclsyntax.ValidIdentifier(name) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + kind + " name",
		Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores and dashes, so that it can be referenced as " + referencePrefix(kind) + ".NAME.",
		Subject:  block.LabelRanges[0].Ptr(),
	}}
}
