package command

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

var cmdEmulator = &Command{
	UsageLine: "herald emulator [-listen ADDR] [-sid SID] [-api-key KEY] [-outbox FILE] [fault options]",
	Short:     "Serve a local Kaleyra-compatible API for trying herald out",
	Long: `
Serves Kaleyra's WhatsApp messages API (POST or GET /v1/{sid}/messages) on
this machine until interrupted, so that herald can be tried and tested
without an account. Nothing leaves the machine.

It checks requests as Kaleyra does, with the same error codes: the api-key
header and the SID in the path (RBC001), the from number (E13008) and every
to number (E13009) as E.164, HTML tags in any field but body (E413), the
required fields, ref lengths, a text body of 1 to 4,096 characters and an
https callback_url (plain http only to loopback): the same rules that
validate applies and the client checks before sending. It answers accepted requests with the body
Kaleyra documents, prints a line per delivery, and with -outbox appends each
delivery to FILE as a JSON line.

The first line printed is the URL to use as the provider's endpoint:

  provider "kaleyra" {
    sid      = "HXAP16XXXXXX17IN"
    api_key  = "any-key"
    endpoint = "http://127.0.0.1:8787"
  }

Without -sid any SID is accepted, and without -api-key any non-empty key.
For a one-off run, "emulator = true" in the provider block runs the emulator
inside plan and apply instead.

For an accepted delivery whose callback_url is on loopback, it posts
Kaleyra's status callbacks after -receipt-delay: sent, delivered and read,
or sent and failed for the recipients of -fail-to. POST
/_emulator/inbound with from and wanumber simulates a reply: an
incoming-message callback to -inbound-url. Run "herald listen" to record
them. On Ctrl-C, callbacks still owed go out at once (for up to 5s).

The fault options make chosen requests misbehave, to see how herald
classifies each case. Requests are numbered from 1; "every N" picks
requests N, 2N, 3N and so on.`,
	Run:              runEmulator,
	HandlesInterrupt: true,
	Serves:           true,
}

// emulatorArguments are the emulator command's flags.
type emulatorArguments struct {
	listen  string
	failTo  string
	options emulator.Options
}

func parseEmulatorArguments(env *Env, args []string) (emulatorArguments, int, bool) {
	var a emulatorArguments
	f := &a.options.Faults
	fs := newFlagSet(env, "emulator")
	fs.StringVar(&a.listen, "listen", "127.0.0.1:8787", "serve on `ADDR`, a loopback host:port (port 0 picks a free one)")
	fs.StringVar(&a.options.SID, "sid", "", "accept only this account `SID` in the path (default any)")
	fs.StringVar(&a.options.APIKey, "api-key", "", "accept only this api-key header `KEY` (default any non-empty key)")
	fs.StringVar(&a.options.Outbox, "outbox", "", "append each accepted delivery to `FILE` as a JSON line")
	arguments.DurationVar(fs, &f.Latency, "latency", 0, "wait `DURATION` before answering each request")
	fs.IntVar(&f.StatusEvery, "status-every", 0, "answer every `N`th request with the -status code instead of accepting it")
	fs.IntVar(&f.Status, "status", 0, "the HTTP status `CODE` for -status-every, e.g. 429 or 503")
	fs.StringVar(&f.RetryAfter, "retry-after", "", "send this Retry-After header `VALUE` with -status answers")
	fs.IntVar(&f.HangEvery, "hang-every", 0, "never answer every `N`th request")
	fs.IntVar(&f.ResetEvery, "reset-every", 0, "reset the connection of every `N`th request without answering")
	fs.IntVar(&f.Accept500Every, "accept-500-every", 0, "accept every `N`th request (outbox and all), then answer 500")
	arguments.DurationVar(fs, &a.options.ReceiptDelay, "receipt-delay", emulator.DefaultReceiptDelay, "post status callbacks to a loopback callback_url `DURATION` after accepting")
	fs.StringVar(&a.failTo, "fail-to", "", "make deliveries to these recipients fail after acceptance, as `NUMBER:CODE,...` (e.g. +12025550123:131026)")
	fs.StringVar(&a.options.InboundURL, "inbound-url", "", "forward replies simulated with POST "+emulator.InboundPath+" to `URL`, on loopback (e.g. herald listen's)")
	if status, ok := parseFlags(fs, args); !ok {
		return a, status, false
	}
	problem := a.check(fs)
	if problem == "" {
		var err error
		if a.options.FailTo, err = emulator.ParseFailTo(a.failTo); err != nil {
			problem = fmt.Sprintf("The -fail-to value is wrong: %s.", err)
		}
	}
	if problem != "" {
		dw := &diagWriter{env: env}
		dw.fail("Invalid emulator options", problem+" Run \"herald emulator -help\" for the options.")
		return a, ExitError, false
	}
	return a, 0, true
}

// check returns what is wrong with the options, as full sentences, or "".
func (a emulatorArguments) check(fs *flag.FlagSet) string {
	if fs.NArg() > 0 {
		return fmt.Sprintf("Unexpected argument %q: the emulator takes only options.", fs.Arg(0))
	}
	host, _, err := net.SplitHostPort(a.listen)
	if err != nil {
		return fmt.Sprintf("The -listen value %q is not a host:port address.", a.listen)
	}
	if !rules.IsLoopback(host) {
		return fmt.Sprintf("The -listen value %q is not a loopback address. The emulator serves only this machine, so use 127.0.0.1 or ::1.", a.listen)
	}
	f := a.options.Faults
	for _, n := range []struct {
		name  string
		value int
	}{{"-status-every", f.StatusEvery}, {"-hang-every", f.HangEvery}, {"-reset-every", f.ResetEvery}, {"-accept-500-every", f.Accept500Every}} {
		if n.value < 0 {
			return fmt.Sprintf("The value of %s must be a positive number of requests, not %d.", n.name, n.value)
		}
	}
	if f.Latency < 0 {
		return "The value of -latency must not be negative."
	}
	if a.options.ReceiptDelay < 0 {
		return "The value of -receipt-delay must not be negative."
	}
	if u := a.options.InboundURL; u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || !rules.IsLoopback(parsed.Hostname()) {
			return fmt.Sprintf("The -inbound-url value %q is not an http URL on a loopback address. The emulator sends nothing off this machine; use one such as http://127.0.0.1:8788/kaleyra.", u)
		}
	}
	if (f.StatusEvery > 0) != (f.Status != 0) {
		return "The options -status-every and -status go together: give both or neither."
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return fmt.Sprintf("The -status value %d is not an HTTP status code.", f.Status)
	}
	if f.RetryAfter != "" && f.Status == 0 {
		return "The option -retry-after only applies with -status-every and -status."
	}
	return ""
}

func runEmulator(env *Env, args []string) int {
	a, status, ok := parseEmulatorArguments(env, args)
	if !ok {
		return status
	}
	a.options.Log = env.Stdout
	dw := &diagWriter{env: env}
	server, err := emulator.New(a.options)
	if err != nil {
		dw.err("Error opening the outbox", err)
		return ExitError
	}
	url, err := server.Start(a.listen)
	if err != nil {
		server.Close()
		if errors.Is(err, syscall.EADDRINUSE) {
			dw.fail("Error starting the emulator", fmt.Sprintf("The address %s is in use by another program (another emulator?). Stop it, or choose another address with -listen.", a.listen))
		} else {
			dw.err("Error starting the emulator", err)
		}
		return ExitError
	}
	// The URL comes first and alone on its line so that scripts can read it.
	fmt.Fprintf(env.Stdout, "%s\n", url)
	fmt.Fprintf(env.Stderr, "Kaleyra emulator listening on %s (messages at %s/v1/%s/messages). Press Ctrl-C to stop.\n",
		url, url, sidOrAny(a.options.SID))
	if a.options.Outbox != "" {
		fmt.Fprintf(env.Stderr, "Appending deliveries to %s.\n", a.options.Outbox)
	}
	env.Logger.Debug("emulator started", "url", url, "faults", fmt.Sprintf("%+v", a.options.Faults))

	<-env.Interrupt
	fmt.Fprintf(env.Stderr, "Stopping after %d requests.\n", server.Requests())
	done := make(chan error, 1)
	go func() { done <- server.Close() }()
	select {
	case err := <-done:
		if err != nil {
			dw.err("Error stopping the emulator", err)
			return ExitError
		}
	case <-time.After(5 * time.Second):
		dw.fail("Error stopping the emulator", "The emulator did not stop within 5s.")
		return ExitError
	}
	return 0
}

func sidOrAny(sid string) string {
	if sid == "" {
		return "{sid}"
	}
	return sid
}
