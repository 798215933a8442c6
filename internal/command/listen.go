package command

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/heraldhq/herald/internal/command/arguments"
	"github.com/heraldhq/herald/internal/listen"
)

var cmdListen = &Command{
	UsageLine: "herald listen [-listen ADDR] [-path PATH] [-token TOKEN] [-json]",
	Short:     "Record Kaleyra's delivery receipts and replies",
	Long: `
Serves Kaleyra's callbacks until interrupted and records them in the state
the configuration names (the local state file or the PostgreSQL backend):
status receipts (sent, delivered, read, failed, not-sent) and incoming
messages. Of an incoming message herald records who wrote to which sender
number and when, never what they wrote. Plans and "state list" then show
who got each message, and a message that failed on the phone's side is
planned again.

Point callback_url (or Kaleyra's callback profile) at
http://ADDR/PATH, behind a proxy that terminates TLS when Kaleyra must
reach it from the internet. Each callback must carry the token: as an
"Authorization: Bearer TOKEN" header, as the Basic-auth password, or as a
token=TOKEN query parameter. Without a token, herald listen serves a
loopback address only. Prefer HERALD_LISTEN_TOKEN to -token: other users
of the machine can see a command line.

A callback is answered 2xx only once what it says is on disk (or in the
database), so Kaleyra retries anything a crash lost; recording one twice is
harmless. A callback without the token, or that herald cannot read, is
answered 4xx and changes nothing. A receipt for a message the state does
not hold (yet) is kept, counted as unmatched and folded in when the state
has it. GET /healthz answers the counts as JSON.

Each recorded event is printed as a line, with phone numbers masked; with
-json, as a JSON line. Ctrl-C or SIGTERM stops taking callbacks, finishes
those under way and exits.`,
	Run:              runListen,
	HandlesInterrupt: true,
	Serves:           true,
}

// listenIndexInterval is the least wait between reads of the state that
// a receipt for a message id the listener does not know makes, to learn
// the ids an apply added since (a large state waits longer).
const listenIndexInterval = 100 * time.Millisecond

// listenShutdownTimeout bounds the wait for callbacks under way at exit.
const listenShutdownTimeout = 10 * time.Second

func runListen(env *Env, args []string) int {
	a, diags, err := arguments.ParseListen(newFlagSet(env, "listen"), args, os.Getenv)
	if err != nil {
		return flagStatus(err)
	}
	dw := &diagWriter{env: env}
	if a.JSON {
		dw.jsonToStderr()
	}
	if dw.diags(diags); diags.HasErrors() {
		return ExitError
	}
	// The address first: a port in use is the likeliest failure, and
	// needs no state read to report.
	ln, err := net.Listen("tcp", a.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			dw.fail("Error starting the listener", fmt.Sprintf("The address %s is in use by another program (another herald listen?). Stop it, or choose another address with -listen.", a.Addr))
		} else {
			dw.err("Error starting the listener", err)
		}
		return ExitError
	}
	defer ln.Close()
	backend, ok := openStateBackend(env, dw)
	if !ok {
		return ExitError
	}
	defer closeBackend(env, backend)
	index, err := listen.NewStateIndex(backend.Read, listenIndexInterval)
	if err != nil {
		dw.err("Error reading the state", err)
		return ExitError
	}
	server, err := listen.New(listen.Options{
		Store: backend, Token: a.Token, Path: a.Path, Index: index,
		Logger: env.Logger.Named("listen"), Events: env.Stdout, JSON: a.JSON,
	})
	if err != nil {
		dw.err("Error starting the listener", err)
		return ExitError
	}
	srv := &http.Server{
		Handler:           server,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + a.Path
	auth := "no token: loopback only"
	if a.Token != "" {
		auth = "token required"
	}
	fmt.Fprintf(env.Stderr, "Listening for Kaleyra's callbacks at %s (%s; %d message ids in %s). Press Ctrl-C to stop.\n",
		url, auth, index.Len(), backendWhere(backend, "the state"))
	env.Logger.Debug("listening", "url", url, "token", a.Token != "")

	select {
	case <-env.Interrupt:
	case err := <-served:
		dw.err("Error serving callbacks", err)
		return ExitError
	}
	// Callbacks under way finish and are answered; new ones are refused,
	// and Kaleyra retries them.
	ctx, cancel := context.WithTimeout(context.Background(), listenShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(ctx)
	// The last receipts may have come before the state that holds their
	// ids was written: read it once more for the final count.
	if rerr := index.Reload(); rerr != nil {
		env.Logger.Debug("reading the state for the final count", "error", rerr)
	}
	c := server.Counts()
	fmt.Fprintf(env.Stderr, "Stopped: %d callbacks received, %d events recorded (%d unmatched), %d refused.\n",
		c.Received, c.Recorded, c.Unmatched, c.Rejected)
	if err != nil {
		dw.fail("Error stopping the listener", fmt.Sprintf("Callbacks still under way after %s were cut off; Kaleyra will retry them.", listenShutdownTimeout))
		return ExitError
	}
	return 0
}
