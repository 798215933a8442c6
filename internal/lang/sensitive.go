package lang

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/heraldhq/herald/internal/configs"
)

// Secrets are kept from diagnostics with go-cty's marks, as Terraform keeps
// sensitive values: a sensitive variable's value carries sensitiveMark, and
// so does every env() result that holds a credential. Operators and
// functions carry the mark to what they compute, and HCL's diagnostic
// writer shows no marked value. What is left is the functions' own error
// messages, which quote their arguments ("cannot convert "..." to number"):
// withholdSensitive rewords those.

// secretEnvNames are environment variables that hold credentials whatever
// the configuration does with them: Kaleyra's key, and the PostgreSQL
// connection string and password.
var secretEnvNames = []string{"KALEYRA_API_KEY", "HERALD_PG_CONN_STR", "PG_CONN_STR", "PGPASSWORD"}

// credentialEnvNames finds the environment variables the configuration's
// credentials read: every env("NAME") in a provider's api_key, directly or
// through the locals it refers to. Their env() results are marked wherever
// they are read, so that tonumber(env("KEY")) in a local cannot print the
// key either. Only native-syntax expressions are searched; JSON
// configuration files rely on secretEnvNames.
func credentialEnvNames(cfg *configs.Config) map[string]bool {
	names := map[string]bool{}
	for _, n := range secretEnvNames {
		names[n] = true
	}
	locals := make(map[string]hcl.Expression, len(cfg.Locals))
	for _, l := range cfg.Locals {
		locals[l.Name] = l.Expr
	}
	seen := map[string]bool{}
	var walk func(expr hcl.Expression)
	walk = func(expr hcl.Expression) {
		node, ok := expr.(hclsyntax.Node)
		if !ok {
			return
		}
		hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
			switch n := n.(type) {
			case *hclsyntax.FunctionCallExpr:
				if n.Name != "env" || len(n.Args) == 0 || len(n.Args[0].Variables()) > 0 {
					break
				}
				if v, diags := n.Args[0].Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
					names[v.AsString()] = true
				}
			case *hclsyntax.ScopeTraversalExpr:
				if n.Traversal.RootName() != refLocal || len(n.Traversal) < 2 {
					break
				}
				if attr, ok := n.Traversal[1].(hcl.TraverseAttr); ok && !seen[attr.Name] {
					seen[attr.Name] = true
					if e, ok := locals[attr.Name]; ok {
						walk(e)
					}
				}
			}
			return nil
		})
	}
	for _, p := range cfg.Providers {
		if a, ok := p.Attrs[configs.ProviderAPIKey]; ok {
			walk(a.Expr)
		}
	}
	return names
}

// withholdSensitive wraps f so that when any argument is sensitive, its
// error does not quote it: the message says the value is sensitive and
// keeps the argument it blames, so the diagnostic still points at it. The
// wrapped function receives the marks itself and calls f, which unmarks
// its arguments and marks its result as before.
func withholdSensitive(f function.Function) function.Function {
	params := f.Params()
	for i := range params {
		params[i].AllowMarked = true
	}
	var varParam *function.Parameter
	if vp := f.VarParam(); vp != nil {
		p := *vp
		p.AllowMarked = true
		varParam = &p
	}
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      params,
		VarParam:    varParam,
		Type: func(args []cty.Value) (cty.Type, error) {
			ty, err := f.ReturnTypeForValues(args)
			return ty, withheld(args, err)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := f.Call(args)
			return v, withheld(args, err)
		},
	})
}

// withheld is err, reworded when any of args is sensitive.
func withheld(args []cty.Value, err error) error {
	if err == nil {
		return nil
	}
	sensitive := false
	for _, a := range args {
		if a.ContainsMarked() {
			sensitive = true
		}
	}
	if !sensitive {
		return err
	}
	const why = "the value is sensitive, so why it was refused is not shown; check the variable or environment variable it comes from"
	var argErr function.ArgError
	if errors.As(err, &argErr) {
		return function.NewArgErrorf(argErr.Index, "%s", why)
	}
	// env's own error names the variable, never its value.
	var unset envUnsetError
	if errors.As(err, &unset) {
		return err
	}
	return errors.New("a sensitive value was refused; it is not shown. Check the variable or environment variable it comes from")
}
