package lang

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/configs"
)

// Backend is an evaluated backend "pg" block.
type Backend struct {
	Type string
	// ConnStr is conn_str, else the PG_CONN_STR environment variable, else
	// empty (libpq's PG* variables alone). It may hold a password: it is
	// never shown, logged or saved.
	ConnStr string
	// ConnStrDiags is why conn_str could not be evaluated (it read an
	// unset environment variable, say). Only connecting needs it, so
	// validate passes without it; the commands that connect report it.
	ConnStrDiags hcl.Diagnostics
	SchemaName   string
	StateName    string
	DeclRange    hcl.Range
}

// StateSettings is where the configuration keeps its state: Backend when
// it has a backend block, else the file Path (relative to the
// configuration folder).
type StateSettings struct {
	Path    string
	Backend *Backend
}

var sqlName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// evalBackend evaluates b. Its attributes may call env() but refer to no
// variables: the state commands read it without evaluating the rest.
func evalBackend(dir string, b *configs.Backend, lookupEnv func(string) (string, bool)) (*Backend, hcl.Diagnostics) {
	ctx := newScope(dir, lookupEnv).ctx
	out := &Backend{Type: b.Type, SchemaName: "herald", StateName: "default", DeclRange: b.DeclRange}
	var diags hcl.Diagnostics
	str := func(expr hcl.Expression, name, example string) (string, bool) {
		if expr == nil {
			return "", false
		}
		v, moreDiags := expr.Value(ctx)
		if moreDiags.HasErrors() {
			diags = append(diags, moreDiags...)
			return "", false
		}
		v, _ = v.Unmark()
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid " + name,
				Detail:   "The backend's " + name + " must be a string, as " + example + ".",
				Subject:  expr.Range().Ptr(),
			})
			return "", false
		}
		return v.AsString(), true
	}
	before := len(diags)
	s, ok := str(b.ConnStr, "conn_str", `env("HERALD_PG_CONN_STR")`)
	out.ConnStr = s
	if len(diags) > before {
		out.ConnStrDiags = diags[before:]
		explainEnvUnset(out.ConnStrDiags)
		diags = diags[:before]
	}
	if !ok && out.ConnStrDiags == nil {
		out.ConnStr, _ = lookupEnv("PG_CONN_STR")
	}
	for _, f := range []struct {
		expr hcl.Expression
		name string
		dst  *string
	}{
		{b.SchemaName, "schema_name", &out.SchemaName},
		{b.StateName, "state_name", &out.StateName},
	} {
		s, ok := str(f.expr, f.name, `"herald"`)
		if !ok {
			continue
		}
		if f.name == "schema_name" && !sqlName.MatchString(s) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid schema_name",
				Detail:   "The schema_name must be a plain lower-case SQL name: a letter or _, then letters, digits or _, at most 63 in all, as \"herald\".",
				Subject:  f.expr.Range().Ptr(),
			})
			continue
		}
		if s == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid " + f.name,
				Detail:   "The " + f.name + " must not be empty.",
				Subject:  f.expr.Range().Ptr(),
			})
			continue
		}
		*f.dst = s
	}
	return out, diags
}

// ReadStateSettings reads only the herald block of the configuration in
// dir, for commands that need the state but not the whole evaluated
// configuration.
func ReadStateSettings(dir string, lookupEnv func(string) (string, bool)) (StateSettings, hcl.Diagnostics) {
	parser := configs.NewParser(dir)
	// Errors elsewhere in the configuration are not this caller's business;
	// only a broken herald block is.
	cfg, _ := parser.LoadConfig()
	return stateSettings(dir, cfg, lookupEnv)
}

func stateSettings(dir string, cfg *configs.Config, lookupEnv func(string) (string, bool)) (StateSettings, hcl.Diagnostics) {
	out := StateSettings{Path: DefaultStatePath}
	if cfg == nil || cfg.Herald == nil {
		return out, nil
	}
	var diags hcl.Diagnostics
	if cfg.Herald.StatePath != nil {
		path, moreDiags := statePath(cfg.Herald.StatePath)
		diags = append(diags, moreDiags...)
		if path != "" {
			out.Path = path
		}
	}
	if cfg.Herald.Backend != nil {
		b, moreDiags := evalBackend(dir, cfg.Herald.Backend, lookupEnv)
		diags = append(diags, moreDiags...)
		out.Backend = b
		if cfg.Herald.StatePath != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Conflicting state settings",
				Detail:   "state_path names a local state file, and the backend block keeps the state in PostgreSQL; a configuration has one state. Remove one of them (to move a local state into the backend, run herald state push FILE).",
				Subject:  cfg.Herald.StatePath.Range().Ptr(),
			})
		}
	}
	return out, diags
}
