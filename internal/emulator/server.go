// Package emulator serves a Kaleyra-compatible WhatsApp messages API on this
// machine, so that herald can be tried, tested and demonstrated without an
// account and without anything leaving the machine.
//
// It checks what Kaleyra checks (the api-key, the SID in the path, the
// fields, E.164 numbers, HTML tags, ref lengths) with Kaleyra's error codes,
// answers with the body Kaleyra's documentation shows, and appends every
// accepted delivery to an outbox file of JSON lines. Faults can be injected
// (latency, fixed statuses, hangs, resets, accepting and then answering
// 500) to test that herald classifies each one right.
//
// Like Kaleyra, it reports accepted deliveries with status callbacks
// (sent, delivered, read; or failed for chosen recipients) and forwards
// simulated replies as incoming-message callbacks, so that herald listen
// can be tried too. It sends those to loopback addresses only.
//
// The emulator serves loopback only; it is not a mock for production use
// and sends nothing off this machine.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// Options configure a Server.
type Options struct {
	// SID is the account SID expected in the path; "" accepts any.
	SID string
	// APIKey is the api-key header expected; "" accepts any non-empty key.
	APIKey string
	// Outbox is a file that each accepted delivery is appended to as a JSON
	// line; "" keeps no outbox.
	Outbox string
	// Log receives one readable line per accepted delivery; nil for none.
	Log io.Writer
	// Faults make some requests misbehave, for tests.
	Faults Faults

	// ReceiptDelay is how long after accepting a delivery whose
	// callback_url is on loopback the emulator posts its status callbacks
	// (sent, delivered, read); DefaultReceiptDelay when 0.
	ReceiptDelay time.Duration
	// FailTo makes deliveries to these recipients (E.164) fail after
	// acceptance: their callbacks say sent, then failed with the code.
	FailTo map[string]string
	// InboundURL receives the incoming-message callbacks of replies
	// simulated at InboundPath; it must be on loopback.
	InboundURL string
}

// Faults make chosen requests misbehave. Requests to the messages path are
// numbered from 1 in the order they arrive; "every N" picks requests N, 2N,
// 3N and so on, "first N" picks requests 1 to N. Zero turns a fault off.
// When several pick the same request, the first in this list wins: hang,
// reset, status, accept-then-500.
type Faults struct {
	// Latency delays every answer.
	Latency time.Duration
	// HangEvery: never answer; the client has to give up.
	HangEvery int
	// ResetEvery: close the connection, with a TCP reset, after reading
	// the request and without answering.
	ResetEvery int
	// Status, with StatusEvery or StatusFirst: answer this status, with an
	// error body, instead of accepting the request.
	Status      int
	StatusEvery int
	StatusFirst int
	// RetryAfter is sent as the Retry-After header with Status answers
	// when set, e.g. "1" or an HTTP date.
	RetryAfter string
	// Accept500Every: accept the request (write the outbox) and then answer
	// 500, the case where the client cannot know the message went out.
	Accept500Every int
}

// Server is one emulator. Its ServeHTTP can also be mounted on an
// httptest.Server.
type Server struct {
	opts     Options
	outbox   *outbox
	requests atomic.Int64
	mux      *http.ServeMux
	// callbacks reports accepted deliveries to their callback_url.
	callbacks *callbacks

	mu       sync.Mutex
	http     *http.Server
	closing  chan struct{}
	closeErr error
	closed   sync.Once
}

// New makes a server, opening (or creating) the outbox for appending.
func New(opts Options) (*Server, error) {
	if opts.InboundURL != "" && !loopbackURL(opts.InboundURL) {
		return nil, fmt.Errorf("the inbound URL %q is not an http URL on a loopback address; the emulator sends nothing off this machine", opts.InboundURL)
	}
	ob, err := openOutbox(opts.Outbox, opts.Log)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, outbox: ob, closing: make(chan struct{}), callbacks: newCallbacks(opts.ReceiptDelay, opts.FailTo, opts.Log)}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/v1/{sid}/messages", s.messages)
	s.mux.HandleFunc(InboundPath, s.inbound)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "E404", fmt.Sprintf("no such API path %s; the messages API is /v1/{sid}/messages", r.URL.Path))
	})
	return s, nil
}

// ServeHTTP serves the messages API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Requests counts the requests made to the messages path so far.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Start listens on listen (host:port; port 0 picks a free one), which must
// be a loopback address, serves in the background and returns the base
// URL to give the client, e.g. http://127.0.0.1:8787.
func (s *Server) Start(listen string) (string, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", listen, err)
	}
	if !rules.IsLoopback(host) {
		return "", fmt.Errorf("listen address %q is not a loopback address; the emulator only serves this machine (use 127.0.0.1)", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return "", err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Hanging requests end when the server closes.
		BaseContext: func(net.Listener) context.Context { return closingContext(s.closing) },
	}
	s.mu.Lock()
	if s.http != nil {
		s.mu.Unlock()
		ln.Close()
		return "", errors.New("the emulator is already started")
	}
	s.http = srv
	s.mu.Unlock()
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// Close stops serving, ends hanging requests, delivers the status
// callbacks it owes (for a few seconds at most) and closes the outbox.
func (s *Server) Close() error {
	s.closed.Do(func() {
		close(s.closing)
		s.mu.Lock()
		srv := s.http
		s.mu.Unlock()
		var errs []error
		if srv != nil {
			errs = append(errs, srv.Close())
		}
		s.callbacks.close()
		errs = append(errs, s.outbox.close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// closingContext is cancelled when closing is closed.
func closingContext(closing <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-closing
		cancel()
	}()
	return ctx
}

// messages is the API: faults first, then the same checks as Kaleyra,
// then the delivery.
func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	n := int(s.requests.Add(1))
	f := s.opts.Faults
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			abort()
		case <-s.closing:
			abort()
		}
	}
	switch {
	case picks(f.HangEvery, 0, n):
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		abort()
	case picks(f.ResetEvery, 0, n):
		reset(w)
		return
	case f.Status != 0 && picks(f.StatusEvery, f.StatusFirst, n):
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, faultCode(f.Status), fmt.Sprintf("emulated fault: status %d", f.Status))
		return
	}

	msg, apiErr := s.readMessage(r)
	if apiErr != nil {
		writeError(w, apiErr.status, apiErr.code, apiErr.message)
		return
	}
	answer := msg.accept(time.Now())
	if err := s.outbox.write(msg); err != nil {
		// A delivery that cannot be recorded is not accepted; a 500 makes
		// the client treat it as unknown, the safe side.
		writeError(w, http.StatusInternalServerError, "WA500", "the emulator could not write its outbox: "+err.Error())
		return
	}
	// Kaleyra reports what it accepted, whatever it answered.
	s.callbacks.enqueue(msg)
	if picks(f.Accept500Every, 0, n) {
		writeError(w, http.StatusInternalServerError, "WA500", "emulated fault: accepted, then answered 500")
		return
	}
	status := http.StatusAccepted
	if r.Method == http.MethodGet {
		status = http.StatusOK
	}
	writeJSON(w, status, answer)
}

// picks tells whether request n is chosen by "every" or "first".
func picks(every, first, n int) bool {
	return (every > 0 && n%every == 0) || (first > 0 && n <= first)
}

// faultCode is the code Kaleyra would give an injected status.
func faultCode(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "WA429"
	case status == http.StatusInternalServerError:
		return "WA500"
	}
	return fmt.Sprintf("E%d", status)
}

// abort ends a request without an answer: returning normally would make
// net/http answer 200 with an empty body.
func abort() { panic(http.ErrAbortHandler) }

// reset drops the connection with a TCP RST and no answer.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		abort()
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}
