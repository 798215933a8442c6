package lang

import (
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/configs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// checkRichShape reports the combinations of a message's content
// arguments that the body-or-template checks do not: media beside a body
// or template, and a header or button_url on a message without a
// template. Each diagnostic sits on the argument that does not belong.
func checkRichShape(m *configs.Message) hcl.Diagnostics {
	var diags hcl.Diagnostics
	conflict := func(other, arg string) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting " + other + " and " + arg,
			Detail:   "A message has exactly one of body (a text message), media (a media message) or template (a template message).",
			Subject:  m.Attrs[arg].NameRange.Ptr(),
		})
	}
	if m.Media != nil {
		switch {
		case m.Body != nil:
			conflict("body", "media")
		case m.Template != nil:
			conflict("media", "template")
		case m.Params != nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unexpected params",
				Detail:   "Only template messages take params; a media message sends its file and caption as written.",
				Subject:  m.Attrs["params"].NameRange.Ptr(),
			})
		}
	}
	if m.Template == nil {
		for _, arg := range []string{"header", "button_url"} {
			if a, ok := m.Attrs[arg]; ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unexpected " + arg,
					Detail:   "Only a template message takes " + arg + ", and only when its template block declares " + map[string]string{"header": "a header", "button_url": "button = \"url\""}[arg] + ".",
					Subject:  a.NameRange.Ptr(),
				})
			}
		}
	}
	return diags
}

// evalStrings evaluates an object argument of string attributes, such as
// media = { url = "...", caption = "..." }, refusing attributes other than
// allowed. ok is false when the value is unknown or was refused.
func evalStrings(expr hcl.Expression, ctx *hcl.EvalContext, arg, example string, allowed ...string) (vals map[string]string, sensitive, ok bool, diags hcl.Diagnostics) {
	v, diags := eval(expr, ctx, cty.Map(cty.String))
	if diags.HasErrors() {
		return nil, false, false, diags
	}
	sensitive = v.ContainsMarked()
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return nil, false, false, diags // an unknown value stands in for an error reported where it failed
	}
	if v.IsNull() {
		return nil, false, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Missing " + arg,
			Detail: "The " + arg + " cannot be null; write it as " + example + ".", Subject: expr.Range().Ptr(),
		})
	}
	vals = map[string]string{}
	var unexpected []string
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		allowedName := false
		for _, a := range allowed {
			allowedName = allowedName || a == name
		}
		switch {
		case !allowedName:
			unexpected = append(unexpected, name)
		case e.IsNull():
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Null " + arg + " attribute",
				Detail: "The " + arg + "'s " + name + " is null; leave it out or give it a value.", Subject: itemRange(expr, name).Ptr(),
			})
		default:
			vals[name] = e.AsString()
		}
	}
	sort.Strings(unexpected)
	for _, name := range unexpected {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Unexpected attribute in " + arg,
			Detail:  "The " + arg + " takes " + quoteList(allowed) + ", written as " + example + "; " + strconv.Quote(name) + " is not one of them.",
			Subject: itemRange(expr, name).Ptr(),
		})
	}
	return vals, sensitive, !diags.HasErrors(), diags
}

// mediaURLDiags checks a media URL with Kaleyra's rules, on the range
// that wrote it.
func mediaURLDiags(url, label string, sensitive bool, rng hcl.Range) hcl.Diagnostics {
	diags := ruleDiag(rules.CheckNoHTML(rules.FieldMediaURL, url), label, sensitive, rng)
	if diags.HasErrors() {
		return diags
	}
	return ruleDiag(rules.CheckMediaURL(url), label, sensitive, rng)
}

// evalMediaContent evaluates a media message's media = { url, caption }.
func evalMediaContent(m *configs.Message, ctx *hcl.EvalContext) (delivery.Content, bool, hcl.Diagnostics) {
	content := delivery.Content{Type: delivery.Media}
	const example = `{ url = "https://cdn.example.com/notes.pdf", caption = "..." }`
	vals, sensitive, ok, diags := evalStrings(m.Media, ctx, "media", example, "url", "caption")
	if !ok {
		return content, sensitive, diags
	}
	url, hasURL := vals["url"]
	if !hasURL {
		return content, sensitive, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Missing media URL",
			Detail: "A media message needs the https URL of its file: media = " + example + ".", Subject: m.Media.Range().Ptr(),
		})
	}
	diags = append(diags, mediaURLDiags(url, "media URL", sensitive, itemRange(m.Media, "url"))...)
	content.MediaURL = url
	if caption, ok := vals["caption"]; ok {
		diags = append(diags, ruleDiag(rules.CheckCaption(caption), "caption", sensitive, itemRange(m.Media, "caption"))...)
		content.Caption = caption
	}
	return content, sensitive, diags
}

// evalTemplateRich evaluates the header and button_url of a template
// message against what its template declares: each is required exactly
// when the template declares a header or a URL button, and refused
// otherwise. A media header makes the content a media template.
func evalTemplateRich(m *configs.Message, ctx *hcl.EvalContext, tmpl cty.Value, content *delivery.Content) (bool, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	sensitive := false
	name := strconv.Quote(content.TemplateName)

	kind, declared := knownString(tmpl.GetAttr("header"))
	switch {
	case !declared && m.Header != nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Unexpected header",
			Detail:  "Template " + name + " declares no header. Remove the header argument, or declare the kind of header the approved template has (header = \"image\", ...) in its template block.",
			Subject: m.Attrs["header"].NameRange.Ptr(),
		})
	case declared && m.Header == nil:
		example := `header = { media_url = "https://cdn.example.com/banner.png" }`
		if kind == delivery.HeaderText {
			example = `header = { text = "..." }`
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Missing header",
			Detail:  "Template " + name + " declares a " + kind + " header, so the message needs its header: " + example + ".",
			Subject: m.Attrs["template"].NameRange.Ptr(),
		})
	case declared && kind == delivery.HeaderText:
		vals, s, ok, moreDiags := evalStrings(m.Header, ctx, "header", `{ text = "..." }`, "text")
		diags = append(diags, moreDiags...)
		sensitive = sensitive || s
		if ok {
			text, has := vals["text"]
			if !has {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Missing header text",
					Detail: "Template " + name + " declares a text header: write header = { text = \"...\" }.", Subject: m.Header.Range().Ptr(),
				})
			}
			diags = append(diags, ruleDiag(rules.CheckNoHTML(rules.FieldParamHeader, text), "header text", s, itemRange(m.Header, "text"))...)
			content.Header, content.HeaderText = kind, text
		}
	case declared:
		example := `{ media_url = "https://cdn.example.com/banner.png" }`
		vals, s, ok, moreDiags := evalStrings(m.Header, ctx, "header", example, "media_url")
		diags = append(diags, moreDiags...)
		sensitive = sensitive || s
		if ok {
			url, has := vals["media_url"]
			if !has {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Missing header media URL",
					Detail: "Template " + name + " declares a " + kind + " header: write header = " + example + ".", Subject: m.Header.Range().Ptr(),
				})
			} else {
				diags = append(diags, mediaURLDiags(url, "header media URL", s, itemRange(m.Header, "media_url"))...)
			}
			content.Type, content.Header, content.MediaURL = delivery.MediaTemplate, kind, url
		}
	}

	_, button := knownString(tmpl.GetAttr("button"))
	switch {
	case !button && m.ButtonURL != nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Unexpected button_url",
			Detail:  "Template " + name + " declares no URL button. Remove button_url, or declare button = \"url\" in its template block when the approved template has a URL button with a dynamic part.",
			Subject: m.Attrs["button_url"].NameRange.Ptr(),
		})
	case button && m.ButtonURL == nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Missing button_url",
			Detail:  "Template " + name + " declares a URL button, so the message needs the button's dynamic part: button_url = \"...\".",
			Subject: m.Attrs["template"].NameRange.Ptr(),
		})
	case button:
		v, s, ok, moreDiags := evalString(m.ButtonURL, ctx)
		diags = append(diags, moreDiags...)
		if ok {
			sensitive = sensitive || s
			diags = append(diags, ruleDiag(rules.CheckNoHTML(rules.FieldParamURL, v), "button_url", s, m.ButtonURL.Range())...)
			content.ButtonURL = v
		}
	}
	return sensitive, diags
}
