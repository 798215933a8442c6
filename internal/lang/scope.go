package lang

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/configs"
)

// Root names of references.
const (
	refVar        = "var"
	refLocal      = "local"
	refSender     = "sender"
	refRecipients = "recipients"
	refTemplate   = "template"
	refEach       = "each"
	refMessage    = "message"
)

var rootNames = []string{refEach, refLocal, refMessage, refRecipients, refSender, refTemplate, refVar}

// sensitiveMark marks values derived from a sensitive variable; cty carries
// it through operators and functions.
const sensitiveMark = "sensitive"

// refSet is the set of reference roots an expression may use.
type refSet map[string]bool

func refs(roots ...string) refSet {
	s := refSet{}
	for _, r := range roots {
		s[r] = true
	}
	return s
}

// scope holds what has been evaluated so far and the context expressions
// are evaluated in. Blocks are evaluated in layers (variables, locals, then
// providers, senders, recipients and templates, then messages), and each
// layer's expressions may refer only to the layers before it; locals may
// also refer to each other, and are evaluated in dependency order.
type scope struct {
	dir       string
	lookupEnv func(string) (string, bool)
	ctx       *hcl.EvalContext
	// names lists the declared names for each reference root, for checking
	// references and suggesting near names.
	names   map[string]map[string]bool
	numbers *numberChecker
	// recipientNumbers holds each valid recipients block's numbers, so
	// that a message sent to recipients.NAME needs no second look at them.
	recipientNumbers map[string][]string
	// fileCache keeps file() contents so a file read by many expressions is
	// read once per Load.
	fileCache map[string]string
	// credentialEnv names the environment variables whose env() results
	// are sensitive; see credentialEnvNames.
	credentialEnv map[string]bool
	// credentials holds, by provider address, why a provider's api_key
	// cannot be used to send; see Result.Credentials.
	credentials map[string]hcl.Diagnostics
}

func newScope(dir string, lookupEnv func(string) (string, bool)) *scope {
	s := &scope{
		dir:              dir,
		lookupEnv:        lookupEnv,
		names:            map[string]map[string]bool{},
		numbers:          newNumberChecker(),
		recipientNumbers: map[string][]string{},
		fileCache:        map[string]string{},
		credentials:      map[string]hcl.Diagnostics{},
	}
	for _, r := range rootNames {
		s.names[r] = map[string]bool{}
	}
	s.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{},
		Functions: s.functions(),
	}
	return s
}

// declare records a name that references may use.
func (s *scope) declare(root, name string) { s.names[root][name] = true }

// set publishes a layer's values under its root name.
func (s *scope) set(root string, vals map[string]cty.Value) {
	s.ctx.Variables[root] = cty.ObjectVal(vals)
}

// checkRefs reports every reference in expr that names something unknown,
// something not declared, or a kind of thing not allowed where expr is.
// where describes the place for messages, e.g. "a locals block".
func (s *scope) checkRefs(expr hcl.Expression, allowed refSet, where string) hcl.Diagnostics {
	if expr == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, trav := range expr.Variables() {
		diags = append(diags, s.checkRef(trav, allowed, where)...)
	}
	return diags
}

func (s *scope) checkRef(trav hcl.Traversal, allowed refSet, where string) hcl.Diagnostics {
	root := trav.RootName()
	rng := trav.SourceRange()
	if _, known := s.names[root]; !known {
		detail := "There is nothing named \"" + root + "\" to refer to. References start with var, local, sender, recipients, template or, in a for_each message, each."
		if sug := suggest(root, rootNames); sug != "" {
			detail += " Did you mean " + sug + "?"
		}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown reference", Detail: detail, Subject: &rng}}
	}
	if !allowed[root] {
		detail := "A reference to " + root + " is not allowed in " + where + "."
		switch root {
		case refEach:
			detail = "each.key and each.value exist only in a message block that sets for_each."
		case refMessage:
			detail = "A message can only be referenced in another message's depends_on list."
		}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: detail, Subject: &rng}}
	}
	if root == refEach {
		if len(trav) >= 2 {
			if a, ok := trav[1].(hcl.TraverseAttr); ok && (a.Name == "key" || a.Name == "value") {
				return nil
			}
		}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: "The each object has two attributes: each.key and each.value.", Subject: &rng}}
	}
	if len(trav) < 2 {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: "A reference to " + root + " must name one, as " + root + ".NAME.", Subject: &rng}}
	}
	a, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: "A reference to " + root + " must name one with a dot, as " + root + ".NAME.", Subject: &rng}}
	}
	if s.names[root][a.Name] {
		return checkBlockAttr(trav, root)
	}
	detail := "There is no " + kindName(root) + " named \"" + a.Name + "\"."
	if sug := suggest(a.Name, sortedKeys(s.names[root])); sug != "" {
		detail += " Did you mean " + root + "." + sug + "?"
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reference to undeclared " + kindName(root), Detail: detail, Subject: &rng}}
}

// refName returns NAME when trav starts root.NAME; what follows NAME, if
// anything, is the caller's to check.
func refName(trav hcl.Traversal, root string) (string, bool) {
	if trav.RootName() != root || len(trav) < 2 {
		return "", false
	}
	a, ok := trav[1].(hcl.TraverseAttr)
	return a.Name, ok
}

// checkBlockAttr checks the attribute a reference to a sender, recipients
// or template block reads, as sender.ops.number: HCL's own error would only
// say that "this object" lacks it.
func checkBlockAttr(trav hcl.Traversal, root string) hcl.Diagnostics {
	var ty cty.Type
	switch root {
	case refSender:
		ty = senderType
	case refRecipients:
		ty = recipientsType
	case refTemplate:
		ty = templateType
	default:
		return nil
	}
	if len(trav) < 3 {
		return nil
	}
	attr, ok := trav[2].(hcl.TraverseAttr)
	if !ok || ty.HasAttribute(attr.Name) {
		return nil
	}
	names := sortedKeys(ty.AttributeTypes())
	detail := "A " + kindName(root) + " has the attributes " + quoteList(names) + ", and no \"" + attr.Name + "\"."
	if sug := suggest(attr.Name, names); sug != "" {
		detail += " Did you mean " + root + "." + trav[1].(hcl.TraverseAttr).Name + "." + sug + "?"
	}
	rng := attr.SrcRange
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported attribute", Detail: detail, Subject: &rng}}
}

// refSyntax says how to write a reference where expr is: bare in HCL,
// interpolated in a string in JSON.
func refSyntax(expr hcl.Expression, ref string) string {
	if configs.InJSON(expr.Range()) {
		return "written in JSON as \"${" + ref + "}\""
	}
	return "written without quotes: " + ref
}

func kindName(root string) string {
	switch root {
	case refVar:
		return "input variable"
	case refLocal:
		return "local value"
	case refRecipients:
		return "recipients block"
	default:
		return root
	}
}

// eval evaluates expr in ctx and converts the result to want
// (cty.DynamicPseudoType for any). References must have been checked. On
// failure the value is unknown, so that later steps skip it quietly.
func eval(expr hcl.Expression, ctx *hcl.EvalContext, want cty.Type) (cty.Value, hcl.Diagnostics) {
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.UnknownVal(want), diags
	}
	if want == cty.DynamicPseudoType {
		return val, diags
	}
	converted, err := convert.Convert(val, want)
	if err != nil {
		return cty.UnknownVal(want), append(diags, &hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Incorrect value type",
			Detail:      "This argument takes " + want.FriendlyName() + ": " + err.Error() + ".",
			Subject:     expr.Range().Ptr(),
			Expression:  expr,
			EvalContext: ctx,
		})
	}
	return converted, diags
}

// suggest returns the option nearest to given, or "" when none is near.
func suggest(given string, options []string) string { return addrs.Suggest(given, options) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quoteList renders names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
