package lang

import (
	"maps"
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/configs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// instance is one evaluated instance of a message block, with where its
// ref was written.
type instance struct {
	delivery.Instance
	// refRange points at the ref attribute, where duplicate keys are
	// reported since a different ref is the usual fix.
	refRange hcl.Range
}

// evalMessages evaluates every message block, instance by instance.
func (s *scope) evalMessages(msgs []*configs.Message, senders map[string]*sender) ([]*instance, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var out []*instance
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		insts, moreDiags := s.evalMessage(m, senders)
		diags = append(diags, moreDiags...)
		out = append(out, insts...)
	}
	diags = append(diags, checkDependsOnCycles(msgs)...)
	diags = append(diags, checkDuplicateKeys(out)...)
	return out, diags
}

func (s *scope) evalMessage(m *configs.Message, senders map[string]*sender) ([]*instance, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	outer := refs(refVar, refLocal, refSender, refRecipients, refTemplate)
	forEachDiags := s.checkRefs(m.ForEach, outer, "for_each")
	diags = append(diags, forEachDiags...)
	// The other arguments are evaluated once per instance, where a
	// for_each message also has each.
	inner := outer
	if m.ForEach != nil {
		inner = maps.Clone(outer)
		inner[refEach] = true
	}
	// An argument with a wrong reference is replaced by an unknown value,
	// so that the others are still evaluated and checked.
	m = m.Copy()
	for _, e := range []*hcl.Expression{&m.From, &m.To, &m.Template, &m.Body, &m.Params, &m.Media, &m.Header, &m.ButtonURL, &m.Ref, &m.Ref1, &m.Ref2, &m.CallbackURL} {
		refDiags := s.checkRefs(*e, inner, "a message block")
		diags = append(diags, refDiags...)
		if refDiags.HasErrors() {
			*e = hcl.StaticExpr(cty.DynamicVal, (*e).Range())
		}
	}

	var dependsOn []addrs.Message
	for _, trav := range m.DependsOn {
		name, moreDiags := s.dependsOnTarget(trav)
		diags = append(diags, moreDiags...)
		if name != "" {
			dependsOn = append(dependsOn, addrs.Message{Name: name})
		}
	}

	shapeErrors := len(diags)
	switch {
	case m.Body != nil && m.Template != nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting body and template",
			Detail:   "A message is either a text message (body) or a template message (template), not both.",
			Subject:  m.Attrs["template"].NameRange.Ptr(),
		})
	case m.Body == nil && m.Template == nil && m.Media == nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing body, media or template",
			Detail:   "A message needs a body (a text message), media (a media message) or a template (a template message).",
			Subject:  m.DeclRange.Ptr(),
		})
	case m.Body != nil && m.Params != nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unexpected params",
			Detail:   "Only template messages take params; a text message's body is sent as written.",
			Subject:  m.Attrs["params"].NameRange.Ptr(),
		})
	}
	if m.Body == nil || m.Template == nil {
		diags = append(diags, checkRichShape(m)...)
	}
	if forEachDiags.HasErrors() || diags[shapeErrors:].HasErrors() || m.From == nil || m.To == nil || m.Ref == nil {
		// A missing required argument was reported by the decoder.
		return nil, diags
	}

	type eachVal struct {
		key addrs.InstanceKey
		val cty.Value
	}
	instances := []eachVal{{key: addrs.NoKey}}
	if m.ForEach != nil {
		forEach, moreDiags := eval(m.ForEach, s.ctx, cty.DynamicPseudoType)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() || !forEach.IsWhollyKnown() {
			// An unknown value stands in for one already reported.
			return nil, diags
		}
		elems, problem := forEachElements(forEach)
		if problem != "" {
			return nil, append(diags, &hcl.Diagnostic{
				Severity:    hcl.DiagError,
				Summary:     "Invalid for_each argument",
				Detail:      problem,
				Subject:     m.ForEach.Range().Ptr(),
				Expression:  m.ForEach,
				EvalContext: s.ctx,
			})
		}
		instances = instances[:0]
		for _, k := range sortedKeys(elems) {
			instances = append(instances, eachVal{key: addrs.StringKey(k), val: elems[k]})
		}
	}

	var out []*instance
	for _, ev := range instances {
		ctx := s.ctx
		if ev.key.IsSet() {
			ctx = s.ctx.NewChild()
			ctx.Variables = map[string]cty.Value{
				refEach: cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(ev.key.Value()), "value": ev.val}),
			}
		}
		inst, moreDiags := s.evalInstance(m, ctx, senders)
		if len(out) > 0 {
			// Every instance would repeat the first one's warnings.
			moreDiags = errorsOnly(moreDiags)
		}
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			// The other instances would most likely repeat the same errors.
			break
		}
		if inst != nil {
			inst.Address = addrs.Message{Name: m.Name}.Instance(ev.key)
			inst.DependsOn = dependsOn
			out = append(out, inst)
		}
	}
	return out, diags
}

// forEachElements reads a for_each value: a map (or object) or a set of
// strings. It returns the elements by key, or why the value will not do.
func forEachElements(v cty.Value) (map[string]cty.Value, string) {
	if v.ContainsMarked() {
		return nil, "The for_each value derives from a sensitive variable; instance keys appear in addresses and plans, so they cannot be sensitive."
	}
	if v.IsNull() {
		return nil, "The for_each value is null; it must be a map or a set of strings."
	}
	ty := v.Type()
	out := map[string]cty.Value{}
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			out[k.AsString()] = val
		}
	case ty.IsSetType() && ty.ElementType() == cty.String:
		for it := v.ElementIterator(); it.Next(); {
			_, val := it.Element()
			if val.IsNull() {
				return nil, "The for_each set holds a null; each element must be a string."
			}
			out[val.AsString()] = val
		}
	case ty.IsSetType():
		return nil, "The for_each set must hold strings; it holds elements of type " + typeString(ty.ElementType()) + "."
	case ty.IsListType() || ty.IsTupleType():
		return nil, "The for_each value is a list; it must be a map or a set of strings. Convert a list of strings with toset(...)."
	default:
		return nil, "The for_each value is " + describeType(ty) + "; it must be a map or a set of strings."
	}
	return out, ""
}

// dependsOnTarget checks one depends_on entry and returns the message name.
func (s *scope) dependsOnTarget(trav hcl.Traversal) (string, hcl.Diagnostics) {
	rng := trav.SourceRange()
	if trav.RootName() != refMessage || len(trav) != 2 {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid depends_on reference",
			Detail: "Each depends_on entry must name a message block, as message.NAME.", Subject: &rng,
		}}
	}
	a, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid depends_on reference",
			Detail: "Each depends_on entry must name a whole message block, as message.NAME.", Subject: &rng,
		}}
	}
	if !s.names[refMessage][a.Name] {
		detail := "There is no message named \"" + a.Name + "\"."
		if sug := suggest(a.Name, sortedKeys(s.names[refMessage])); sug != "" {
			detail += " Did you mean message." + sug + "?"
		}
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reference to undeclared message", Detail: detail, Subject: &rng}}
	}
	return a.Name, nil
}

func (s *scope) evalInstance(m *configs.Message, ctx *hcl.EvalContext, senders map[string]*sender) (*instance, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	inst := &instance{refRange: m.Ref.Range()}
	var snd *sender

	// from: a sender.
	from, moreDiags := eval(m.From, ctx, cty.DynamicPseudoType)
	diags = append(diags, moreDiags...)
	if !moreDiags.HasErrors() {
		from, _ = from.UnmarkDeep()
		switch {
		case !from.IsWhollyKnown():
			// Its sender failed to evaluate; that was reported there.
		case from.IsNull() || !from.Type().Equals(senderType) || senders[from.GetAttr("name").AsString()] == nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid from",
				Detail: "The from argument takes a sender block, " + refSyntax(m.From, "sender.NAME") + "; this is " + describe(from) + ".", Subject: m.From.Range().Ptr(),
			})
		default:
			snd = senders[from.GetAttr("name").AsString()]
		}
	}

	// to: recipients blocks and numbers.
	inst.Recipients, moreDiags = s.evalTo(m.To, ctx)
	diags = append(diags, moreDiags...)

	// Content.
	if m.Body != nil {
		body, sensitive, ok, moreDiags := evalString(m.Body, ctx)
		diags = append(diags, moreDiags...)
		if !ok && !moreDiags.HasErrors() && isNull(m.Body, ctx) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Missing body", Detail: "The body of a text message cannot be null.", Subject: m.Body.Range().Ptr(),
			})
		}
		if ok {
			diags = append(diags, ruleDiag(rules.CheckBody(body), rules.FieldBody, sensitive, m.Body.Range())...)
		}
		inst.Content = delivery.Content{Type: delivery.Text, Body: body}
		inst.Sensitive = sensitive
	} else if m.Media != nil {
		content, sensitive, moreDiags := evalMediaContent(m, ctx)
		diags = append(diags, moreDiags...)
		inst.Content, inst.Sensitive = content, sensitive
	} else {
		content, sensitive, moreDiags := evalTemplateContent(m, ctx)
		diags = append(diags, moreDiags...)
		inst.Content, inst.Sensitive = content, sensitive
	}

	// Key fields and callback. A key field that is unknown stands in for
	// an error reported where it failed (a missing variable, a wrong
	// reference): the instance has no key then, and is left out of the
	// checks that compare keys rather than reported as a duplicate of
	// every other instance whose key is unknown too.
	unknownKey := false
	keyField := func(name string, expr hcl.Expression, dst *string, required bool) {
		v, sensitive, ok, moreDiags := evalString(expr, ctx)
		diags = append(diags, moreDiags...)
		if !ok && !moreDiags.HasErrors() && isUnknown(expr, ctx) {
			unknownKey = true
			return
		}
		if sensitive {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Sensitive value in " + name,
				Detail:   "The " + name + " derives from a sensitive variable, but it is part of the delivery's key: it is sent to Kaleyra, recorded in the state and shown in plans as it is.",
				Subject:  expr.Range().Ptr(),
			})
		}
		if !ok {
			if required && !moreDiags.HasErrors() && isNull(expr, ctx) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Missing ref",
					Detail: "Every message needs a ref: with the sender and recipient it identifies a delivery, so that it is sent once.", Subject: expr.Range().Ptr(),
				})
			}
			return
		}
		if required && v == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Empty ref",
				Detail: "The ref identifies the delivery with the sender and recipient; it cannot be empty.", Subject: expr.Range().Ptr(),
			})
		}
		diags = append(diags, ruleDiag(rules.CheckRef(name, v), name, sensitive, expr.Range())...)
		diags = append(diags, ruleDiag(rules.CheckNoHTML(name, v), name, sensitive, expr.Range())...)
		*dst = v
	}
	keyField("ref", m.Ref, &inst.Ref, true)
	keyField("ref1", m.Ref1, &inst.Ref1, false)
	keyField("ref2", m.Ref2, &inst.Ref2, false)
	if cb, sensitive, ok, moreDiags := evalString(m.CallbackURL, ctx); ok {
		diags = append(diags, ruleDiag(rules.CheckCallbackURL(cb), rules.FieldCallbackURL, sensitive, m.CallbackURL.Range())...)
		diags = append(diags, ruleDiag(rules.CheckNoHTML(rules.FieldCallbackURL, cb), rules.FieldCallbackURL, sensitive, m.CallbackURL.Range())...)
		inst.CallbackURL = cb
	} else {
		diags = append(diags, moreDiags...)
	}

	if diags.HasErrors() || snd == nil || unknownKey {
		return nil, diags
	}
	inst.Provider, inst.SenderName = snd.provider, snd.name
	inst.Channel, inst.Sender = snd.channel, snd.number
	if !inst.Sensitive {
		// A sensitive instance's digest is keyed with the ledger's secret,
		// which only the state backend has: see delivery.Instance.KeyDigest.
		inst.Digest = inst.Content.Digest()
	}
	return inst, diags
}

// evalTemplateContent evaluates a template message's template and params.
func evalTemplateContent(m *configs.Message, ctx *hcl.EvalContext) (delivery.Content, bool, hcl.Diagnostics) {
	content := delivery.Content{Type: delivery.Template}
	tmpl, diags := eval(m.Template, ctx, cty.DynamicPseudoType)
	if diags.HasErrors() {
		return content, false, diags
	}
	sensitive := tmpl.ContainsMarked()
	tmpl, _ = tmpl.UnmarkDeep()
	if !tmpl.IsWhollyKnown() {
		return content, false, diags // the template block's own errors were reported
	}
	if tmpl.IsNull() || !tmpl.Type().Equals(templateType) {
		return content, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid template",
			Detail: "The template argument takes a template block, " + refSyntax(m.Template, "template.NAME") + ".", Subject: m.Template.Range().Ptr(),
		})
	}
	content.TemplateName = tmpl.GetAttr("name").AsString()
	if l := tmpl.GetAttr("language"); !l.IsNull() {
		content.Language = l.AsString()
	}
	richSensitive, richDiags := evalTemplateRich(m, ctx, tmpl, &content)
	diags = append(diags, richDiags...)
	sensitive = sensitive || richSensitive
	var declared []string
	for it := tmpl.GetAttr("params").ElementIterator(); it.Next(); {
		_, v := it.Element()
		declared = append(declared, v.AsString())
	}

	given := map[string]string{}
	paramsRange := m.Template.Range()
	if m.Params != nil {
		paramsRange = m.Params.Range()
		params, moreDiags := eval(m.Params, ctx, cty.Map(cty.String))
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() || !params.IsWhollyKnown() {
			return content, false, diags
		}
		if params.ContainsMarked() {
			sensitive = true
		}
		params, _ = params.UnmarkDeep()
		if !params.IsNull() {
			for it := params.ElementIterator(); it.Next(); {
				k, v := it.Element()
				if v.IsNull() {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError, Summary: "Null template parameter",
						Detail: "The parameter " + strconv.Quote(k.AsString()) + " is null; every parameter needs a value.", Subject: paramsRange.Ptr(),
					})
					continue
				}
				given[k.AsString()] = v.AsString()
				diags = append(diags, ruleDiag(rules.CheckNoHTML(rules.FieldParams, v.AsString()), "parameter "+k.AsString(), sensitive, itemRange(m.Params, k.AsString()))...)
			}
		}
	}
	var missing, extra []string
	declaredSet := map[string]bool{}
	for _, p := range declared {
		declaredSet[p] = true
		if _, ok := given[p]; !ok {
			missing = append(missing, p)
		}
	}
	for p := range given {
		if !declaredSet[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		detail := "The params must name exactly the parameters of template \"" + content.TemplateName + "\""
		if len(declared) == 0 {
			detail += ", which declares none."
		} else {
			detail += ": " + quoteList(declared) + "."
		}
		if len(missing) > 0 {
			detail += " Missing: " + quoteList(missing) + "."
		}
		if len(extra) > 0 {
			detail += " Not declared by the template: " + quoteList(extra) + "."
		}
		return content, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Wrong template parameters", Detail: detail, Subject: paramsRange.Ptr(),
		})
	}
	for _, p := range declared {
		content.Params = append(content.Params, delivery.Param{Name: p, Value: given[p]})
	}
	return content, sensitive, diags
}

// evalTo evaluates a message's to: recipients blocks, numbers and lists of
// either, nested as deep as they come. Every number must be valid and
// appear once.
func (s *scope) evalTo(expr hcl.Expression, ctx *hcl.EvalContext) ([]string, hcl.Diagnostics) {
	// A to that names one recipients block takes its numbers, checked
	// there already, without evaluating anything.
	if trav, diags := hcl.AbsTraversalForExpr(expr); !diags.HasErrors() && len(trav) == 2 {
		if name, ok := refName(trav, refRecipients); ok {
			if nums, ok := s.recipientNumbers[name]; ok {
				return nums, nil
			}
		}
	}

	val, diags := eval(expr, ctx, cty.DynamicPseudoType)
	if diags.HasErrors() {
		return nil, diags
	}
	if val.ContainsMarked() {
		val, _ = val.UnmarkDeep()
	}
	if !val.IsWhollyKnown() {
		return nil, diags
	}

	var nums []string
	// top[i] is the index, in a literal list, of the element nums[i] came
	// from, for pointing diagnostics at it.
	var top []int
	var problem string
	problemAt := -1 // the literal list's element the problem is in
	var walk func(v cty.Value, k int)
	walk = func(v cty.Value, k int) {
		if problem != "" {
			return
		}
		problemAt = k
		ty := v.Type()
		switch {
		case v.IsNull():
			problem = "The to list holds a null; it takes recipients blocks (recipients.NAME) and E.164 number strings."
		case ty == cty.String:
			nums = append(nums, v.AsString())
			top = append(top, k)
		case ty.IsObjectType() && ty.HasAttribute("numbers"):
			walk(v.GetAttr("numbers"), k)
		case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				walk(e, k)
			}
		default:
			problem = "The to list holds " + describe(v) + "; it takes recipients blocks (recipients.NAME) and E.164 number strings."
		}
	}
	ty := val.Type()
	topLen := 0 // elements of the top-level list, 0 when to is not one
	if !val.IsNull() && (ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		topLen = val.LengthInt()
		k := 0
		for it := val.ElementIterator(); it.Next(); k++ {
			_, e := it.Element()
			walk(e, k)
		}
	} else {
		walk(val, -1)
	}
	if problem != "" {
		rng := expr.Range()
		if problemAt >= 0 {
			rng = elementRange(expr, problemAt, topLen)
		}
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid recipient", Detail: problem, Subject: &rng})
	}
	if len(nums) == 0 {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No recipients",
			Detail: "The message's to list is empty, so the message would go to no one.", Subject: expr.Range().Ptr(),
		})
	}

	rangeOf := func(i int) hcl.Range {
		if top[i] < 0 || !(ty.IsTupleType() || ty.IsListType()) {
			return expr.Range()
		}
		return elementRange(expr, top[i], topLen)
	}
	s.numbers.prime(nums)
	seen := make(map[string]bool, len(nums))
	bad := badNumbers{expr: expr}
	dups := dupNumbers{expr: expr}
	for i, n := range nums {
		if p := s.numbers.problem(n); p != nil {
			diags = append(diags, bad.report(p, func() hcl.Range { return rangeOf(i) })...)
			continue
		}
		if seen[n] {
			diags = append(diags, dups.report(func() *hcl.Diagnostic {
				return &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate recipient",
					Detail:   "The number " + n + " appears more than once among the message's recipients; each recipient gets a message once. To drop repeats, wrap the list in distinct(...), as to = distinct(concat(recipients.a.numbers, recipients.b.numbers)).",
					Subject:  rangeOf(i).Ptr(),
					Extra:    valueExtra{n},
				}
			})...)
			continue
		}
		seen[n] = true
	}
	diags = append(diags, bad.summary()...)
	return nums, append(diags, dups.summary()...)
}

// checkDependsOnCycles reports a loop of depends_on between messages.
func checkDependsOnCycles(msgs []*configs.Message) hcl.Diagnostics {
	var names []string
	edges := map[string][]string{}
	ranges := map[[2]string]hcl.Range{}
	for _, m := range msgs {
		names = append(names, m.Name)
		for _, trav := range m.DependsOn {
			if dep, ok := refName(trav, refMessage); ok && len(trav) == 2 {
				edges[m.Name] = append(edges[m.Name], dep)
				ranges[[2]string{m.Name, dep}] = trav.SourceRange()
			}
		}
	}
	cycle := findCycle(names, edges)
	if cycle == nil {
		return nil
	}
	rng := ranges[[2]string{cycle[0], cycle[1]}]
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Cycle in depends_on",
		Detail:   "These messages wait for each other, so none could ever be sent: " + cyclePath("message.", cycle) + ".",
		Subject:  &rng,
	}}
}

// checkDuplicateKeys reports two deliveries with the same key. Within one
// instance recipients are distinct already, so only instances sharing
// channel, sender and ref fields need their recipients compared.
func checkDuplicateKeys(insts []*instance) hcl.Diagnostics {
	type group struct {
		channel, sender, ref, ref1, ref2 string
	}
	firsts := map[group][]int{}
	byNumber := map[group]map[string]int{}
	var diags hcl.Diagnostics
	for i, inst := range insts {
		g := group{inst.Channel, inst.Sender, inst.Ref, inst.Ref1, inst.Ref2}
		prev := firsts[g]
		firsts[g] = append(prev, i)
		if len(prev) == 0 {
			continue
		}
		owners := byNumber[g]
		if owners == nil {
			owners = map[string]int{}
			for _, n := range insts[prev[0]].Recipients {
				owners[n] = prev[0]
			}
			byNumber[g] = owners
		}
		reported := false
		for _, n := range inst.Recipients {
			if j, dup := owners[n]; dup && !reported {
				other := insts[j]
				key := inst.Key(n)
				advice := "give one of them a different ref, ref1 or ref2."
				if inst.Address.Message == other.Address.Message {
					// Two instances of one for_each block: one ref fits all.
					advice = "use each.key in ref, ref1 or ref2 so that each instance has its own."
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate delivery key",
					Detail: inst.Address.String() + " and " + other.Address.String() + " (its ref at " + other.refRange.String() + ") both deliver " + key.String() +
						". A key identifies one delivery, so the second would never be sent; " + advice,
					Subject: inst.refRange.Ptr(),
				})
				reported = true
				continue
			}
			owners[n] = i
		}
	}
	return diags
}

// isNull reports whether expr evaluates to null (and not to an unknown
// value standing in for an argument already reported).
func isNull(expr hcl.Expression, ctx *hcl.EvalContext) bool {
	v, diags := expr.Value(ctx)
	return !diags.HasErrors() && v.IsKnown() && v.IsNull()
}

// isUnknown reports whether expr evaluates, without error, to a value not
// wholly known: one that stands in for an argument already reported.
func isUnknown(expr hcl.Expression, ctx *hcl.EvalContext) bool {
	if expr == nil {
		return false
	}
	v, diags := expr.Value(ctx)
	return !diags.HasErrors() && !v.IsWhollyKnown()
}

func errorsOnly(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}
