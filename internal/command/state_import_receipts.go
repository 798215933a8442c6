package command

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/receipts"
)

var cmdStateImportReceipts = &Command{
	UsageLine: "herald state import-receipts FILE",
	Short:     "Record the receipts of Kaleyra's WhatsApp report (CSV)",
	Long: `Reads Kaleyra's WhatsApp report, downloaded as CSV, as delivery receipts
and records them in the state, as "herald listen" records callbacks: for
teams whose Kaleyra account cannot reach a listener.

Of the report's columns herald reads WHATSAPP_ID (the message_id Kaleyra
answered the send with), SENT_AT, DELIVERED_AT, SEEN_AT, FAILED_AT and
REASON_FOR_FAILURE, in any case, and ignores the rest. Times are RFC 3339,
"2006-01-02 15:04:05" (read as UTC) or Unix seconds. A row that cannot be
read is an error naming its line, and then nothing is recorded.

Importing a report twice is harmless, and a receipt never moves a
delivery's status backward. A receipt for a message the state does not hold
is kept for a week in case it comes to, then dropped.`,
	Run: runStateImportReceipts,
}

func runStateImportReceipts(env *Env, args []string) int {
	fs := newFlagSet(env, "state import-receipts")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	dw := &diagWriter{env: env}
	if fs.NArg() != 1 {
		dw.fail("Expected one report", "The state import-receipts command takes the path of Kaleyra's WhatsApp report, as CSV: herald state import-receipts report.csv")
		return ExitError
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		dw.err("Error reading the report", err)
		return ExitError
	}
	now := time.Now().UTC()
	events, errs := receipts.ReadReport(f, now)
	f.Close()
	if errs != nil {
		var diags hcl.Diagnostics
		for _, err := range errs {
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid receipts report", Detail: capitalise(err.Error()) + "."}
			if re, ok := err.(*receipts.ReportError); ok {
				d.Detail = capitalise(re.Msg) + "."
				if re.Row > 0 {
					d.Subject = &hcl.Range{Filename: path, Start: hcl.Pos{Line: re.Row, Column: 1}, End: hcl.Pos{Line: re.Row, Column: 1}}
				} else {
					d.Detail = fmt.Sprintf("%s: %s", path, d.Detail)
				}
			}
			diags = append(diags, d)
		}
		dw.diags(diags)
		fmt.Fprintln(env.Stderr, "Nothing was recorded.")
		return ExitError
	}

	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	defer closeBackend(env, backend)
	// What the receipts will do is told by folding them into a copy of the
	// state; the store folds them for real when the state is next read.
	st, err := backend.Read()
	if err != nil {
		dw.err("Error reading the state", err)
		return ExitError
	}
	result := receipts.Fold(st, events, now)
	if err := backend.RecordReceipts(context.Background(), events); err != nil {
		dw.err("Error recording the receipts", err)
		return ExitError
	}
	fmt.Fprintf(env.Stdout, "Recorded %d receipts from %s: %d moved a delivery's status forward, %d settled a delivery whose outcome was unknown, %d changed nothing, and %d name no message the state holds.\n",
		len(events), path, result.Matched, result.Settled, result.Ignored, len(result.Unmatched)+result.Expired)
	return 0
}
