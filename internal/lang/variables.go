package lang

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/heraldhq/herald/internal/configs"
)

// Files of variable values loaded automatically, and the environment prefix.
const (
	varsFileName       = "herald.vars.hcl"
	autoVarsFileSuffix = ".auto.vars.hcl"
	envVarPrefix       = "HERALD_VAR_"
)

// rawValue is one value given for a variable, before conversion to its type.
type rawValue struct {
	val cty.Value
	// rng is where the value was written; for -var and the environment,
	// which have no file, the variable's declaration.
	rng hcl.Range
	// source names where the value came from, for messages.
	source string
}

// variableValues gathers the value of every declared variable, lowest
// precedence first: default, HERALD_VAR_name, herald.vars.hcl,
// *.auto.vars.hcl in lexical order, then -var and -var-file in command-line
// order. Later values win.
func variableValues(p *configs.Parser, decls []*configs.Variable, opts Options) (map[string]rawValue, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	byName := map[string]*configs.Variable{}
	vals := map[string]rawValue{}
	for _, v := range decls {
		byName[v.Name] = v
		if !v.Required() {
			vals[v.Name] = rawValue{val: v.Default, rng: v.DefaultRange, source: "its default"}
		}
	}

	for _, v := range decls {
		raw, ok := opts.LookupEnv(envVarPrefix + v.Name)
		if !ok {
			continue
		}
		val, moreDiags := parseRawValue(v, raw, envVarPrefix+v.Name)
		diags = append(diags, moreDiags...)
		vals[v.Name] = rawValue{val: val, rng: v.DeclRange, source: "the environment variable " + envVarPrefix + v.Name}
	}

	files := []string{}
	if _, err := os.Stat(filepath.Join(p.Dir(), varsFileName)); err == nil {
		files = append(files, varsFileName)
	}
	autos, _ := filepath.Glob(filepath.Join(p.Dir(), "*"+autoVarsFileSuffix))
	sort.Strings(autos)
	for _, a := range autos {
		files = append(files, filepath.Base(a))
	}
	for _, name := range files {
		diags = append(diags, readVarsFile(p, name, byName, vals, false)...)
	}

	for _, arg := range opts.Args {
		if arg.File {
			diags = append(diags, readVarsFile(p, arg.Value, byName, vals, true)...)
			continue
		}
		name, raw, ok := strings.Cut(arg.Value, "=")
		if !ok || name == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -var option",
				Detail:   "The -var option takes NAME=VALUE, as -var 'release=v1.2.3'; \"" + arg.Value + "\" has no \"=\".",
			})
			continue
		}
		v, declared := byName[name]
		if !declared {
			diags = append(diags, undeclaredDiag(name, byName, nil, hcl.DiagError, "-var"))
			continue
		}
		val, moreDiags := parseRawValue(v, raw, "-var "+name)
		diags = append(diags, moreDiags...)
		vals[name] = rawValue{val: val, rng: v.DeclRange, source: "the -var option"}
	}
	return vals, diags
}

// parseRawValue reads a value given as text (environment, -var): raw text
// for a string variable or one without a type, as Terraform does, otherwise
// an HCL expression. A value that does not parse is unknown, so that it
// still overrides the default (validations of the default would mislead)
// and what uses it is skipped quietly.
func parseRawValue(v *configs.Variable, raw, source string) (cty.Value, hcl.Diagnostics) {
	if v.Type == cty.String || !v.TypeSet {
		return cty.StringVal(raw), nil
	}
	diags := configs.CheckNesting([]byte(raw), source, hcl.InitialPos, configs.NestingExpression)
	var expr hclsyntax.Expression
	if !diags.HasErrors() {
		expr, diags = hclsyntax.ParseExpression([]byte(raw), source, hcl.InitialPos)
	}
	if diags.HasErrors() {
		return cty.DynamicVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   "The value of " + source + " for var." + v.Name + " is not a valid HCL expression: " + diags[0].Summary + ". Quote a string value, as \"text\".",
			Subject:  v.DeclRange.Ptr(),
		}}
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.DynamicVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   "The value of " + source + " for var." + v.Name + " cannot be evaluated: " + diags[0].Detail + " A variable of type " + typeString(v.Type) + " takes its value written in HCL, with strings in quotes, as [\"a\", \"b\"] for a list.",
			Subject:  v.DeclRange.Ptr(),
		}}
	}
	return val, nil
}

// readVarsFile applies a variables file: attributes NAME = VALUE, in HCL or,
// for names ending .json, JSON. Undeclared names are errors in files named
// on the command line and warnings in files loaded automatically.
func readVarsFile(p *configs.Parser, name string, byName map[string]*configs.Variable, vals map[string]rawValue, explicit bool) hcl.Diagnostics {
	f, diags := p.ParseFile(name)
	if f == nil || diags.HasErrors() {
		return diags
	}
	attrs, moreDiags := f.Body.JustAttributes()
	diags = append(diags, moreDiags...)
	list := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Range.Start.Byte < list[j].Range.Start.Byte })
	for _, a := range list {
		if _, declared := byName[a.Name]; !declared {
			sev := hcl.DiagWarning
			if explicit {
				sev = hcl.DiagError
			}
			diags = append(diags, undeclaredDiag(a.Name, byName, a.NameRange.Ptr(), sev, name))
			continue
		}
		val, moreDiags := a.Expr.Value(nil)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			continue
		}
		vals[a.Name] = rawValue{val: val, rng: a.Expr.Range(), source: name}
	}
	return diags
}

func undeclaredDiag(name string, byName map[string]*configs.Variable, subject *hcl.Range, sev hcl.DiagnosticSeverity, source string) *hcl.Diagnostic {
	detail := "A value for \"" + name + "\" was given in " + source + ", but no variable block declares it."
	if sug := suggest(name, sortedKeys(byName)); sug != "" {
		detail += " Did you mean \"" + sug + "\"?"
	}
	return &hcl.Diagnostic{Severity: sev, Summary: "Value for undeclared variable", Detail: detail, Subject: subject}
}

// finalVariables converts each variable's winning value to its type and
// marks sensitive ones. A required variable without a value is an error on
// its block.
func finalVariables(decls []*configs.Variable, raws map[string]rawValue) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]cty.Value{}
	for _, v := range decls {
		raw, ok := raws[v.Name]
		if ok && raw.val.IsNull() && !v.Required() {
			// A null value means "unset", as in Terraform.
			raw = rawValue{val: v.Default, rng: v.DefaultRange, source: "its default"}
		}
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail:   "The variable \"" + v.Name + "\" has no default, so it needs a value: -var '" + v.Name + "=...', a variables file, or the environment variable " + envVarPrefix + v.Name + ".",
				Subject:  v.DeclRange.Ptr(),
			})
			out[v.Name] = cty.UnknownVal(v.Type)
			continue
		}
		val := raw.val
		if v.TypeDefaults != nil {
			val = v.TypeDefaults.Apply(val)
		}
		converted, err := convert.Convert(val, v.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   "The value for var." + v.Name + " from " + raw.source + " does not match its type " + typeString(v.Type) + ": " + err.Error() + ".",
				Subject:  raw.rng.Ptr(),
			})
			out[v.Name] = cty.UnknownVal(v.Type)
			continue
		}
		if v.Sensitive {
			converted = converted.Mark(sensitiveMark)
		}
		out[v.Name] = converted
	}
	return out, diags
}

func typeString(t cty.Type) string {
	if t == cty.DynamicPseudoType {
		return "any"
	}
	return t.FriendlyName()
}

// checkValidations evaluates each validation block of each variable.
func (s *scope) checkValidations(decls []*configs.Variable) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, v := range decls {
		for _, rule := range v.Validations {
			refDiags := s.checkRefs(rule.Condition, refs(refVar), "a validation condition")
			refDiags = append(refDiags, s.checkRefs(rule.ErrorMessage, refs(refVar), "a validation error_message")...)
			diags = append(diags, refDiags...)
			if refDiags.HasErrors() {
				continue
			}
			ok, moreDiags := eval(rule.Condition, s.ctx, cty.Bool)
			diags = append(diags, moreDiags...)
			if moreDiags.HasErrors() || !ok.IsKnown() {
				continue
			}
			ok, _ = ok.Unmark()
			if ok.IsNull() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid validation result",
					Detail:   "The condition evaluated to null; a condition must be true or false.",
					Subject:  rule.Condition.Range().Ptr(),
				})
				continue
			}
			if ok.True() {
				continue
			}
			msg, moreDiags := eval(rule.ErrorMessage, s.ctx, cty.String)
			diags = append(diags, moreDiags...)
			detail := "The value of var." + v.Name + " failed this validation rule."
			if !moreDiags.HasErrors() && msg.IsKnown() {
				if m, marks := msg.Unmark(); len(marks) == 0 && !m.IsNull() {
					detail = m.AsString()
				}
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity:    hcl.DiagError,
				Summary:     "Invalid value for variable",
				Detail:      detail + "\n\nThis was checked by the validation rule at " + rule.DeclRange.String() + ".",
				Subject:     rule.Condition.Range().Ptr(),
				Expression:  rule.Condition,
				EvalContext: s.ctx,
			})
		}
	}
	return diags
}
