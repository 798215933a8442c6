package command

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
)

// planOptions turns the parsed address options into engine options.
func planOptions(o *arguments.Operation) engine.PlanOptions {
	return engine.PlanOptions{Targets: o.Targets, Excludes: o.Excludes, Replace: o.Replace, ReplaceUnknown: o.ReplaceUnknown}
}

// checkTargetNames refuses a -target, -exclude or -replace whose message
// declares no delivery, saying which declared message it is near: a typo
// in -target must not plan nothing, nor -exclude leave out nothing,
// behind a warning that is easy to miss.
func checkTargetNames(dw *diagWriter, cfg *lang.Result, opts engine.PlanOptions) bool {
	declared := map[string]bool{}
	var names []string
	for _, in := range cfg.Instances {
		if n := in.Address.Message.Name; !declared[n] {
			declared[n] = true
			names = append(names, n)
		}
	}
	ok := true
	for _, set := range []struct {
		flag    string
		targets []addrs.Target
	}{{"-target", opts.Targets}, {"-exclude", opts.Excludes}, {"-replace", opts.Replace}, {"-replace-unknown", opts.ReplaceUnknown}} {
		for _, t := range set.targets {
			if declared[t.Message.Name] {
				continue
			}
			detail := fmt.Sprintf("%s=%s matches no declared delivery: no message named %q declares any.", set.flag, t, t.Message.Name)
			if near := addrs.Suggest(t.Message.Name, names); near != "" {
				t.Message.Name = near
				detail += fmt.Sprintf(" Did you mean %s=%s?", set.flag, t)
			}
			dw.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + set.flag, Detail: detail}})
			ok = false
		}
	}
	return ok
}

// checkMaxSends refuses, with a diagnostic, a plan with more sends than
// -max-sends allows.
func checkMaxSends(dw *diagWriter, o *arguments.Operation, p *plans.Plan) bool {
	if o.MaxSends == nil {
		return true
	}
	if n := p.Summary().Sends(); n > *o.MaxSends {
		dw.fail("Too many sends", fmt.Sprintf("The plan sends %d messages, more than -max-sends=%d allows; nothing was sent. Review the plan, then raise the limit or narrow it with -target.", n, *o.MaxSends))
		return false
	}
	return true
}

// loadConfig evaluates the configuration, printing its diagnostics; ok is
// false when it has errors.
func loadConfig(env *Env, dw *diagWriter, args []lang.VarArg) (*lang.Result, bool) {
	return loadConfigWith(env, dw, lang.Options{Args: args})
}

// loadConfigWith is loadConfig with more of lang's options; opts.Dir is
// env's.
func loadConfigWith(env *Env, dw *diagWriter, opts lang.Options) (*lang.Result, bool) {
	opts.Dir = env.Dir
	cfg, files, diags := lang.Load(opts)
	dw.files = files
	dw.diags(diags)
	logConfig(env.Logger, env.Dir, len(files), cfg)
	return cfg, !diags.HasErrors()
}
