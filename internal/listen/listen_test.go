package listen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/listen"
	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
)

// fakeStore keeps what it is given, or fails.
type fakeStore struct {
	mu     sync.Mutex
	events []receipts.Event
	calls  int
	err    error
}

func (f *fakeStore) RecordReceipts(_ context.Context, events []receipts.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	f.events = append(f.events, events...)
	return nil
}

func (f *fakeStore) recorded() []receipts.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]receipts.Event(nil), f.events...)
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newServer(t *testing.T, opts listen.Options) (*listen.Server, *fakeStore) {
	t.Helper()
	store := &fakeStore{}
	if opts.Store == nil {
		opts.Store = store
	}
	opts.Now = func() time.Time { return now }
	s, err := listen.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, store
}

func do(s http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func post(path, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func multipartBody(t *testing.T, fields map[string]string) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	return mw.FormDataContentType(), b.String()
}

func TestCallbacks(t *testing.T) {
	ct, mp := multipartBody(t, map[string]string{"id": "m-3", "status": "Read", "mobile": "+12025550123"})
	sent := time.Date(2020, 1, 29, 6, 22, 21, 0, time.UTC)
	status := func(id string, st states.ReceiptStatus, at time.Time) receipts.Event {
		return receipts.Event{Kind: receipts.StatusKind, MessageID: id, Status: st, Recipient: "+12025550123", At: at, Received: now}
	}
	for _, c := range []struct {
		name string
		req  *http.Request
		want []receipts.Event
	}{
		{"v1 GET query", httptest.NewRequest(http.MethodGet, "/kaleyra?id=m-1&status=DELIVERED&mobile=12025550123&timestamp=15802x79", nil), nil},
		{"v1 GET query, unix seconds",
			httptest.NewRequest(http.MethodGet, "/kaleyra?id=m-1&status=DELIVERED&mobile=12025550123&timestamp=1580278941", nil),
			[]receipts.Event{status("m-1", states.Delivered, sent)}},
		{"v1 POST JSON, date-time string and refs",
			post("/kaleyra", "application/json", `{"id":"m-2","status":"sent","phone_number":"+1 202 555 0123","ref":"r","ref1":"r1","ref2":"r2","timestamp":"2020-01-29 06:22:21+00:00"}`),
			[]receipts.Event{func() receipts.Event {
				e := status("m-2", states.Accepted, sent)
				e.Ref, e.Ref1, e.Ref2 = "r", "r1", "r2"
				return e
			}()}},
		{"v1 POST form, failed with a numeric code",
			post("/kaleyra", "application/x-www-form-urlencoded", url.Values{"id": {"m-4"}, "status": {"failed"}, "mobile": {"12025550123"}, "error_code": {"131047"}, "error": {"Re-engagement message"}}.Encode()),
			[]receipts.Event{func() receipts.Event {
				e := status("m-4", states.ReceiptFailed, now)
				e.ErrorCode, e.ErrorText = "131047", "Re-engagement message"
				return e
			}()}},
		{"v1 POST multipart", post("/kaleyra", ct, mp), []receipts.Event{status("m-3", states.Read, now)}},
		{"not-sent, no content type",
			post("/kaleyra", "", `{"id":"m-5","status":"Not-Sent","mobile":12025550123,"error_code":"WAV2101","timestamp":1580278941000}`),
			[]receipts.Event{func() receipts.Event {
				e := status("m-5", states.NotSent, sent)
				e.ErrorCode = "WAV2101"
				return e
			}()}},
		{"success drops an empty error",
			post("/kaleyra", "application/json", `{"id":"m-6","status":"delivered","mobile":"12025550123","error":"","error_code":"0"}`),
			[]receipts.Event{status("m-6", states.Delivered, now)}},
		{"v2 Meta-shaped",
			post("/kaleyra", "application/json", `{"message_id":"m-7","status":"failed","extra_info":{"ref":"x","ref1":"y","ref2":"z"},
			  "meta_object":{"value":{"statuses":[{"id":"wamid.1","status":"failed","timestamp":"1580278941","recipient_id":"12025550123",
			  "errors":[{"code":131026,"title":"Message undeliverable"}]}]}}}`),
			[]receipts.Event{func() receipts.Event {
				e := status("m-7", states.ReceiptFailed, sent)
				e.Ref, e.Ref1, e.Ref2 = "x", "y", "z"
				e.ErrorCode, e.ErrorText = "131026", "Message undeliverable"
				return e
			}()}},
		{"v2 with two statuses",
			post("/kaleyra", "application/json", `{"message_id":"m-8","status":"read","mobile":"12025550123",
			  "meta_object":{"value":{"statuses":[{"status":"delivered"},{"status":"read"}]}}}`),
			[]receipts.Event{status("m-8", states.Delivered, now), status("m-8", states.Read, now)}},
		{"an array of callbacks",
			post("/kaleyra", "application/json", `[{"id":"a","status":"sent","mobile":"12025550123"},{"id":"b","status":"read","mobile":"12025550123"}]`),
			[]receipts.Event{status("a", states.Accepted, now), status("b", states.Read, now)}},
		{"inbound, text never kept",
			post("/kaleyra", "application/json", `{"from":"12025550123","wanumber":"12025550100","created_at":"2020-01-29 06:22:21","type":"text","body":"my secret reply","name":"Ann"}`),
			[]receipts.Event{{Kind: receipts.InboundKind, Recipient: "+12025550123", Sender: "+12025550100", At: sent, Received: now}}},
		{"inbound by GET with mobile",
			httptest.NewRequest(http.MethodGet, "/kaleyra?mobile=%2B12025550123&wanumber=12025550100&type=image&created_at=1580278941", nil),
			[]receipts.Event{{Kind: receipts.InboundKind, Recipient: "+12025550123", Sender: "+12025550100", At: sent, Received: now}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, store := newServer(t, listen.Options{})
			w := do(s, c.req)
			if c.want == nil {
				if w.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
				}
				if len(store.recorded()) != 0 {
					t.Fatalf("recorded %v", store.recorded())
				}
				return
			}
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if diff := cmp.Diff(c.want, store.recorded()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	big := `{"id":"m","status":"read","pad":"` + strings.Repeat("x", listen.MaxBodyBytes) + `"}`
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
		reason string
	}{
		{"no token", post("/kaleyra", "application/json", `{"id":"m","status":"read"}`), 401, "token"},
		{"wrong bearer", withHeader(post("/kaleyra", "application/json", `{"id":"m","status":"read"}`), "Authorization", "Bearer nope"), 401, "token"},
		{"wrong basic password", withBasic(post("/kaleyra", "application/json", `{"id":"m","status":"read"}`), "kaleyra", "nope"), 401, "token"},
		{"wrong query token", httptest.NewRequest(http.MethodGet, "/kaleyra?token=nope&id=m&status=read", nil), 401, "token"},
		{"token as basic user is not enough", withBasic(post("/kaleyra", "application/json", `{"id":"m","status":"read"}`), "s3cret-token", ""), 401, "token"},
		{"huge body", authed(post("/kaleyra", "application/json", big)), 413, "larger than"},
		{"malformed JSON", authed(post("/kaleyra", "application/json", `{"id":`)), 400, "does not parse"},
		{"JSON not an object", authed(post("/kaleyra", "application/json", `"hello"`)), 400, "not an object"},
		{"two JSON values", authed(post("/kaleyra", "application/json", `{"id":"m","status":"read"}{}`)), 400, "more than one"},
		{"unknown status", authed(post("/kaleyra", "application/json", `{"id":"m","status":"enroute"}`)), 400, `enroute\" is not one of`},
		{"no id", authed(post("/kaleyra", "application/json", `{"status":"read"}`)), 400, "no id"},
		{"no status", authed(post("/kaleyra", "application/json", `{"id":"m"}`)), 400, "no status"},
		{"neither", authed(post("/kaleyra", "application/json", `{"hello":"world"}`)), 400, "neither"},
		{"inbound without wanumber", authed(post("/kaleyra", "application/json", `{"from":"12025550123","wanumber":""}`)), 400, "no wanumber"},
		{"bad number", authed(post("/kaleyra", "application/json", `{"id":"m","status":"read","mobile":"call me"}`)), 400, "not a phone number"},
		{"number too long, not echoed", authed(post("/kaleyra", "application/json", `{"id":"m","status":"read","mobile":"120255501234567890"}`)), 400, "the recipient (mobile) is not a phone number"},
		{"impossible number", authed(post("/kaleyra", "application/json", `{"id":"m","status":"read","mobile":"123"}`)), 400, "not a phone number"},
		{"bad timestamp", authed(post("/kaleyra", "application/json", `{"id":"m","status":"read","timestamp":"yesterday"}`)), 400, "timestamp"},
		{"bad v2 status", authed(post("/kaleyra", "application/json", `{"message_id":"m","meta_object":{"value":{"statuses":[{"status":"warning"}]}}}`)), 400, "statuses[0]"},
		{"one bad of an array", authed(post("/kaleyra", "application/json", `[{"id":"a","status":"read"},{"id":"b","status":"?"}]`)), 400, "not one of"},
		{"unsupported type", authed(post("/kaleyra", "text/plain", `id=m`)), 415, "not JSON or a form"},
		{"bad content type", authed(post("/kaleyra", "text/", `id=m`)), 415, "does not parse"},
		{"PUT", authed(httptest.NewRequest(http.MethodPut, "/kaleyra", nil)), 405, "GET or POST"},
		{"other path", authed(httptest.NewRequest(http.MethodGet, "/other", nil)), 404, "/kaleyra"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log bytes.Buffer
			s, store := newServer(t, listen.Options{Token: "s3cret-token", Events: &log})
			w := do(s, c.req)
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.reason) {
				t.Fatalf("answer %d %s, want %d with %q", w.Code, w.Body, c.status, c.reason)
			}
			if strings.Contains(w.Body.String(), "1202555") {
				t.Errorf("the answer echoes a number: %s", w.Body)
			}
			if store.calls != 0 || log.Len() != 0 {
				t.Fatalf("recorded %v, logged %q", store.recorded(), log.String())
			}
			if c.status == 404 {
				return
			}
			if got := s.Counts(); got.Received != 1 || got.Rejected != 1 || got.Recorded != 0 {
				t.Errorf("counts %+v", got)
			}
		})
	}
}

func withHeader(r *http.Request, k, v string) *http.Request { r.Header.Set(k, v); return r }
func withBasic(r *http.Request, user, pass string) *http.Request {
	r.SetBasicAuth(user, pass)
	return r
}
func authed(r *http.Request) *http.Request {
	return withHeader(r, "Authorization", "Bearer s3cret-token")
}

func TestTokenPlaces(t *testing.T) {
	body := `{"id":"m","status":"read","mobile":"12025550123"}`
	for _, r := range []*http.Request{
		withHeader(post("/kaleyra", "application/json", body), "Authorization", "Bearer s3cret-token"),
		withHeader(post("/kaleyra", "application/json", body), "Authorization", "bearer s3cret-token"),
		withBasic(post("/kaleyra", "application/json", body), "kaleyra", "s3cret-token"),
		post("/kaleyra?token=s3cret-token", "application/json", body),
		httptest.NewRequest(http.MethodGet, "/kaleyra?token=s3cret-token&id=m&status=read", nil),
	} {
		s, store := newServer(t, listen.Options{Token: "s3cret-token"})
		if w := do(s, r); w.Code != 200 || len(store.recorded()) != 1 {
			t.Errorf("%s %s with %q: %d %s", r.Method, r.URL, r.Header.Get("Authorization"), w.Code, w.Body)
		}
	}
}

func TestStoreFailure(t *testing.T) {
	store := &fakeStore{err: errors.New("disk full")}
	s, _ := newServer(t, listen.Options{Store: store})
	w := do(s, post("/kaleyra", "application/json", `{"id":"m","status":"read"}`))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	if c := s.Counts(); c.Recorded != 0 || c.StoreErrors != 1 {
		t.Errorf("counts %+v", c)
	}
}

// fixedIndex knows a set of message ids.
type fixedIndex map[string]bool

func (x fixedIndex) Known(e *receipts.Event) bool { return x[e.MessageID] }

func TestUnmatchedAndHealth(t *testing.T) {
	var log bytes.Buffer
	s, store := newServer(t, listen.Options{Index: fixedIndex{"known": true}, Events: &log, JSON: true, Token: "s3cret-token"})
	for _, body := range []string{
		`{"id":"known","status":"delivered","mobile":"12025550123"}`,
		`{"id":"stranger","status":"read","mobile":"12025550123"}`,
		`{"from":"12025550123","wanumber":"12025550100","body":"do not keep me"}`,
	} {
		if w := do(s, authed(post("/kaleyra?token=s3cret-token", "application/json", body))); w.Code != 200 {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
	}
	do(s, post("/kaleyra", "application/json", `{}`)) // no token
	if n := len(store.recorded()); n != 3 {
		t.Fatalf("%d recorded, want 3 (an unmatched receipt is recorded too)", n)
	}
	w := do(s, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	var got listen.Counts
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	want := listen.Counts{Received: 4, Rejected: 1, Recorded: 3, Unmatched: 1, ByKind: map[string]int64{"status": 2, "inbound": 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("healthz (-want +got):\n%s", diff)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log lines:\n%s", log.String())
	}
	for _, secret := range []string{"s3cret-token", "12025550123", "12025550100", "do not keep me"} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, log.String())
		}
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &line); err != nil {
		t.Fatal(err)
	}
	if line["unmatched"] != true || line["recipient"] != "+120******23" || line["status"] != "read" {
		t.Errorf("line %v", line)
	}
}

func TestTextLog(t *testing.T) {
	var log bytes.Buffer
	s, _ := newServer(t, listen.Options{Events: &log})
	do(s, post("/kaleyra", "application/json", `{"id":"m-1","status":"failed","mobile":"12025550123","error_code":"131047"}`))
	do(s, post("/kaleyra", "application/json", `{"from":"12025550123","wanumber":"12025550100","body":"hi"}`))
	for _, want := range []string{"failed    id=m-1 +120******23 code=131047", "inbound   +120******23 wrote to +120******00"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestCheckAddress(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8788", "", true},
		{"[::1]:8788", "", true},
		{"localhost:0", "", true},
		{"0.0.0.0:8788", "", false},
		{":8788", "", false},
		{"0.0.0.0:8788", "t", true},
		{"nonsense", "t", false},
	} {
		if err := listen.CheckAddress(c.addr, c.token); (err == nil) != c.ok {
			t.Errorf("CheckAddress(%q, %q) = %v", c.addr, c.token, err)
		}
	}
}

func TestNewRefusesBadPath(t *testing.T) {
	for _, p := range []string{"kaleyra", "/healthz"} {
		if _, err := listen.New(listen.Options{Store: &fakeStore{}, Path: p}); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if _, err := listen.New(listen.Options{}); err == nil {
		t.Error("no store accepted")
	}
}

func TestStateIndex(t *testing.T) {
	st := states.New("lineage")
	key := delivery.Key{Recipient: "+12025550123", Ref: "r"}
	st.Set(&states.Delivery{Key: key, Address: "message.a", Status: states.Sent, MessageID: "old"})
	reads := 0
	read := func() (*states.State, error) { reads++; return st, nil }
	x, err := listen.NewStateIndex(read, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Known(&receipts.Event{MessageID: "old"}) || reads != 1 {
		t.Fatalf("a known id: reads %d", reads)
	}
	// An apply sends another and records it; the index reads again on a miss.
	st.Set(&states.Delivery{Key: delivery.Key{Recipient: "+12025550124", Ref: "r"}, Address: "message.a", Status: states.Sent, MessageID: "new"})
	st.Set(&states.Delivery{Key: delivery.Key{Recipient: "+12025550125", Ref: "u"}, Address: "message.a", Status: states.Unknown})
	time.Sleep(5 * time.Millisecond) // past ten times the last read's time
	if !x.Known(&receipts.Event{MessageID: "new"}) || reads != 2 {
		t.Fatalf("a new id: reads %d", reads)
	}
	if !x.Known(&receipts.Event{MessageID: "x", Recipient: "+12025550125", Ref: "u"}) {
		t.Error("a receipt for an unknown delivery by recipient and ref")
	}
	slow, _ := listen.NewStateIndex(read, time.Hour)
	before := reads
	if slow.Known(&receipts.Event{MessageID: "never"}) || reads != before {
		t.Errorf("a miss within the interval read the state: %d reads", reads-before)
	}
}

// TestUnmatchedUntilTheStateHoldsIt: a receipt that comes before the
// state holds its message id counts as unmatched only until it does.
func TestUnmatchedUntilTheStateHoldsIt(t *testing.T) {
	index := fixedIndex{}
	s, _ := newServer(t, listen.Options{Index: index})
	for _, body := range []string{
		`{"id":"early","status":"sent","mobile":"12025550123"}`,
		`{"id":"early","status":"delivered","mobile":"12025550123"}`,
		`{"id":"stranger","status":"read","mobile":"12025550123"}`,
	} {
		if w := do(s, post("/kaleyra", "application/json", body)); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	if c := s.Counts(); c.Unmatched != 2 || c.Recorded != 3 {
		t.Fatalf("counts %+v, want 2 message ids unmatched", c)
	}
	index["early"] = true // the apply that sent it wrote the state
	if c := s.Counts(); c.Unmatched != 1 {
		t.Errorf("counts %+v, want 1 unmatched once the state holds the other", c)
	}
}
