// Package listen serves Kaleyra's callbacks: status receipts (sent,
// delivered, read, failed, not-sent; v1 fields and the v2 Meta-shaped
// form) and incoming messages (who wrote to which sender number, and
// when). It reads each callback into receipts.Event values, records them
// in a statemgr.ReceiptStore, and answers 2xx only once the store says
// they are durable, so that Kaleyra retries whatever a crash lost.
//
// It authenticates callbacks with a shared token, bounds their bodies and
// refuses what it cannot read with a 4xx, recording nothing of it. It does
// not match receipts to deliveries nor change the state: folding is
// package receipts' and the store's. It keeps no message text: incoming
// messages are read for their numbers and time only.
package listen

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

// MaxBodyBytes bounds a callback's body: Kaleyra's largest, the v2 form
// with Meta's object inside, is a few kilobytes.
const MaxBodyBytes = 64 << 10

// DefaultPath is where callbacks are served unless told otherwise.
const DefaultPath = "/kaleyra"

// HealthPath serves the counters.
const HealthPath = "/healthz"

// Options configure a Server.
type Options struct {
	// Store records the events; required.
	Store statemgr.ReceiptStore
	// Token, when set, must come with every callback: as a Bearer token,
	// as the Basic-auth password or as the token query parameter.
	Token string
	// Path is where callbacks are served; DefaultPath when "".
	Path string
	// Index tells which status receipts name a delivery herald knows, to
	// count and log the rest as unmatched; nil counts none unmatched.
	Index Index
	// Logger gets diagnostics: refused callbacks, store errors.
	Logger hclog.Logger
	// Events gets one line per recorded event, with numbers masked and
	// never the token or message text; nil for none. JSON selects JSON
	// lines over readable ones.
	Events io.Writer
	JSON   bool
	// MaxBody bounds a body; MaxBodyBytes when 0.
	MaxBody int64
	// Now is the clock, for tests; time.Now when nil.
	Now func() time.Time
}

// Index tells whether a status receipt names a delivery in the state.
type Index interface {
	Known(e *receipts.Event) bool
}

// Server is the callback listener's handler. Mount it whole: it serves
// Options.Path and HealthPath.
type Server struct {
	opts      Options
	tokenHash [sha256.Size]byte
	mux       *http.ServeMux
	counts    counters
	logMu     sync.Mutex

	// unmatched holds the status receipts whose message id the index did
	// not know when they came, by id, until it does: a receipt often
	// comes before the state that holds its id is written.
	unmatchedMu   sync.Mutex
	unmatched     map[string]receipts.Event
	unmatchedLost int64 // past maxUnmatched, counted but not kept
}

// maxUnmatched bounds the receipts kept to check again.
const maxUnmatched = 100_000

// counters are what GET /healthz reports.
type counters struct {
	received, recorded, rejected, storeErrors atomic.Int64
	status, inbound                           atomic.Int64
}

// Counts is a snapshot of the counters.
type Counts struct {
	// Received counts callback requests, Rejected those refused with a
	// 4xx, StoreErrors those answered 503 because the store failed.
	Received    int64 `json:"received"`
	Rejected    int64 `json:"rejected"`
	StoreErrors int64 `json:"store_errors"`
	// Recorded counts events made durable, by kind in ByKind; Unmatched
	// the message ids of status receipts among them that the state does
	// not hold (yet), checked again when the counts are asked for.
	Recorded  int64            `json:"recorded"`
	Unmatched int64            `json:"unmatched"`
	ByKind    map[string]int64 `json:"by_kind"`
}

// New makes a server.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("listen: no receipt store")
	}
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	if !strings.HasPrefix(opts.Path, "/") || opts.Path == HealthPath {
		return nil, fmt.Errorf("the callback path %q must start with / and not be %s", opts.Path, HealthPath)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = MaxBodyBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	if opts.Token != "" {
		s.tokenHash = sha256.Sum256([]byte(opts.Token))
	}
	s.mux.HandleFunc(opts.Path, s.callback)
	s.mux.HandleFunc(HealthPath, s.health)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusNotFound, fmt.Sprintf("no such path; callbacks are served at %s", opts.Path))
	})
	return s, nil
}

// ServeHTTP serves callbacks and the counters.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Counts returns the counters now.
func (s *Server) Counts() Counts {
	c := &s.counts
	return Counts{
		Received: c.received.Load(), Rejected: c.rejected.Load(), StoreErrors: c.storeErrors.Load(),
		Recorded: c.recorded.Load(), Unmatched: s.stillUnmatched(),
		ByKind: map[string]int64{string(receipts.StatusKind): c.status.Load(), string(receipts.InboundKind): c.inbound.Load()},
	}
}

// CheckAddress refuses to serve anything but loopback without a token:
// unauthenticated callbacks from the network could write any receipt.
func CheckAddress(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("the address %q is not host:port, as 127.0.0.1:8788", addr)
	}
	if token == "" && !rules.IsLoopback(host) {
		return fmt.Errorf("the address %q is not a loopback address, and without a token anyone who can reach it could write receipts: set -token or HERALD_LISTEN_TOKEN, or listen on 127.0.0.1 behind a proxy", addr)
	}
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		answer(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.Counts())
}

func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	s.counts.received.Add(1)
	received := s.opts.Now().UTC()
	reject := func(status int, msg string) {
		s.counts.rejected.Add(1)
		s.opts.Logger.Warn("callback refused", "status", status, "reason", msg, "remote", r.RemoteAddr)
		answer(w, status, msg)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		reject(http.StatusMethodNotAllowed, "callbacks are GET or POST")
		return
	}
	if !s.authenticated(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="herald", Basic realm="herald"`)
		reject(http.StatusUnauthorized, "the callback does not carry the listener's token (Authorization: Bearer, the Basic-auth password or the token query parameter)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	list, err := readCallbacks(r)
	var evs []receipts.Event
	for _, f := range list {
		if err != nil {
			break
		}
		var more []receipts.Event
		more, err = events(f, received)
		evs = append(evs, more...)
	}
	if err != nil {
		status := http.StatusBadRequest
		if bc, ok := err.(*badCallback); ok {
			status = bc.status
		}
		reject(status, err.Error())
		return
	}
	if err := s.opts.Store.RecordReceipts(r.Context(), evs); err != nil {
		// Not durable: a 5xx makes Kaleyra try again later.
		s.counts.storeErrors.Add(1)
		s.opts.Logger.Error("recording receipts", "error", err)
		answer(w, http.StatusServiceUnavailable, "the receipts could not be recorded; try again")
		return
	}
	for i := range evs {
		e := &evs[i]
		matched := true
		if e.Kind == receipts.StatusKind {
			s.counts.status.Add(1)
			if s.opts.Index != nil && !s.opts.Index.Known(e) {
				matched = false
				s.addUnmatched(e)
				s.opts.Logger.Info("receipt for a message the state does not hold (yet); it stays recorded and is folded in when the delivery is", "message_id", e.MessageID, "status", e.Status)
			}
		} else {
			s.counts.inbound.Add(1)
		}
		s.counts.recorded.Add(1)
		s.logEvent(e, matched)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"recorded\":%d}\n", len(evs))
}

// authenticated checks the token in constant time against each place it
// may be carried. Without a token every callback is let in (the listener
// then serves loopback only).
func (s *Server) authenticated(r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	var candidates []string
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			candidates = append(candidates, strings.TrimSpace(rest))
		}
		if _, pass, ok := r.BasicAuth(); ok {
			candidates = append(candidates, pass)
		}
	}
	if t := r.URL.Query().Get("token"); t != "" {
		candidates = append(candidates, t)
	}
	ok := 0
	for _, c := range candidates {
		h := sha256.Sum256([]byte(c))
		ok |= subtle.ConstantTimeCompare(h[:], s.tokenHash[:])
	}
	return ok == 1
}

func (s *Server) addUnmatched(e *receipts.Event) {
	s.unmatchedMu.Lock()
	defer s.unmatchedMu.Unlock()
	if s.unmatched == nil {
		s.unmatched = map[string]receipts.Event{}
	}
	if _, ok := s.unmatched[e.MessageID]; ok {
		return
	}
	if len(s.unmatched) >= maxUnmatched {
		s.unmatchedLost++
		return
	}
	s.unmatched[e.MessageID] = *e
}

// stillUnmatched asks the index again about the receipts it did not know
// and counts those it still does not.
func (s *Server) stillUnmatched() int64 {
	s.unmatchedMu.Lock()
	defer s.unmatchedMu.Unlock()
	for id, e := range s.unmatched {
		if s.opts.Index.Known(&e) {
			delete(s.unmatched, id)
		}
	}
	return int64(len(s.unmatched)) + s.unmatchedLost
}

// eventLine is one recorded event in the -json log.
type eventLine struct {
	Time      string `json:"@timestamp"`
	Kind      string `json:"kind"`
	MessageID string `json:"message_id,omitempty"`
	Status    string `json:"status,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	Recipient string `json:"recipient,omitempty"`
	Sender    string `json:"sender,omitempty"`
	Ref       string `json:"ref,omitempty"`
	At        string `json:"at"`
	Unmatched bool   `json:"unmatched,omitempty"`
}

// logEvent writes one line for a recorded event. Numbers are masked;
// error texts are left out, since Meta's may quote what was sent.
func (s *Server) logEvent(e *receipts.Event, matched bool) {
	if s.opts.Events == nil {
		return
	}
	var line string
	if s.opts.JSON {
		b, _ := json.Marshal(eventLine{
			Time: e.Received.Format(time.RFC3339Nano), Kind: string(e.Kind), MessageID: e.MessageID,
			Status: string(e.Status), ErrorCode: e.ErrorCode, Recipient: redact.Number(e.Recipient),
			Sender: redact.Number(e.Sender), Ref: e.Ref, At: e.At.Format(time.RFC3339), Unmatched: !matched,
		})
		line = string(b) + "\n"
	} else {
		var b strings.Builder
		b.WriteString(e.Received.Local().Format("15:04:05") + " ")
		if e.Kind == receipts.InboundKind {
			fmt.Fprintf(&b, "inbound   %s wrote to %s", redact.Number(e.Recipient), redact.Number(e.Sender))
		} else {
			fmt.Fprintf(&b, "%-9s id=%s", e.Status, e.MessageID)
			if e.Recipient != "" {
				b.WriteString(" " + redact.Number(e.Recipient))
			}
			if e.ErrorCode != "" {
				b.WriteString(" code=" + e.ErrorCode)
			}
			if !matched {
				b.WriteString(" (unmatched)")
			}
		}
		line = b.String() + "\n"
	}
	s.logMu.Lock()
	io.WriteString(s.opts.Events, line)
	s.logMu.Unlock()
}

// answer writes a short JSON answer.
func answer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(append(b, '\n'))
}
