package command

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/command/views"
	"github.com/heraldhq/herald/internal/lang"
)

var cmdValidate = &Command{
	UsageLine: "herald validate [-json] [-var NAME=VALUE]... [-var-file=FILE]...",
	Short:     "Check the configuration for errors",
	Long: `Loads every *.herald.hcl and *.herald.json file in the working folder,
evaluates it with its variables and makes every check a plan makes: valid
E.164 numbers, ref lengths, no HTML tags outside bodies, https callback
URLs, references, dependency cycles and duplicate delivery keys.

It reads no state and sends nothing. The exit status is 0 when the
configuration is valid and 1 otherwise.`,
	Run: runValidate,
}

// validateJSON is validate -json's output, in Terraform's shape.
type validateJSON struct {
	FormatVersion string                 `json:"format_version"`
	Valid         bool                   `json:"valid"`
	ErrorCount    int                    `json:"error_count"`
	WarningCount  int                    `json:"warning_count"`
	Deliveries    int                    `json:"delivery_count"`
	Diagnostics   []views.JSONDiagnostic `json:"diagnostics"`
}

func runValidate(env *Env, args []string) int {
	a, diags, err := arguments.ParseValidate(newFlagSet(env, "validate"), args)
	if err != nil {
		return flagStatus(err)
	}
	if diags.HasErrors() {
		(&diagWriter{env: env}).diags(diags)
		return ExitError
	}

	res, files, diags := lang.Load(lang.Options{Dir: env.Dir, Args: a.Vars.Args})
	deliveries := 0
	if res != nil {
		deliveries = res.DeliveryCount()
	}
	valid := !diags.HasErrors()

	if a.JSON {
		out := validateJSON{
			FormatVersion: "1.0",
			Valid:         valid,
			ErrorCount:    countSeverity(diags, hcl.DiagError),
			WarningCount:  countSeverity(diags, hcl.DiagWarning),
			Deliveries:    deliveries,
			Diagnostics:   views.DiagnosticsJSON(diags, files),
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(env.Stderr, "Error: writing the result: %s\n", err)
			return ExitError
		}
	} else {
		color := env.color(a.NoColor)
		views.Diagnostics(env.Stderr, files, diags, color, env.Width)
		if valid {
			fmt.Fprintf(env.Stdout, "Success! The configuration is valid (%s).\n", nounCount(deliveries, "delivery", "deliveries"))
		}
	}
	if !valid {
		return ExitError
	}
	return 0
}

func countSeverity(diags hcl.Diagnostics, sev hcl.DiagnosticSeverity) int {
	n := 0
	for _, d := range diags {
		if d.Severity == sev {
			n++
		}
	}
	return n
}

// nounCount is "1 delivery" or "3 deliveries".
func nounCount(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
