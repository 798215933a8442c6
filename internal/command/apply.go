package command

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/command/views"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/engine"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/lang"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

var cmdApply = &Command{
	UsageLine: "herald apply [options] [PLANFILE]",
	Short:     "Send what the plan shows",
	Long: `Sends the messages a plan shows, each delivery at most once, and records
every send in the state.

Without PLANFILE, apply makes a plan, shows it and asks for "yes" before
sending; with no terminal to ask on, it refuses unless -auto-approve is
given. With PLANFILE (from "herald plan -out=FILE"), it sends exactly that
plan without asking, and refuses it when the state or the configuration
changed since it was made.

Every delivery is recorded as in flight before its request leaves, so that
a crash or kill at any moment never sends twice: a send whose answer never
came is marked unknown, and is sent again only with -replace.

Ctrl-C once stops starting new sends, waits for those in flight and saves;
twice exits at once.

Exit status: 0 when everything planned was sent; 1 on error, or when any
delivery failed, became unknown or was skipped.`,
	Run:              runApply,
	HandlesInterrupt: true,
}

func runApply(env *Env, args []string) int {
	f, diags, err := arguments.ParseApply(newFlagSet(env, "apply"), args)
	if err != nil {
		return flagStatus(err)
	}
	color := env.color(f.NoColor)
	a := &applyRun{env: env, args: f}
	a.dw = &diagWriter{env: env, color: color}
	if f.JSON {
		a.events = views.NewApplyJSON(env.Stdout, env.Version)
		a.events.Version()
		a.dw.json = func(diags hcl.Diagnostics) { a.events.Diagnostics(diags, a.dw.files) }
	} else {
		a.text = views.NewApplyText(env.Stdout, views.ApplyTextOptions{Terminal: env.StdoutIsTerminal, Color: color, Width: env.Width})
	}
	if a.dw.diags(diags); diags.HasErrors() {
		return ExitError
	}

	// One watcher for the whole run: the first Ctrl-C cancels a.stop, which
	// ends a wait for the lock, the question, and the starting of sends;
	// the second exits at once.
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	a.stop = stop
	go a.watchInterrupts(cancel, finished)

	if f.PlanFile != "" {
		return a.applySaved(f.PlanFile)
	}
	return a.planAndApply(f.AutoApprove, color)
}

// applyRun is one apply: its flags, its output and what it found.
type applyRun struct {
	env  *Env
	args *arguments.Apply
	dw   *diagWriter
	// Exactly one of text and events is set: the view that follows the sends.
	text   *views.ApplyText // set without -json
	events *views.ApplyJSON // set with -json
	// stop is cancelled by the first Ctrl-C: nothing new may start.
	stop context.Context
}

func (a *applyRun) planAndApply(autoApprove, color bool) int {
	cfg, ok := loadConfigWith(a.env, a.dw, lang.Options{Args: a.args.Vars.Args, RememberNumbers: true})
	if !ok {
		return ExitError
	}
	backend, st, unlock, ok := lockedState(a.stop, a.env, a.dw, cfg, "apply", a.args.LockTimeout)
	if !ok {
		return ExitError
	}
	defer unlock()
	p, ok := planWith(a.dw, &a.args.Operation, cfg, st)
	if !ok {
		return ExitError
	}
	// Before the plan is shown: a plan that cannot be sent is not worth a
	// question.
	if !checkCredentials(a.dw, cfg, p) {
		return ExitError
	}
	if a.events == nil {
		views.PlanText(a.env.Stdout, p, views.TextOptions{Color: color})
	}
	if !checkMaxSends(a.dw, &a.args.Operation, p) {
		return ExitError
	}
	if a.events != nil {
		a.events.PlannedSends(p)
	}
	sends := p.Summary().Sends()
	if sends > 0 && !autoApprove {
		if a.args.NoInput {
			a.dw.err("No confirmation", fmt.Errorf("apply asks for confirmation before sending, and -input=false says not to ask; review the plan and run with -auto-approve, or apply a saved plan"))
			return ExitError
		}
		if !a.env.StdinIsTerminal {
			a.dw.err("No confirmation", fmt.Errorf("apply asks for confirmation before sending, and there is no terminal to ask on; review the plan and run with -auto-approve, or apply a saved plan"))
			return ExitError
		}
		if !a.confirm(sends) {
			fmt.Fprintln(a.env.Stdout, "\nApply cancelled. Nothing was sent.")
			return ExitError
		}
	}
	return a.send(cfg, backend, st, p)
}

func (a *applyRun) confirm(sends int) bool {
	fmt.Fprintf(a.env.Stdout, "\nDo you want to send these messages?\n  herald will send %d message(s); a send cannot be undone.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", sends)
	// main catches Ctrl-C for every command, so the question must watch for
	// it: otherwise it would wait on, and a "yes" typed after it would start
	// an apply that the waiting interrupt stops at once.
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(a.env.Stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case line := <-answer:
		return strings.TrimSpace(line) == "yes"
	case <-a.stop.Done():
		fmt.Fprintln(a.env.Stdout)
		return false
	}
}

// applySaved applies a plan file exactly: same state, same configuration.
func (a *applyRun) applySaved(path string) int {
	p, err := plans.ReadFile(path)
	if err != nil {
		a.dw.err("Error reading the saved plan", err)
		return ExitError
	}
	// The configuration is evaluated again with the plan's variables: the
	// API key and sensitive values are never in a plan file, and the fresh
	// evaluation proves the configuration still says what the plan shows.
	// -var and -var-file come after them, to supply sensitive values; one
	// that changes a value the plan recorded is refused below.
	cfg, ok := loadConfigWith(a.env, a.dw, lang.Options{Args: append(planVarArgs(p), a.args.Vars.Args...), RememberNumbers: true})
	if !ok {
		return ExitError
	}
	if err := checkPlanVariables(p, cfg); err != nil {
		a.dw.err("Conflicting options", err)
		return ExitError
	}
	backend, st, unlock, ok := lockedState(a.stop, a.env, a.dw, cfg, "apply", a.args.LockTimeout)
	if !ok {
		return ExitError
	}
	defer unlock()
	if now := backendIdentity(a.env, cfg); now != p.Backend {
		a.dw.err("Saved plan is for another state", fmt.Errorf("this plan was made against the state in %s, but the configuration now keeps its state in %s; make a new plan with \"herald plan -out=%s\"", describeIdentity(p.Backend), describeIdentity(now), path))
		return ExitError
	}
	// A plan made when there was no state yet matches while there is still
	// none; each read of a missing state draws a fresh lineage.
	neverWritten := p.Serial == 0 && st.Serial == 0 && st.Deliveries.Len() == 0
	if !neverWritten && (st.Lineage != p.Lineage || st.Serial != p.Serial) {
		a.dw.err("Saved plan is stale", fmt.Errorf("the state changed since this plan was made (plan: lineage %s serial %d; state now: lineage %s serial %d), so what it would send may already have been sent. Make a new plan with \"herald plan -out=%s\"", p.Lineage, p.Serial, st.Lineage, st.Serial, path))
		return ExitError
	}
	if err := matchConfig(p, cfg); err != nil {
		a.dw.err("Saved plan does not match the configuration", err)
		return ExitError
	}
	if err := checkActions(p, st); err != nil {
		a.dw.err("Saved plan does not match the state", err)
		return ExitError
	}
	if !checkCredentials(a.dw, cfg, p) {
		return ExitError
	}
	// The plan file keeps only what explains each prior record; the state,
	// unchanged since the plan was made, has the rest (attempts, first
	// attempt), which apply carries over into the new record.
	for i := range p.Instances {
		ic := &p.Instances[i]
		for j := range ic.Changes {
			if c := &ic.Changes[j]; c.Action.Sends() {
				c.Prior = st.Get(ic.Key(c))
			}
		}
	}
	if !checkMaxSends(a.dw, &a.args.Operation, p) {
		return ExitError
	}
	if a.events != nil {
		a.events.PlannedSends(p)
	}
	return a.send(cfg, backend, st, p)
}

// planVarArgs turns a plan's non-sensitive variables into -var arguments.
func planVarArgs(p *plans.Plan) []lang.VarArg {
	var out []lang.VarArg
	for _, v := range p.Variables {
		if v.Sensitive || v.Value == cty.NilVal {
			continue
		}
		var text string
		switch {
		case v.Value.IsNull():
			text = "null"
		case v.Value.Type() == cty.String:
			text = v.Value.AsString()
		default:
			text = string(hclwrite.TokensForValue(v.Value).Bytes())
		}
		out = append(out, lang.VarArg{Value: v.Name + "=" + text})
	}
	return out
}

// checkPlanVariables refuses a -var or -var-file that changes a variable a
// saved plan recorded: the plan was made, and reviewed, with that value,
// and is applied as it was made, as with -target. Sensitive variables,
// which plans leave out, may be given again.
func checkPlanVariables(p *plans.Plan, cfg *lang.Result) error {
	now := make(map[string]cty.Value, len(cfg.Variables))
	for _, v := range cfg.Variables {
		now[v.Name] = v.Value
	}
	for _, v := range p.Variables {
		if v.Sensitive || v.Value == cty.NilVal {
			continue
		}
		got, ok := now[v.Name]
		// As written, not cty equality: a tuple read back from the plan
		// is the list the configuration made.
		if !ok || got == cty.NilVal || hclValue(got) == hclValue(v.Value) {
			continue
		}
		return fmt.Errorf("-var and -var-file cannot change a saved plan: it was made with %s = %s, and the command line sets %s. A saved plan is applied as it was made; make a new plan with the new value", v.Name, hclValue(v.Value), hclValue(got))
	}
	return nil
}

// hclValue renders a variable's value as it would be written in HCL.
func hclValue(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return strings.TrimSpace(string(hclwrite.TokensForValue(v).Bytes()))
}

// matchConfig checks that every send in the saved plan is still declared
// with the same content, and takes the freshly evaluated delivery (which
// carries any sensitive content the plan file left out).
func matchConfig(p *plans.Plan, cfg *lang.Result) error {
	for addr, planned := range p.Providers {
		s, ok := cfg.Providers[addr]
		if !ok {
			continue // no send goes through it, or the check below says so
		}
		if now := s.Destination(); now != planned {
			return fmt.Errorf("provider %s changed since the plan was made: it sent to %s, and now to %s; make a new plan", addr, planned, now)
		}
	}
	// Every provider a send goes through must be one the plan recorded,
	// or the check above would be skipped by leaving it out.
	for i := range p.Instances {
		ic := &p.Instances[i]
		if _, ok := p.Providers[ic.Instance.Provider]; !ok && ic.Summary().Sends() > 0 {
			return fmt.Errorf("the plan sends %s through provider %s but does not record where that provider sent when the plan was made; the file is incomplete or was edited. Make a new plan", ic.Instance.Address, ic.Instance.Provider)
		}
	}
	byAddr := make(map[addrs.MessageInstance]*delivery.Instance, len(cfg.Instances))
	for _, in := range cfg.Instances {
		byAddr[in.Address] = in
	}
	for i := range p.Instances {
		ic := &p.Instances[i]
		var sends []string
		for _, c := range ic.Changes {
			if c.Action.Sends() {
				sends = append(sends, c.Recipient)
			}
		}
		if len(sends) == 0 {
			continue
		}
		planned := ic.Instance
		in := declaring(cfg, byAddr, planned, sends)
		if in == nil {
			return fmt.Errorf("the plan sends %s to %s, which the configuration no longer declares; make a new plan", planned.Address, sends[0])
		}
		if in.Digest != planned.Digest || in.CallbackURL != planned.CallbackURL || in.Provider != planned.Provider {
			return fmt.Errorf("the content of %s to %s changed since the plan was made; make a new plan", planned.Address, sends[0])
		}
		ic.Instance = in
	}
	return checkNothingNew(p, cfg)
}

// declaring finds the configured instance that declares every delivery
// the plan sends for planned: the one at its address, or, for a block
// renamed since the plan was made, one with the same key fields (the key,
// not the name, identifies a delivery). It is nil when there is none.
func declaring(cfg *lang.Result, byAddr map[addrs.MessageInstance]*delivery.Instance, planned *delivery.Instance, sends []string) *delivery.Instance {
	declares := func(in *delivery.Instance) bool {
		if in == nil || !in.SameKeyFields(planned) {
			return false
		}
		have := make(map[string]bool, len(in.Recipients))
		for _, r := range in.Recipients {
			have[r] = true
		}
		for _, r := range sends {
			if !have[r] {
				return false
			}
		}
		return true
	}
	if in := byAddr[planned.Address]; declares(in) {
		return in
	}
	for _, in := range cfg.Instances {
		if in.Address != planned.Address && declares(in) {
			return in
		}
	}
	return nil
}

// checkNothingNew refuses a saved plan when the configuration now declares
// deliveries the plan does not hold, as when a row was added to a CSV of
// recipients since: sending the plan would silently leave them out, and
// planning them is what review is for. A plan narrowed with -target or
// -exclude leaves deliveries out on purpose and is not checked.
func checkNothingNew(p *plans.Plan, cfg *lang.Result) error {
	if p.Targeted {
		return nil
	}
	planned := make(map[delivery.Key]bool)
	for i := range p.Instances {
		ic := &p.Instances[i]
		for j := range ic.Changes {
			planned[ic.Key(&ic.Changes[j])] = true
		}
	}
	var added []string
	n := 0
	for _, in := range cfg.Instances {
		for _, r := range in.Recipients {
			if planned[in.Key(r)] {
				continue
			}
			if n++; len(added) < 3 {
				added = append(added, in.Address.String()+" to "+r)
			}
		}
	}
	if n == 0 {
		return nil
	}
	more := ""
	if n > len(added) {
		more = fmt.Sprintf(" and %d more", n-len(added))
	}
	return fmt.Errorf("the configuration now declares %s that the plan does not hold (%s%s), such as a recipient added since; make a new plan to review and send them", nounCount(n, "delivery", "deliveries"), strings.Join(added, ", "), more)
}

// checkActions checks, under the lock, each action of a saved plan against
// the state as it is now, as if planning again: whatever the file says (a
// checksum anyone can recompute guards only against damage), apply never
// sends a delivery the state records as sent or unknown unless the plan's
// own -replace or -replace-unknown names it, nor retries one that did not
// fail.
func checkActions(p *plans.Plan, st *states.State) error {
	replace, err := parseTargets("-replace", p.Replace)
	if err != nil {
		return err
	}
	replaceUnknown, err := parseTargets("-replace-unknown", p.ReplaceUnknown)
	if err != nil {
		return err
	}
	named := func(ts []addrs.Target, addr addrs.MessageInstance, recipient string) bool {
		for _, t := range ts {
			if t.Contains(addr, recipient) {
				return true
			}
		}
		return false
	}
	for i := range p.Instances {
		ic := &p.Instances[i]
		addr := ic.Instance.Address
		for j := range ic.Changes {
			c := &ic.Changes[j]
			if !c.Action.Sends() {
				continue
			}
			prior := st.Get(ic.Key(c))
			var why string
			switch {
			case prior == nil && c.Action != plans.Send:
				why = "the state holds no record of it, so a plan would send it, not " + c.Action.String() + " it"
			case prior == nil:
			case prior.Status == states.Failed && c.Action != plans.Retry:
				why = "the state records it as failed, so a plan would retry it"
			case prior.Status == states.Failed:
			case prior.Status == states.Sent && prior.Receipt.NeverArrived() && c.Action == plans.Retry:
				// Its receipt said it never reached the phone: a plan
				// retries it, as one retries a refused send.
			case c.Action != plans.Resend:
				why = fmt.Sprintf("the state records it as %s, and only -replace sends that again", prior.Status)
			case named(replace, addr, c.Recipient):
			case prior.Status == states.Unknown && named(replaceUnknown, addr, c.Recipient):
			default:
				why = fmt.Sprintf("the state records it as %s, and no -replace the plan was made with names it", prior.Status)
			}
			if why != "" {
				return fmt.Errorf("the plan would %s %s to %s, but %s. The plan file was edited, or made by a faulty herald; make a new plan", c.Action, addr, c.Recipient, why)
			}
		}
	}
	return nil
}

func parseTargets(flag string, in []string) ([]addrs.Target, error) {
	var out []addrs.Target
	for _, s := range in {
		t, err := addrs.ParseTarget(s)
		if err != nil {
			return nil, fmt.Errorf("the plan's %s=%s: %w", flag, s, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// checkCredentials reports, at their api_key attributes, the providers
// that p sends through and that have no usable key; validate and plan
// accept them, since only sending needs one.
func checkCredentials(dw *diagWriter, cfg *lang.Result, p *plans.Plan) bool {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for i := range p.Instances {
		ic := &p.Instances[i]
		provider := ic.Instance.Provider
		if seen[provider] || ic.Summary().Sends() == 0 {
			continue
		}
		seen[provider] = true
		diags = append(diags, cfg.Credentials(provider)...)
	}
	// In source order, whatever order the plan reached the providers in.
	slices.SortFunc(diags, func(a, b *hcl.Diagnostic) int {
		if c := strings.Compare(a.Subject.Filename, b.Subject.Filename); c != 0 {
			return c
		}
		return a.Subject.Start.Byte - b.Subject.Start.Byte
	})
	dw.diags(diags)
	return !diags.HasErrors()
}

// send applies p and saves the state.
func (a *applyRun) send(cfg *lang.Result, backend statemgr.Backend, st *states.State, p *plans.Plan) int {
	// The state takes the names the configuration gives its deliveries
	// now, written below with the sends or, when there are none, here.
	renamed := engine.FollowAddresses(cfg, st)
	// Records of sensitive content sent before its digests were keyed
	// take the keyed digest, written below like the names.
	renamed += engine.KeyOldDigests(cfg, st)
	total := p.Summary().Sends()
	if total == 0 {
		if renamed > 0 {
			if err := backend.Write(st); err != nil {
				a.dw.err("Error saving the state", err)
				return ExitError
			}
		}
		a.summary(engine.Result{})
		return 0
	}
	providers, stop, err := a.providers(cfg, p)
	if err != nil {
		a.dw.err("Error setting up the provider", err)
		return ExitError
	}
	defer stop()

	journal, err := backend.OpenJournal(st)
	if err != nil {
		a.dw.err("Error opening the state journal", err)
		return ExitError
	}
	res, applyDiags := engine.Apply(a.stop, p, st, journal, engine.ApplyOptions{
		Providers:   providers,
		Parallelism: a.args.Parallelism,
		Hooks:       a.hooks(),
		Logger:      a.env.Logger,
	})
	closeErr := journal.Close()
	// Write moves the serial on, which makes plans saved before this apply
	// stale.
	writeErr := backend.Write(st)
	a.summary(res)
	status := 0
	if applyDiags.HasErrors() {
		status = ExitError
	}
	a.dw.diags(applyDiags)
	for _, e := range []struct {
		summary string
		err     error
	}{
		{"Error closing the state journal", closeErr},
		{"Error saving the state", writeErr},
	} {
		if e.err != nil {
			a.dw.err(e.summary, e.err)
			status = ExitError
		}
	}
	if writeErr != nil {
		fmt.Fprintln(a.env.Stderr, "Every send is recorded in the journal beside the state file; the next herald run folds it in. Do not delete it.")
	}
	if res.Failed+res.Unknown+res.Skipped > 0 {
		status = ExitError
	}
	return status
}

func (a *applyRun) hooks() engine.Hooks {
	if a.events != nil {
		return a.events
	}
	return a.text
}

func (a *applyRun) summary(r engine.Result) {
	if a.events != nil {
		a.events.Summary(r)
	} else {
		a.text.Summary(r)
	}
}

// watchInterrupts: the first Ctrl-C stops new sends; the second exits at
// once, leaving in-flight sends to become unknown on the next run.
func (a *applyRun) watchInterrupts(stopSends func(), finished <-chan struct{}) {
	select {
	case <-a.env.Interrupt:
	case <-finished:
		return
	}
	fmt.Fprintln(a.env.Stderr, "\nInterrupt received: no new sends will start. Requests already in flight finish and are saved. Press Ctrl-C again to exit at once (their outcome will then be unknown).")
	stopSends()
	select {
	case <-a.env.Interrupt:
	case <-finished:
		return
	}
	fmt.Fprintln(a.env.Stderr, "Second interrupt: exiting at once. Sends in flight are recorded as in flight and will show as unknown.")
	os.Exit(ExitError)
}

// providers makes a client for every provider the plan sends through,
// starting the built-in emulator for those that ask for it.
func (a *applyRun) providers(cfg *lang.Result, p *plans.Plan) (map[string]engine.Provider, func(), error) {
	used := map[string]bool{}
	for i := range p.Instances {
		if ic := &p.Instances[i]; ic.Summary().Sends() > 0 {
			used[ic.Instance.Provider] = true
		}
	}
	var closers []func()
	stop := func() {
		for _, c := range closers {
			c()
		}
	}
	// Every client cuts every key from what it logs and records.
	var keys []string
	for _, s := range cfg.Providers {
		keys = append(keys, s.APIKey)
	}
	out := make(map[string]engine.Provider)
	for addr := range used {
		s, ok := cfg.Providers[addr]
		if !ok {
			stop()
			return nil, nil, fmt.Errorf("the plan sends through provider %q, which the configuration does not declare", addr)
		}
		if s.Emulator {
			closeEmu, err := a.startEmulator(cfg, &s)
			if err != nil {
				stop()
				return nil, nil, err
			}
			closers = append(closers, closeEmu)
		}
		client, err := kaleyra.New(s, kaleyra.Options{Logger: a.env.Logger.Named("kaleyra"), Parallelism: a.args.Parallelism, Secrets: keys})
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("provider %s: %w", addr, err)
		}
		out[addr] = engine.Provider{Sender: client, RecipientsPerRequest: s.RecipientsPerRequest}
	}
	return out, stop, nil
}

// startEmulator runs the built-in emulator for the command's duration, its
// outbox beside the state file, with a throwaway key, and points s at it.
func (a *applyRun) startEmulator(cfg *lang.Result, s *kaleyra.Settings) (func(), error) {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	s.APIKey = hex.EncodeToString(key)
	outbox := filepath.Join(filepath.Dir(a.env.abs(cfg.StatePath)), "herald.outbox.jsonl")
	emu, err := emulator.New(emulator.Options{SID: s.SID, APIKey: s.APIKey, Outbox: outbox})
	if err != nil {
		return nil, fmt.Errorf("starting the built-in emulator: %w", err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the built-in emulator: %w", err)
	}
	s.Endpoint = url
	a.env.Logger.Info("built-in emulator running", "url", url, "outbox", outbox)
	if a.text != nil {
		fmt.Fprintf(a.env.Stdout, "\nUsing the built-in Kaleyra emulator (%s): nothing leaves this machine. Deliveries are written to %s.\n", s.Address, outbox)
	}
	return func() { emu.Close() }, nil
}
