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

// checkDuplicates reports blocks of one kind that share a name.
func (c *Config) checkDuplicates() hcl.Diagnostics {
	var diags hcl.Diagnostics
	type named struct {
		name  string
		decl  hcl.Range
		label string
	}
	// kind names one of them ("recipients block"); a local value is not a
	// block of its own.
	check := func(kind string, blocks []named) {
		seen := map[string]hcl.Range{}
		for _, b := range blocks {
			if first, dup := seen[b.name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate " + kind,
					Detail:   "A " + kind + " named \"" + b.name + "\" was already declared at " + first.String() + ". Each " + kind + " needs a unique name.",
					Subject:  b.decl.Ptr(),
				})
				continue
			}
			seen[b.name] = b.decl
		}
	}
	var vs, ls, ss, rs, ts, ms []named
	for _, v := range c.Variables {
		vs = append(vs, named{name: v.Name, decl: v.DeclRange})
	}
	for _, l := range c.Locals {
		ls = append(ls, named{name: l.Name, decl: l.DeclRange})
	}
	for _, s := range c.Senders {
		ss = append(ss, named{name: s.Name, decl: s.DeclRange})
	}
	for _, r := range c.Recipients {
		rs = append(rs, named{name: r.Name, decl: r.DeclRange})
	}
	for _, t := range c.Templates {
		ts = append(ts, named{name: t.Name, decl: t.DeclRange})
	}
	for _, m := range c.Messages {
		ms = append(ms, named{name: m.Name, decl: m.DeclRange})
	}
	check("variable block", vs)
	check("local value", ls)
	check("sender block", ss)
	check("recipients block", rs)
	check("template block", ts)
	check("message block", ms)

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

// attrExpr returns the attribute's expression, or nil when it is absent.
func attrExpr(attrs hcl.Attributes, name string) hcl.Expression {
	if a, ok := attrs[name]; ok {
		return a.Expr
	}
	return nil
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
		Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores and dashes, so that it can be referenced as " + kind + ".NAME.",
		Subject:  block.LabelRanges[0].Ptr(),
	}}
}
