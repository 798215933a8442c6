package lang

import (
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/configs"
	"github.com/heraldhq/herald/internal/delivery"
)

// VarArg is one -var or -var-file argument, kept in command-line order
// because later ones win.
type VarArg struct {
	// File is true for -var-file=PATH; Value is then the path.
	File  bool
	Value string // NAME=VALUE for -var
}

// Options tell Load where the configuration is and where variables come from.
type Options struct {
	// Dir is the configuration folder.
	Dir string
	// Args are the -var and -var-file arguments in command-line order.
	Args []VarArg
	// LookupEnv reads the environment (HERALD_VAR_x and env()); os.LookupEnv
	// when nil.
	LookupEnv func(string) (string, bool)
	// StateSettings, when set, is told where the configuration keeps its
	// state as soon as that is known and valid, before the rest is
	// evaluated, so that the caller may read the state meanwhile. It is
	// not called when the settings are in error.
	StateSettings func(StateSettings)
	// RememberNumbers makes the recipients' number checks remembered for
	// the rest of the process (rules.RememberedCheckNumber), for a caller
	// that checks them again: apply's client does before each request.
	// A plan sees each number once and has no use for the memory.
	RememberNumbers bool
}

// DefaultStatePath is the state file's path when the herald block does not
// set state_path.
const DefaultStatePath = "herald.state"

// Load reads every *.herald.hcl and *.herald.json file in opts.Dir, evaluates
// the configuration and checks it. It returns the parsed files (for
// rendering diagnostics with source snippets) even when it fails. The Result
// is nil when the diagnostics hold an error: a configuration is used whole
// or not at all.
func Load(opts Options) (*Result, map[string]*hcl.File, hcl.Diagnostics) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Dir == "" {
		opts.Dir = "."
	}
	parser := configs.NewParser(opts.Dir)
	cfg, diags := parser.LoadConfig()
	if cfg == nil {
		return nil, parser.Files(), diags
	}
	res, insts, moreDiags := evaluate(parser, cfg, opts)
	diags = append(diags, moreDiags...)
	explainEnvUnset(diags)
	if diags.HasErrors() {
		return nil, parser.Files(), diags
	}
	res.Instances = make([]*delivery.Instance, len(insts))
	for i, inst := range insts {
		res.Instances[i] = &inst.Instance
	}
	return res, parser.Files(), diags
}

// evaluate evaluates the configuration layer by layer: variables, locals,
// then providers, senders, recipients and templates, then messages.
func evaluate(parser *configs.Parser, cfg *configs.Config, opts Options) (*Result, []*instance, hcl.Diagnostics) {
	s := newScope(opts.Dir, opts.LookupEnv)
	if opts.RememberNumbers {
		s.numbers.remember()
	}
	s.credentialEnv = credentialEnvNames(cfg)
	for _, v := range cfg.Variables {
		s.declare(refVar, v.Name)
	}
	for _, l := range cfg.Locals {
		s.declare(refLocal, l.Name)
	}
	for _, b := range cfg.Senders {
		s.declare(refSender, b.Name)
	}
	for _, b := range cfg.Recipients {
		s.declare(refRecipients, b.Name)
	}
	for _, b := range cfg.Templates {
		s.declare(refTemplate, b.Name)
	}
	for _, b := range cfg.Messages {
		s.declare(refMessage, b.Name)
	}

	// The herald block needs nothing else evaluated, so the caller learns
	// where the state is before the rest: a large state is read while the
	// variables, locals (a large CSV file, say) and blocks are evaluated.
	settings, settingsDiags := stateSettings(opts.Dir, cfg, opts.LookupEnv)
	if opts.StateSettings != nil && !settingsDiags.HasErrors() {
		opts.StateSettings(settings)
	}

	res := &Result{StatePath: DefaultStatePath}
	raws, diags := variableValues(parser, cfg.Variables, opts)
	vals, moreDiags := finalVariables(cfg.Variables, raws)
	diags = append(diags, moreDiags...)
	s.set(refVar, vals)
	diags = append(diags, s.checkValidations(cfg.Variables)...)
	for _, v := range cfg.Variables {
		val, _ := vals[v.Name].Unmark()
		res.Variables = append(res.Variables, Variable{Name: v.Name, Value: val, Sensitive: v.Sensitive})
	}
	slices.SortFunc(res.Variables, func(a, b Variable) int { return strings.Compare(a.Name, b.Name) })

	diags = append(diags, s.evalLocals(cfg.Locals)...)

	diags = append(diags, settingsDiags...)
	res.StatePath, res.Backend = settings.Path, settings.Backend

	providers, moreDiags := s.evalProviders(cfg.Providers)
	diags = append(diags, moreDiags...)
	res.Providers = providers
	res.credentials = s.credentials
	senders, moreDiags := s.evalSenders(cfg.Senders, providers)
	diags = append(diags, moreDiags...)
	diags = append(diags, s.evalRecipients(cfg.Recipients)...)
	diags = append(diags, s.evalTemplates(cfg.Templates)...)

	insts, moreDiags := s.evalMessages(cfg.Messages, senders)
	diags = append(diags, moreDiags...)
	s.locateValues(diags)
	return res, insts, diags
}

// statePath evaluates state_path, which must be a literal: it is read
// before variables, by commands that need only the state.
func statePath(expr hcl.Expression) (string, hcl.Diagnostics) {
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid state_path",
			Detail:   "The state_path must be a literal string, as \"herald.state\"; it cannot refer to variables or call functions.",
			Subject:  expr.Range().Ptr(),
		}}
	}
	if v.IsNull() || v.Type() != cty.String || v.AsString() == "" {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid state_path",
			Detail:   "The state_path must be a non-empty string, as \"herald.state\".",
			Subject:  expr.Range().Ptr(),
		}}
	}
	return v.AsString(), nil
}

// StatePath reads only the herald block of the configuration in dir and
// returns the state file's path (relative to dir), for commands that need
// the state but not the whole evaluated configuration.
func StatePath(dir string) (string, hcl.Diagnostics) {
	parser := configs.NewParser(dir)
	// Errors elsewhere in the configuration are not this caller's business;
	// only a broken herald block is.
	cfg, _ := parser.LoadConfig()
	if cfg == nil || cfg.Herald == nil || cfg.Herald.StatePath == nil {
		return DefaultStatePath, nil
	}
	path, moreDiags := statePath(cfg.Herald.StatePath)
	if moreDiags.HasErrors() {
		return DefaultStatePath, moreDiags
	}
	return path, nil
}
