package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// receiver collects the callbacks it is sent, answering status.
type receiver struct {
	mu     sync.Mutex
	got    []map[string]string
	status int
	*httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: 200}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m map[string]string
		body, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("callback body %q: %v", body, err)
		}
		m["_query"] = req.URL.RawQuery
		r.mu.Lock()
		r.got = append(r.got, m)
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) wait(t *testing.T, n int) []map[string]string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got := append([]map[string]string(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// statuses lists, per message id, the statuses in the order they came.
func statuses(got []map[string]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range got {
		s := m["status"]
		if m["error_code"] != "" {
			s += ":" + m["error_code"]
		}
		out[m["mobile"]] = append(out[m["mobile"]], s)
	}
	return out
}

func TestStatusCallbacks(t *testing.T) {
	rcv := newReceiver(t)
	_, ts := newServer(t, Options{ReceiptDelay: time.Millisecond, FailTo: map[string]string{"+12025550124": "131026"}})
	v := validText()
	v.Set("to", "+12025550123,+12025550124")
	v.Set("callback_url", rcv.URL+"/kaleyra?token=t")
	start := time.Now()
	status, answer := post(t, ts, "/v1/"+sid+"/messages", key, v)
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %v", status, answer)
	}
	got := rcv.wait(t, 5)
	want := map[string][]string{
		"12025550123": {"sent", "delivered", "read"},
		"12025550124": {"sent", "failed:131026"},
	}
	if diff := cmp.Diff(want, statuses(got)); diff != "" {
		t.Fatalf("callbacks (-want +got):\n%s", diff)
	}
	data := answer["data"].([]any)
	ids := map[string]string{}
	for _, d := range data {
		d := d.(map[string]any)
		ids[d["recipient"].(string)] = d["message_id"].(string)
	}
	for _, m := range got {
		if m["id"] != ids[m["mobile"]] || m["ref"] != "r1" || m["_query"] != "token=t" || m["timestamp"] == "" {
			t.Errorf("callback %v: want id %s, ref r1, the URL's query and a timestamp", m, ids[m["mobile"]])
		}
	}
	if time.Since(start) > 5*time.Second {
		t.Error("callbacks took too long")
	}
}

func TestCallbacksDoNotHoldAnswers(t *testing.T) {
	// A receiver that hangs must not slow the API's answers.
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer slow.Close()
	defer close(block)
	_, ts := newServer(t, Options{ReceiptDelay: time.Millisecond})
	v := validText()
	v.Set("callback_url", slow.URL)
	start := time.Now()
	for range 20 {
		if status, _ := post(t, ts, "/v1/"+sid+"/messages", key, v); status != http.StatusAccepted {
			t.Fatalf("status %d", status)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("20 requests took %s with a hanging callback receiver", d)
	}
}

func TestCloseDeliversWhatIsOwed(t *testing.T) {
	rcv := newReceiver(t)
	s, ts := newServer(t, Options{ReceiptDelay: time.Hour})
	v := validText()
	v.Set("callback_url", rcv.URL)
	for range 3 {
		post(t, ts, "/v1/"+sid+"/messages", key, v)
	}
	if n := len(rcv.wait(t, 0)); n != 0 {
		t.Fatalf("%d callbacks before the delay", n)
	}
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > closeDrain+time.Second {
		t.Errorf("Close took %s", d)
	}
	if got := rcv.wait(t, 9); len(got) != 9 {
		t.Errorf("%d callbacks after Close, want 9", len(got))
	}
}

func TestCallbacksOnlyToLoopback(t *testing.T) {
	s, ts := newServer(t, Options{ReceiptDelay: time.Millisecond})
	v := validText()
	v.Set("callback_url", "https://hooks.example.com/kaleyra")
	if status, _ := post(t, ts, "/v1/"+sid+"/messages", key, v); status != http.StatusAccepted {
		t.Fatalf("status %d", status)
	}
	s.Close()
	if p, d := s.callbacks.posted.Load(), s.callbacks.dropped.Load(); p != 0 || d != 0 {
		t.Errorf("posted %d, dropped %d callbacks for a non-loopback URL", p, d)
	}
}

func TestRefusedCallbackIsRetriedThenDropped(t *testing.T) {
	rcv := newReceiver(t)
	rcv.status = 401
	var log strings.Builder
	var mu sync.Mutex
	s, ts := newServer(t, Options{ReceiptDelay: time.Millisecond, Log: lockedWriter{&mu, &log}})
	v := validText()
	v.Set("callback_url", rcv.URL)
	post(t, ts, "/v1/"+sid+"/messages", key, v)
	if got := rcv.wait(t, 3*callbackTries); len(got) != 3*callbackTries {
		t.Fatalf("%d tries, want %d", len(got), 3*callbackTries)
	}
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(log.String(), "not delivered: answered 401") {
		t.Errorf("log:\n%s", log.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestInbound(t *testing.T) {
	rcv := newReceiver(t)
	_, ts := newServer(t, Options{InboundURL: rcv.URL + "/kaleyra"})
	status, body := post(t, ts, InboundPath, "", form("from", "+12025550123", "wanumber", "12025550100", "body", "see you"))
	if status != 200 || body["forwarded"] != true {
		t.Fatalf("%d %v", status, body)
	}
	got := rcv.wait(t, 1)
	if len(got) != 1 || got[0]["from"] != "12025550123" || got[0]["wanumber"] != "12025550100" || got[0]["created_at"] == "" || got[0]["body"] != "see you" {
		t.Errorf("forwarded %v", got)
	}

	rcv.mu.Lock()
	rcv.status = 503
	rcv.mu.Unlock()
	if status, body := post(t, ts, InboundPath, "", form("from", "+12025550123", "wanumber", "+12025550100")); status != http.StatusBadGateway {
		t.Errorf("a refused forward: %d %v", status, body)
	}
	for _, c := range []struct {
		v    map[string]string
		want string
	}{
		{map[string]string{"from": "hello", "wanumber": "+12025550100"}, "from: "},
		{map[string]string{"from": "+12025550123"}, "wanumber: "},
	} {
		f := form()
		for k, v := range c.v {
			f.Set(k, v)
		}
		status, body := post(t, ts, InboundPath, "", f)
		if status != http.StatusBadRequest || !strings.Contains(body["message"].(string), c.want) {
			t.Errorf("%v: %d %v", c.v, status, body)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+InboundPath, nil)
	if status, _ := do(t, req); status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", status)
	}

	_, bare := newServer(t, Options{})
	if status, body := post(t, bare, InboundPath, "", form("from", "+12025550123", "wanumber", "+12025550100")); status != http.StatusConflict || !strings.Contains(body["message"].(string), "-inbound-url") {
		t.Errorf("no inbound URL: %d %v", status, body)
	}
	if _, err := New(Options{InboundURL: "https://hooks.example.com/in"}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("a non-loopback inbound URL: %v", err)
	}
}

func TestParseFailTo(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{"", map[string]string{}, ""},
		{"+12025550123:131026, +12025550124:131047", map[string]string{"+12025550123": "131026", "+12025550124": "131047"}, ""},
		{"+12025550123", nil, "is not NUMBER:CODE"},
		{"+12025550123:", nil, "is not NUMBER:CODE"},
		{"12025550123:131026", nil, "E.164"},
	} {
		got, err := ParseFailTo(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseFailTo(%q) = %v, want an error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !cmp.Equal(got, c.want) {
			t.Errorf("ParseFailTo(%q) = %v, %v", c.in, got, err)
		}
	}
}
