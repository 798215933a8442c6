package command

import (
	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/command/views"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states/statefile"
)

var cmdShow = &Command{
	UsageLine: "herald show [-json | -format=markdown [-marker=NAME]] [PLANFILE]",
	Short:     "Show a saved plan, or the state",
	Long: `With PLANFILE, shows a plan saved by "herald plan -out=FILE": as text, as
the plan JSON document (-json), or as Markdown for a pull-request comment
(-format=markdown).

Without PLANFILE, summarises the state: what was sent, what failed and what
is unknown. With -json it prints the state document.`,
	Run: runShow,
}

func runShow(env *Env, args []string) int {
	f, diags, err := arguments.ParseShow(newFlagSet(env, "show"), args)
	if err != nil {
		return flagStatus(err)
	}
	color := env.color(f.NoColor)
	dw := &diagWriter{env: env, color: color}
	if f.JSON {
		dw.jsonToStderr()
	}
	if dw.diags(diags); diags.HasErrors() {
		return ExitError
	}
	if f.PlanFile == "" {
		return showState(env, dw, f.JSON)
	}

	p, err := plans.ReadFile(f.PlanFile)
	if err != nil {
		dw.err("Error reading the saved plan", err)
		return ExitError
	}
	switch {
	case f.JSON:
		err = views.PlanJSON(env.Stdout, p)
	case f.Format == "markdown":
		err = views.PlanMarkdown(env.Stdout, p, views.MarkdownOptions{PlanFile: f.PlanFile, Marker: f.Marker})
	default:
		views.PlanText(env.Stdout, p, views.TextOptions{Color: color})
	}
	if err != nil {
		dw.err("Error writing the plan", err)
		return ExitError
	}
	return 0
}

func showState(env *Env, dw *diagWriter, asJSON bool) int {
	st, ok := readState(env, dw)
	if !ok {
		return ExitError
	}
	if asJSON {
		if err := statefile.Write(env.Stdout, st); err != nil {
			dw.err("Error writing the state", err)
			return ExitError
		}
		return 0
	}
	views.StateSummaryText(env.Stdout, st)
	return 0
}
