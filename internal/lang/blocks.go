package lang

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/configs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// Object types of the values references evaluate to.
var (
	senderType = cty.Object(map[string]cty.Type{
		"name": cty.String, "number": cty.String, "channel": cty.String,
	})
	recipientsType = cty.Object(map[string]cty.Type{
		"name": cty.String, "numbers": cty.List(cty.String),
	})
	templateType = cty.Object(map[string]cty.Type{
		"name": cty.String, "language": cty.String, "params": cty.List(cty.String),
		"header": cty.String, "button": cty.String,
	})
)

// evalLocals evaluates the locals in dependency order; a cycle is an error
// naming it.
func (s *scope) evalLocals(locals []*configs.Local) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byName := map[string]*configs.Local{}
	names := make([]string, 0, len(locals))
	edges := map[string][]string{}
	for _, l := range locals {
		if _, dup := byName[l.Name]; dup {
			continue
		}
		byName[l.Name] = l
		names = append(names, l.Name)
	}
	bad := map[string]bool{}
	for _, name := range names {
		l := byName[name]
		refDiags := s.checkRefs(l.Expr, refs(refVar, refLocal), "a locals block")
		diags = append(diags, refDiags...)
		if refDiags.HasErrors() {
			bad[name] = true
		}
		for _, trav := range l.Expr.Variables() {
			if dep, ok := refName(trav, refLocal); ok && byName[dep] != nil {
				edges[name] = append(edges[name], dep)
			}
		}
	}
	if cycle := findCycle(names, edges); cycle != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cycle among local values",
			Detail:   "These local values refer to each other in a loop: " + cyclePath("local.", cycle) + ".",
			Subject:  byName[cycle[0]].DeclRange.Ptr(),
		})
	}
	vals := map[string]cty.Value{}
	for _, name := range names {
		vals[name] = cty.DynamicVal
	}
	for _, name := range topoOrder(names, edges) {
		if bad[name] {
			continue
		}
		s.set(refLocal, vals)
		val, moreDiags := eval(byName[name].Expr, s.ctx, cty.DynamicPseudoType)
		diags = append(diags, moreDiags...)
		vals[name] = val
	}
	s.set(refLocal, vals)
	return diags
}

// evalString evaluates an optional string attribute. It returns ok=false
// when the attribute is absent, null or could not be evaluated.
func evalString(expr hcl.Expression, ctx *hcl.EvalContext) (val string, sensitive, ok bool, diags hcl.Diagnostics) {
	if expr == nil {
		return "", false, false, nil
	}
	v, diags := eval(expr, ctx, cty.String)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return "", false, false, diags
	}
	v, marks := v.Unmark()
	if v.IsNull() {
		return "", false, false, diags
	}
	return v.AsString(), len(marks) > 0, true, diags
}

// knownString returns v's string when it is known and not null, ignoring
// marks.
func knownString(v cty.Value) (string, bool) {
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// evalProviders turns the provider blocks into rules.Settings.
func (s *scope) evalProviders(providers []*configs.Provider) (map[string]rules.Settings, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]rules.Settings{}
	for _, p := range providers {
		if _, dup := out[p.Addr()]; dup {
			continue
		}
		set, moreDiags := s.evalProvider(p)
		diags = append(diags, moreDiags...)
		out[p.Addr()] = set
	}
	return out, diags
}

func (s *scope) evalProvider(p *configs.Provider) (rules.Settings, hcl.Diagnostics) {
	var diags, keyDiags hcl.Diagnostics
	set := rules.Settings{
		Address:              p.Addr(),
		Region:               rules.DefaultRegion,
		Method:               rules.DefaultMethod,
		Encoding:             rules.DefaultEncoding,
		MessagesPerSecond:    rules.DefaultMessagesPerSecond,
		RecipientsPerRequest: rules.DefaultRecipientsPerRequest,
		Timeout:              rules.DefaultTimeout,
	}
	// In source order, so that several bad references are reported in a
	// stable order (the attributes come as a map).
	attrs := make([]*hcl.Attribute, 0, len(p.Attrs))
	for _, a := range p.Attrs {
		attrs = append(attrs, a)
	}
	slices.SortFunc(attrs, func(a, b *hcl.Attribute) int { return a.Range.Start.Byte - b.Range.Start.Byte })
	for _, a := range attrs {
		diags = append(diags, s.checkRefs(a.Expr, refs(refVar, refLocal), "a provider block")...)
	}
	if diags.HasErrors() {
		return set, diags
	}
	str := func(name string, dst *string) (hcl.Range, bool) {
		a, ok := p.Attrs[name]
		if !ok {
			return hcl.Range{}, false
		}
		v, _, ok, moreDiags := evalString(a.Expr, s.ctx)
		if name == configs.ProviderAPIKey {
			// Never let a diagnostic print the key through its context.
			for _, d := range moreDiags {
				d.EvalContext = nil
			}
			if onlyEnvUnset(moreDiags) {
				// Only sending needs the key: an unset env() variable
				// leaves it unknown, so that validate and plan run where
				// there is no secret, and apply refuses to send through
				// this provider.
				keyDiags = moreDiags
				return a.Expr.Range(), false
			}
		}
		diags = append(diags, moreDiags...)
		if ok {
			*dst = v
		}
		return a.Expr.Range(), ok
	}
	boolean := func(name string, dst *bool) {
		if a, ok := p.Attrs[name]; ok {
			v, moreDiags := eval(a.Expr, s.ctx, cty.Bool)
			diags = append(diags, moreDiags...)
			if v, _ = v.Unmark(); v.IsKnown() && !v.IsNull() {
				*dst = v.True()
			}
		}
	}
	number := func(name string) (float64, hcl.Range, bool) {
		a, ok := p.Attrs[name]
		if !ok {
			return 0, hcl.Range{}, false
		}
		v, moreDiags := eval(a.Expr, s.ctx, cty.Number)
		diags = append(diags, moreDiags...)
		if v, _ = v.Unmark(); !v.IsKnown() || v.IsNull() {
			return 0, hcl.Range{}, false
		}
		f, _ := v.AsBigFloat().Float64()
		return f, a.Expr.Range(), true
	}
	// rule evaluates a string attribute and applies its Kaleyra rule.
	rule := func(name string, dst *string, check func(string) *rules.Problem) {
		if rng, ok := str(name, dst); ok {
			diags = append(diags, ruleDiag(check(*dst), name, false, rng)...)
		}
	}

	str(configs.ProviderSID, &set.SID)
	keyRange, keyKnown := str(configs.ProviderAPIKey, &set.APIKey)
	rule(configs.ProviderRegion, &set.Region, rules.CheckRegion)
	rule(configs.ProviderEndpoint, &set.Endpoint, rules.CheckEndpoint)
	rule(configs.ProviderMethod, &set.Method, rules.CheckMethod)
	rule(configs.ProviderEncoding, &set.Encoding, rules.CheckEncoding)
	boolean(configs.ProviderSandbox, &set.Sandbox)
	boolean(configs.ProviderEmulator, &set.Emulator)

	if a, ok := p.Attrs[configs.ProviderEncoding]; ok && set.Method == rules.MethodGet {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Encoding without POST",
			Detail:   "The encoding applies to POST requests only; a GET request sends its fields in the query string. Remove encoding or use method = \"POST\".",
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	if f, rng, ok := number(configs.ProviderMessagesPerSecond); ok {
		if f <= 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid messages_per_second",
				Detail:   "The messages_per_second must be greater than zero.",
				Subject:  rng.Ptr(),
			})
		} else {
			set.MessagesPerSecond = f
		}
	}
	if f, rng, ok := number(configs.ProviderRecipientsPerRequest); ok {
		if p := rules.CheckRecipientsPerRequest(f); p != nil {
			diags = append(diags, ruleDiag(p, configs.ProviderRecipientsPerRequest, false, rng)...)
		} else {
			set.RecipientsPerRequest = int(f)
		}
	}
	if float64(set.RecipientsPerRequest) > set.MessagesPerSecond {
		// One request is that many messages at once: more than any second
		// may see from one number.
		rng := p.DeclRange
		if a, ok := p.Attrs[configs.ProviderRecipientsPerRequest]; ok {
			rng = a.Expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Batch larger than the rate limit",
			Detail: fmt.Sprintf("A request to %d recipients sends %d messages at once, more than messages_per_second = %g allows from one number in any second. Lower recipients_per_request to at most %d, or raise messages_per_second if your WhatsApp tier allows it.",
				set.RecipientsPerRequest, set.RecipientsPerRequest, set.MessagesPerSecond, int(set.MessagesPerSecond)),
			Subject: rng.Ptr(),
		})
	}
	var timeout string
	if rng, ok := str(configs.ProviderTimeout, &timeout); ok {
		d, err := time.ParseDuration(timeout)
		if err != nil || d <= 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid timeout",
				Detail:   "The timeout must be a positive duration such as \"30s\" or \"1m30s\"; got " + strconv.Quote(timeout) + ".",
				Subject:  rng.Ptr(),
			})
		} else {
			set.Timeout = d
		}
	}
	_, hasKey := p.Attrs[configs.ProviderAPIKey]
	switch {
	case set.Emulator:
	case !hasKey:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing api_key",
			Detail:   "The provider " + p.Addr() + " needs an api_key, as api_key = env(\"KALEYRA_API_KEY\"), unless it runs the built-in emulator (emulator = true).",
			Subject:  p.DeclRange.Ptr(),
		})
	case keyDiags != nil:
		for _, d := range keyDiags {
			d.Summary = "Environment variable not set"
			d.Detail = "The environment variable " + envUnsetName(d) + " is not set, and provider " + p.Addr() + " needs it for its api_key to send. Set it, then apply again; validate and plan work without it."
		}
		s.credentials[p.Addr()] = keyDiags
	case keyKnown && set.APIKey == "":
		s.credentials[p.Addr()] = hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Empty api_key",
			Detail:   "The api_key of provider " + p.Addr() + " is empty, and sending through it needs the account's API key. Set the variable it reads, as KALEYRA_API_KEY.",
			Subject:  keyRange.Ptr(),
		}}
	case keyKnown:
		// Go's HTTP client refuses such a header only when sending, as if
		// the network had failed.
		if err := rules.CheckAPIKey(set.APIKey); err != nil {
			s.credentials[p.Addr()] = hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid api_key",
				Detail:   "The api_key of provider " + p.Addr() + " " + err.Error() + ". An API key is one line of printable characters.",
				Subject:  keyRange.Ptr(),
			}}
		}
	}
	return set, diags
}

// envUnsetName is the variable an unset-env() diagnostic names.
func envUnsetName(d *hcl.Diagnostic) string {
	var unset envUnsetError
	if extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d); ok && errors.As(extra.FunctionCallError(), &unset) {
		return unset.name
	}
	return "it reads"
}

// onlyEnvUnset reports whether diags are errors and all of them come
// from env() calls of unset variables without a default.
func onlyEnvUnset(diags hcl.Diagnostics) bool {
	if !diags.HasErrors() {
		return false
	}
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d)
		if !ok {
			return false
		}
		var unset envUnsetError
		if !errors.As(extra.FunctionCallError(), &unset) {
			return false
		}
	}
	return true
}

// sender is an evaluated sender block.
type sender struct {
	name     string
	number   string
	channel  string
	provider string
}

// evalSenders evaluates the sender blocks; each must use a configured
// provider.
func (s *scope) evalSenders(senders []*configs.Sender, providers map[string]rules.Settings) (map[string]*sender, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]*sender{}
	vals := map[string]cty.Value{}
	for _, cs := range senders {
		if _, dup := out[cs.Name]; dup {
			continue
		}
		sd := &sender{name: cs.Name, channel: rules.ChannelWhatsApp}
		var blockDiags hcl.Diagnostics
		blockDiags = append(blockDiags, s.checkRefs(cs.Number, refs(refVar, refLocal), "a sender block")...)
		blockDiags = append(blockDiags, s.checkRefs(cs.Channel, refs(refVar, refLocal), "a sender block")...)
		if !blockDiags.HasErrors() {
			num, _, ok, moreDiags := evalString(cs.Number, s.ctx)
			blockDiags = append(blockDiags, moreDiags...)
			if ok {
				sd.number = num
				blockDiags = append(blockDiags, ruleDiag(rules.CheckNumber(rules.FieldFrom, num), "number", false, cs.Number.Range())...)
			} else if !moreDiags.HasErrors() && cs.Number != nil {
				blockDiags = append(blockDiags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Missing sender number",
					Detail: "The sender's number must be set to an E.164 number.", Subject: cs.Number.Range().Ptr(),
				})
			}
			if ch, _, ok, moreDiags := evalString(cs.Channel, s.ctx); ok {
				blockDiags = append(blockDiags, ruleDiag(rules.CheckChannel(ch), rules.FieldChannel, false, cs.Channel.Range())...)
			} else {
				blockDiags = append(blockDiags, moreDiags...)
			}
		}
		provider, moreDiags := senderProvider(cs, providers)
		sd.provider = provider
		blockDiags = append(blockDiags, moreDiags...)
		diags = append(diags, blockDiags...)
		out[cs.Name] = sd
		if blockDiags.HasErrors() || sd.number == "" {
			vals[cs.Name] = cty.UnknownVal(senderType)
			continue
		}
		vals[cs.Name] = cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(sd.name), "number": cty.StringVal(sd.number), "channel": cty.StringVal(sd.channel),
		})
	}
	s.set(refSender, vals)
	return out, diags
}

// senderProvider returns the address of the provider configuration a sender
// uses, reporting one that is not configured.
func senderProvider(cs *configs.Sender, providers map[string]rules.Settings) (string, hcl.Diagnostics) {
	switch {
	case cs.Provider != "":
		if _, ok := providers[cs.Provider]; ok {
			return cs.Provider, nil
		}
		detail := "There is no provider configuration " + cs.Provider + "."
		if sug := suggest(cs.Provider, sortedKeys(providers)); sug != "" {
			detail += " Did you mean " + sug + "?"
		}
		return cs.Provider, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Reference to undeclared provider configuration", Detail: detail, Subject: cs.ProviderRange.Ptr(),
		}}
	case cs.ProviderRange.Filename != "":
		// An empty provider with a range is an invalid provider argument,
		// reported when it was decoded: not also a missing default.
		return "", nil
	}
	if _, ok := providers[configs.ProviderKaleyra]; ok {
		return configs.ProviderKaleyra, nil
	}
	detail := "The sender uses the default provider configuration, provider \"kaleyra\" without an alias, and there is none."
	if len(providers) > 0 {
		detail += " Choose one of the configured ones with provider = " + sortedKeys(providers)[0] + "."
	}
	return configs.ProviderKaleyra, hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Missing provider configuration", Detail: detail, Subject: cs.DeclRange.Ptr(),
	}}
}

// maxNumberDiags caps the invalid-number diagnostics of one list: a list
// read from a file with the wrong column would otherwise bury everything
// else under thousands of them.
const maxNumberDiags = 20

// badNumbers reports the invalid numbers of one list, up to maxNumberDiags,
// then a count of the rest.
type badNumbers struct {
	expr  hcl.Expression
	count int
}

func (b *badNumbers) report(p *rules.Problem, rng func() hcl.Range) hcl.Diagnostics {
	b.count++
	if b.count > maxNumberDiags {
		return nil
	}
	return ruleDiag(p, "number", false, rng())
}

func (b *badNumbers) summary() hcl.Diagnostics {
	if b.count <= maxNumberDiags {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "More invalid phone numbers",
		Detail:   strconv.Itoa(b.count-maxNumberDiags) + " more numbers in this list are not valid E.164 numbers.",
		Subject:  b.expr.Range().Ptr(),
	}}
}

// dupNumbers reports the repeated numbers of one list like badNumbers: the
// first maxNumberDiags, then a count. A list of 600,000 repeats printed
// each one, 150 MB of output.
type dupNumbers struct {
	expr  hcl.Expression
	count int
}

func (d *dupNumbers) report(diag func() *hcl.Diagnostic) hcl.Diagnostics {
	d.count++
	if d.count > maxNumberDiags {
		return nil
	}
	return hcl.Diagnostics{diag()}
}

func (d *dupNumbers) summary() hcl.Diagnostics {
	if d.count <= maxNumberDiags {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "More duplicate recipients",
		Detail:   strconv.Itoa(d.count-maxNumberDiags) + " more numbers in this list repeat one listed before them. To drop repeats, wrap the list in distinct(...).",
		Subject:  d.expr.Range().Ptr(),
	}}
}

// evalRecipients evaluates the recipients blocks: each number valid, none
// twice.
func (s *scope) evalRecipients(blocks []*configs.Recipients) hcl.Diagnostics {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	for _, r := range blocks {
		if _, dup := vals[r.Name]; dup {
			continue
		}
		vals[r.Name] = cty.UnknownVal(recipientsType)
		refDiags := s.checkRefs(r.Numbers, refs(refVar, refLocal), "a recipients block")
		diags = append(diags, refDiags...)
		if refDiags.HasErrors() || r.Numbers == nil {
			continue
		}
		// Not eval's conversion to list(string): cty unifies the element
		// types of a tuple by sorting them, far too slow for a 10,000
		// element list made by a for expression.
		val, moreDiags := eval(r.Numbers, s.ctx, cty.DynamicPseudoType)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			continue
		}
		if val.ContainsMarked() {
			val, _ = val.UnmarkDeep()
		}
		if !val.IsWhollyKnown() {
			continue
		}
		nums, problem := stringElements(val)
		if problem != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid numbers",
				Detail: "The numbers of a recipients block must be a list of E.164 number strings; " + problem + ".", Subject: r.Numbers.Range().Ptr(),
			})
			continue
		}
		s.numbers.prime(nums)
		var blockDiags hcl.Diagnostics
		seen := make(map[string]int, len(nums))
		bad := badNumbers{expr: r.Numbers}
		dups := dupNumbers{expr: r.Numbers}
		for i, n := range nums {
			if p := s.numbers.problem(n); p != nil {
				blockDiags = append(blockDiags, bad.report(p, func() hcl.Range { return elementRange(r.Numbers, i, len(nums)) })...)
				continue
			}
			if first, dup := seen[n]; dup {
				blockDiags = append(blockDiags, dups.report(func() *hcl.Diagnostic {
					return &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Duplicate recipient",
						Detail:   "The number " + n + " is listed more than once (elements " + strconv.Itoa(first+1) + " and " + strconv.Itoa(i+1) + "); each recipient may appear once. To drop repeats, wrap the list in distinct(...).",
						Subject:  elementRange(r.Numbers, i, len(nums)).Ptr(),
						Extra:    valueExtra{n},
					}
				})...)
				continue
			}
			seen[n] = i
		}
		blockDiags = append(blockDiags, bad.summary()...)
		blockDiags = append(blockDiags, dups.summary()...)
		diags = append(diags, blockDiags...)
		if blockDiags.HasErrors() {
			continue
		}
		s.recipientNumbers[r.Name] = nums
		list := cty.ListValEmpty(cty.String)
		if len(nums) > 0 {
			elems := make([]cty.Value, len(nums))
			for i, n := range nums {
				elems[i] = cty.StringVal(n)
			}
			list = cty.ListVal(elems)
		}
		vals[r.Name] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(r.Name), "numbers": list})
	}
	s.set(refRecipients, vals)
	return diags
}

// evalTemplates evaluates the template blocks.
func (s *scope) evalTemplates(blocks []*configs.Template) hcl.Diagnostics {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	for _, t := range blocks {
		if _, dup := vals[t.Name]; dup {
			continue
		}
		vals[t.Name] = cty.UnknownVal(templateType)
		var blockDiags hcl.Diagnostics
		for _, e := range []hcl.Expression{t.TemplateName, t.Language, t.Params, t.Header, t.Button} {
			blockDiags = append(blockDiags, s.checkRefs(e, refs(refVar, refLocal), "a template block")...)
		}
		if blockDiags.HasErrors() || t.TemplateName == nil {
			diags = append(diags, blockDiags...)
			continue
		}
		name, moreDiags := eval(t.TemplateName, s.ctx, cty.String)
		blockDiags = append(blockDiags, moreDiags...)
		obj := map[string]cty.Value{"name": name, "language": cty.NullVal(cty.String), "params": cty.ListValEmpty(cty.String),
			"header": cty.NullVal(cty.String), "button": cty.NullVal(cty.String)}
		if n, ok := knownString(name); ok {
			blockDiags = append(blockDiags, ruleDiag(rules.CheckTemplateName(n), "template name", name.ContainsMarked(), t.TemplateName.Range())...)
			blockDiags = append(blockDiags, ruleDiag(rules.CheckNoHTML(rules.FieldTemplateName, n), "template name", name.ContainsMarked(), t.TemplateName.Range())...)
		}
		if t.Language != nil {
			lang, moreDiags := eval(t.Language, s.ctx, cty.String)
			blockDiags = append(blockDiags, moreDiags...)
			obj["language"] = lang
			if l, ok := knownString(lang); ok {
				blockDiags = append(blockDiags, ruleDiag(rules.CheckNoHTML(rules.FieldLanguage, l), "language", lang.ContainsMarked(), t.Language.Range())...)
			}
		}
		if t.Params != nil {
			params, moreDiags := eval(t.Params, s.ctx, cty.List(cty.String))
			blockDiags = append(blockDiags, moreDiags...)
			if p, _ := params.UnmarkDeep(); !moreDiags.HasErrors() && p.IsWhollyKnown() && !p.IsNull() {
				blockDiags = append(blockDiags, checkParamNames(t.Params, p)...)
				obj["params"] = params
			}
		}
		for _, a := range []struct {
			name    string
			expr    hcl.Expression
			allowed []string
			detail  string
		}{
			{"header", t.Header, []string{delivery.HeaderText, delivery.HeaderImage, delivery.HeaderVideo, delivery.HeaderDocument},
				"The header names the kind of header the approved template has: \"text\", \"image\", \"video\" or \"document\". Leave it out when the template has none."},
			{"button", t.Button, []string{"url"},
				"The button is \"url\" when the approved template has a URL button with a dynamic part. Leave it out when it has none."},
		} {
			if a.expr == nil {
				continue
			}
			v, moreDiags := eval(a.expr, s.ctx, cty.String)
			blockDiags = append(blockDiags, moreDiags...)
			if moreDiags.HasErrors() {
				continue
			}
			v, _ = v.Unmark()
			if str, ok := knownString(v); ok && !slices.Contains(a.allowed, str) || v.IsKnown() && v.IsNull() {
				blockDiags = append(blockDiags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid template " + a.name, Detail: a.detail, Subject: a.expr.Range().Ptr(),
				})
				continue
			}
			obj[a.name] = v
		}
		diags = append(diags, blockDiags...)
		if blockDiags.HasErrors() {
			continue
		}
		vals[t.Name] = cty.ObjectVal(obj)
	}
	s.set(refTemplate, vals)
	return diags
}

// checkParamNames checks a template's list of parameter names, known and
// not null: each a valid name, none twice.
func checkParamNames(expr hcl.Expression, names cty.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	i := 0
	for it := names.ElementIterator(); it.Next(); i++ {
		_, v := it.Element()
		rng := elementRange(expr, i, names.LengthInt())
		if v.IsNull() || !validParamName(v.AsString()) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid template parameter name",
				Detail:  "A parameter name must start with a letter or underscore and hold only letters, digits and underscores, so that a message can set it in params.",
				Subject: rng.Ptr(),
			})
			continue
		}
		if seen[v.AsString()] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate template parameter",
				Detail: "The parameter " + strconv.Quote(v.AsString()) + " is declared more than once.", Subject: rng.Ptr(),
			})
		}
		seen[v.AsString()] = true
	}
	return diags
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// stringElements reads a list, tuple or set of strings.
func stringElements(v cty.Value) ([]string, string) {
	ty := v.Type()
	if v.IsNull() || !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		return nil, "got " + describe(v)
	}
	out := make([]string, 0, v.LengthInt())
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, "element " + strconv.Itoa(i+1) + " is " + describe(e)
		}
		out = append(out, e.AsString())
	}
	return out, ""
}

// describe names what a value is, for a diagnostic's detail: "a sender
// block" rather than cty's "object".
func describe(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return describeType(v.Type())
}

// describeType names a type with its article, as describe does.
func describeType(ty cty.Type) string {
	switch {
	case ty.Equals(senderType):
		return "a sender block"
	case ty.Equals(recipientsType):
		return "a recipients block"
	case ty.Equals(templateType):
		return "a template block"
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "a bool"
	case ty.IsObjectType():
		return "an object"
	case ty.IsMapType():
		return "a map"
	case ty.IsListType() || ty.IsTupleType():
		return "a list"
	case ty.IsSetType():
		return "a set"
	}
	return ty.FriendlyName()
}
