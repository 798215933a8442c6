package kaleyra_test

// Contract tests: the client against the emulator (and, for answers the
// emulator never gives, small handlers), checking that every answer and
// fault is classified as sent, failed or unknown as classify documents, and
// that nothing that may have gone out is ever repeated.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/kaleyra"
)

const (
	testSID = "HXAP16XXXXXX17IN"
	testKey = "test-key-5b1e"
	sender  = "+12025550100"
)

// emu starts an emulator on a free loopback port and returns it, its URL
// and its outbox path.
func emu(t testing.TB, faults emulator.Faults) (*emulator.Server, string, string) {
	t.Helper()
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	s, err := emulator.New(emulator.Options{SID: testSID, APIKey: testKey, Outbox: outbox, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url, outbox
}

func client(t testing.TB, endpoint string, edit func(*kaleyra.Settings)) *kaleyra.Client {
	t.Helper()
	s := kaleyra.Settings{SID: testSID, APIKey: testKey, Endpoint: endpoint, Timeout: 5 * time.Second, MessagesPerSecond: 1000}
	if edit != nil {
		edit(&s)
	}
	c, err := kaleyra.New(s, kaleyra.Options{Parallelism: 16})
	if err != nil {
		t.Fatal(err)
	}
	kaleyra.SetBackoff(c, time.Millisecond)
	return c
}

func textBatch(to ...string) kaleyra.Batch {
	return kaleyra.Batch{Channel: "whatsapp", From: sender, To: to, Ref: "release-v1",
		Content: delivery.Content{Type: delivery.Text, Body: "Rollout v1 <complete>"}}
}

func templateBatch(to ...string) kaleyra.Batch {
	return kaleyra.Batch{Channel: "whatsapp", From: sender, To: to, Ref: "release-v1", Ref1: "rollout", Ref2: "wave-1",
		CallbackURL: "https://hooks.example.com/kaleyra",
		Content: delivery.Content{Type: delivery.Template, TemplateName: "release_announcement", Language: "en",
			Params: []delivery.Param{{Name: "version", Value: `v1.2 "beta"`}, {Name: "eta", Value: "today, 5pm"}}}}
}

// send sends b, checking that ready is called exactly once.
func send(t testing.TB, c *kaleyra.Client, b kaleyra.Batch) []kaleyra.Outcome {
	t.Helper()
	var readies int
	out, err := c.Send(context.Background(), b, func() error { readies++; return nil })
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if readies != 1 {
		t.Fatalf("ready called %d times, want 1", readies)
	}
	if len(out) != len(b.To) {
		t.Fatalf("%d outcomes for %d recipients", len(out), len(b.To))
	}
	for i, o := range out {
		if o.Recipient != b.To[i] {
			t.Fatalf("outcome %d is for %s, want %s", i, o.Recipient, b.To[i])
		}
	}
	return out
}

func readOutbox(t testing.TB, path string) []emulator.Record {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []emulator.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r emulator.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestEveryEncodingDelivers(t *testing.T) {
	for _, wire := range []struct{ method, encoding string }{
		{"POST", "form"}, {"POST", "multipart"}, {"POST", "json"}, {"GET", ""},
	} {
		t.Run(wire.method+" "+wire.encoding, func(t *testing.T) {
			_, url, outbox := emu(t, emulator.Faults{})
			c := client(t, url, func(s *kaleyra.Settings) { s.Method, s.Encoding, s.Sandbox = wire.method, wire.encoding, true })
			for _, b := range []kaleyra.Batch{textBatch("+12025550123"), templateBatch("+12025550124")} {
				out := send(t, c, b)
				if out[0].Status != kaleyra.Sent || out[0].RequestID == "" || out[0].MessageID != out[0].RequestID+":0" || out[0].Attempts != 1 {
					t.Errorf("%s: outcome %+v, want sent with ids after 1 attempt", b.Content.Type, out[0])
				}
			}
			recs := readOutbox(t, outbox)
			if len(recs) != 2 {
				t.Fatalf("outbox has %d records, want 2", len(recs))
			}
			want := []emulator.Record{
				{SID: testSID, Channel: "whatsapp", From: sender, To: "+12025550123", Type: "text", Body: "Rollout v1 <complete>", Ref: "release-v1", Sandbox: true},
				{SID: testSID, Channel: "whatsapp", From: sender, To: "+12025550124", Type: "template", Template: "release_announcement",
					Params: []string{`v1.2 "beta"`, "today, 5pm"}, LangCode: "en", Ref: "release-v1", Ref1: "rollout", Ref2: "wave-1",
					CallbackURL: "https://hooks.example.com/kaleyra", Sandbox: true},
			}
			ignoreIDs := cmp.Transformer("noIDs", func(r emulator.Record) emulator.Record {
				r.Time, r.RequestID, r.MessageID = time.Time{}, "", ""
				return r
			})
			if diff := cmp.Diff(want, recs, ignoreIDs); diff != "" {
				t.Errorf("outbox (-want +got):\n%s", diff)
			}
		})
	}
}

// Rich content travels in every encoding: a media message's URL and
// caption, and a media template's header URL, text header and button part.
func TestEveryEncodingDeliversRichContent(t *testing.T) {
	media := kaleyra.Batch{Channel: "whatsapp", From: sender, To: []string{"+12025550123"}, Ref: "notes-v2",
		Content: delivery.Content{Type: delivery.Media, MediaURL: "https://cdn.example.com/notes-v2.pdf", Caption: "Notes for <b>v2</b>, \"final\""}}
	launch := kaleyra.Batch{Channel: "whatsapp", From: sender, To: []string{"+12025550124"}, Ref: "launch-v2",
		Content: delivery.Content{Type: delivery.MediaTemplate, TemplateName: "launch_banner", Header: delivery.HeaderImage,
			Params: []delivery.Param{{Name: "version", Value: "v2"}}, MediaURL: "https://cdn.example.com/v2.png", ButtonURL: "v2?from=wa&x=1"}}
	textHeader := kaleyra.Batch{Channel: "whatsapp", From: sender, To: []string{"+12025550125"}, Ref: "launch-v2",
		Content: delivery.Content{Type: delivery.Template, TemplateName: "launch_text", Header: delivery.HeaderText, HeaderText: "Today: v2"}}
	want := []emulator.Record{
		{SID: testSID, Channel: "whatsapp", From: sender, To: "+12025550123", Type: "media",
			MediaURL: "https://cdn.example.com/notes-v2.pdf", Caption: "Notes for <b>v2</b>, \"final\"", Ref: "notes-v2"},
		{SID: testSID, Channel: "whatsapp", From: sender, To: "+12025550124", Type: "mediatemplate", Template: "launch_banner",
			Params: []string{"v2"}, MediaURL: "https://cdn.example.com/v2.png", ParamURL: "v2?from=wa&x=1", Ref: "launch-v2"},
		{SID: testSID, Channel: "whatsapp", From: sender, To: "+12025550125", Type: "template", Template: "launch_text",
			ParamHeader: "Today: v2", Ref: "launch-v2"},
	}
	ignoreIDs := cmp.Transformer("noIDs", func(r emulator.Record) emulator.Record {
		r.Time, r.RequestID, r.MessageID = time.Time{}, "", ""
		return r
	})
	for _, wire := range []struct{ method, encoding string }{
		{"POST", "form"}, {"POST", "multipart"}, {"POST", "json"}, {"GET", ""},
	} {
		t.Run(wire.method+" "+wire.encoding, func(t *testing.T) {
			_, url, outbox := emu(t, emulator.Faults{})
			c := client(t, url, func(s *kaleyra.Settings) { s.Method, s.Encoding = wire.method, wire.encoding })
			for _, b := range []kaleyra.Batch{media, launch, textHeader} {
				if out := send(t, c, b); out[0].Status != kaleyra.Sent {
					t.Errorf("%s: outcome %+v, want sent", b.Content.Type, out[0])
				}
			}
			if diff := cmp.Diff(want, readOutbox(t, outbox), ignoreIDs); diff != "" {
				t.Errorf("outbox (-want +got):\n%s", diff)
			}
		})
	}
}

// The client refuses rich content that breaks a rule before sending it.
func TestRichContentRefusedBeforeSending(t *testing.T) {
	s, url, _ := emu(t, emulator.Faults{})
	c := client(t, url, nil)
	long := strings.Repeat("x", 1025)
	for name, content := range map[string]delivery.Content{
		"http media URL to a public host": {Type: delivery.Media, MediaURL: "http://cdn.example.com/n.pdf"},
		"caption over the limit":          {Type: delivery.Media, MediaURL: "https://cdn.example.com/n.pdf", Caption: long},
		"media template without a URL":    {Type: delivery.MediaTemplate, TemplateName: "t", Header: delivery.HeaderImage},
		"tag in the button part":          {Type: delivery.Template, TemplateName: "t", ButtonURL: "<a>x</a>"},
		"tag in the text header":          {Type: delivery.Template, TemplateName: "t", Header: delivery.HeaderText, HeaderText: "<b>x</b>"},
	} {
		b := kaleyra.Batch{Channel: "whatsapp", From: sender, To: []string{"+12025550123"}, Ref: "r", Content: content}
		out, err := c.Send(context.Background(), b, func() error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Status != kaleyra.Failed || out[0].Code == "" {
			t.Errorf("%s: outcome %+v, want failed with a code", name, out[0])
		}
	}
	if n := s.Requests(); n != 0 {
		t.Errorf("the emulator saw %d requests, want none", n)
	}
}

func TestBatchOfHundred(t *testing.T) {
	_, url, outbox := emu(t, emulator.Faults{})
	c := client(t, url, nil)
	var to []string
	for i := range 100 {
		to = append(to, fmt.Sprintf("+1202555%04d", 100+i))
	}
	out := send(t, c, textBatch(to...))
	seen := map[string]bool{}
	for i, o := range out {
		if o.Status != kaleyra.Sent || o.MessageID != fmt.Sprintf("%s:%d", o.RequestID, i) || seen[o.MessageID] {
			t.Fatalf("outcome %d = %+v", i, o)
		}
		seen[o.MessageID] = true
	}
	if n := len(readOutbox(t, outbox)); n != 100 {
		t.Errorf("outbox has %d records, want 100", n)
	}
}

// A recipient is matched to its message_id by number, not by position, and
// one missing from the answer is unknown.
func TestBatchAnswerMatchedByRecipient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"id":"req-1","type":"text","totalCount":2,"data":[
			{"message_id":"req-1:1","recipient":"12025550125"},
			{"message_id":"req-1:0","recipient":"12025550123"}],"error":{}}`)
	}))
	defer srv.Close()
	c := client(t, srv.URL, nil)
	out := send(t, c, textBatch("+12025550123", "+12025550124", "+12025550125"))
	got := []string{out[0].Status.String() + " " + out[0].MessageID, out[1].Status.String() + " " + out[1].Code, out[2].Status.String() + " " + out[2].MessageID}
	want := []string{"sent req-1:0", "unknown NOT_IN_ANSWER", "sent req-1:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if out[1].RequestID != "req-1" {
		t.Errorf("the unknown outcome lost the request id: %+v", out[1])
	}
}

// TestKaleyraRefusals: the emulator refuses bad credentials with Kaleyra's
// code; a batch breaking a field rule is refused by the client itself with
// the same code Kaleyra gives, before ready and without a request.
func TestKaleyraRefusals(t *testing.T) {
	srv, url, outbox := emu(t, emulator.Faults{})
	tests := []struct {
		name  string
		edit  func(*kaleyra.Settings)
		batch kaleyra.Batch
		code  string
		local bool // refused by the client's own check of Kaleyra's rules
	}{
		{"invalid from", nil, func() kaleyra.Batch { b := textBatch("+12025550123"); b.From = "+1202555"; return b }(), "E13008", true},
		{"invalid to", nil, textBatch("+12025550123", "+10000000000"), "E13009", true},
		{"html in a param", nil, func() kaleyra.Batch {
			b := templateBatch("+12025550123")
			b.Content.Params[0].Value = "<b>v1</b>"
			return b
		}(), "E413", true},
		{"html in a ref", nil, func() kaleyra.Batch { b := textBatch("+12025550123"); b.Ref2 = "<script>"; return b }(), "E413", true},
		{"wrong key", func(s *kaleyra.Settings) { s.APIKey = "wrong" }, textBatch("+12025550123"), "RBC001", false},
		{"wrong sid", func(s *kaleyra.Settings) { s.SID = "HXOTHER" }, textBatch("+12025550123"), "RBC001", false},
		{"ref too long", nil, func() kaleyra.Batch { b := textBatch("+12025550123"); b.Ref = strings.Repeat("r", 256); return b }(), "E400", true},
		{"template without name", nil, func() kaleyra.Batch { b := templateBatch("+12025550123"); b.Content.TemplateName = ""; return b }(), "E400", true},
		{"text without body", nil, func() kaleyra.Batch { b := textBatch("+12025550123"); b.Content.Body = ""; return b }(), "E400", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(t, url, tt.edit)
			var out []kaleyra.Outcome
			attempts := 1
			if tt.local {
				attempts = 0
				before := srv.Requests()
				readies := 0
				var err error
				out, err = c.Send(context.Background(), tt.batch, func() error { readies++; return nil })
				if err != nil || readies != 0 || len(out) != len(tt.batch.To) {
					t.Fatalf("Send = %d outcomes, %v after %d readies; want %d outcomes, no error, no ready", len(out), err, readies, len(tt.batch.To))
				}
				if n := srv.Requests() - before; n != 0 {
					t.Errorf("%d requests reached the emulator, want none", n)
				}
			} else {
				out = send(t, c, tt.batch)
			}
			for i, o := range out {
				if o.Status != kaleyra.Failed || o.Code != tt.code || o.Attempts != attempts || o.Text == "" {
					t.Errorf("outcome %d = %+v, want failed with %s after %d attempts", i, o, tt.code, attempts)
				}
				if e := kaleyra.Explain(tt.code); e != "" && !strings.HasPrefix(o.Text, e) {
					t.Errorf("text %q does not start with the explanation of %s", o.Text, tt.code)
				}
			}
		})
	}
	if n := len(readOutbox(t, outbox)); n != 0 {
		t.Errorf("refused requests reached the outbox: %d records", n)
	}
}

// Answers the emulator never gives: other shapes of error bodies and
// unreadable success bodies.
func TestOtherAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   kaleyra.Status
		code   string
	}{
		{"low balance in error.code", 402, `{"error":{"code":"E110","message":"Insufficient balance"}}`, kaleyra.Failed, "E110"},
		{"unknown code shown as it came", 400, `{"code":"E777","message":"Odd thing"}`, kaleyra.Failed, "E777"},
		{"4xx without a body", 404, ``, kaleyra.Failed, "HTTP404"},
		{"500 with a code", 500, `{"error":{"code":"WA500","error":"boom"}}`, kaleyra.Unknown, "WA500"},
		{"502 from a proxy", 502, `<html>Bad Gateway</html>`, kaleyra.Unknown, "HTTP502"},
		{"2xx not JSON", 200, `<html>ok</html>`, kaleyra.Unknown, "BAD_ANSWER"},
		{"2xx truncated", 202, `{"id":"x","data":[{"message_id"`, kaleyra.Unknown, "BAD_ANSWER"},
		{"2xx empty", 202, `{}`, kaleyra.Unknown, "BAD_ANSWER"},
		{"redirect not followed, outcome unknown", 307, ``, kaleyra.Unknown, "HTTP307"},
		{"see other: processed elsewhere", 303, ``, kaleyra.Unknown, "HTTP303"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if tt.status == 307 || tt.status == 303 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			o := send(t, client(t, srv.URL, nil), textBatch("+12025550123"))[0]
			if o.Status != tt.want || o.Code != tt.code || o.Text == "" {
				t.Errorf("outcome = %+v, want %s with %s", o, tt.want, tt.code)
			}
			if requests.Load() != 1 {
				t.Errorf("%d requests, want 1", requests.Load())
			}
		})
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		faults   emulator.Faults
		method   string
		want     kaleyra.Status
		code     string
		requests int
		outbox   int
	}{
		{"hang is unknown after the timeout", emulator.Faults{HangEvery: 1}, "POST", kaleyra.Unknown, "TIMEOUT", 1, 0},
		{"reset after writing is unknown, not retried", emulator.Faults{ResetEvery: 1}, "POST", kaleyra.Unknown, "NO_ANSWER", 1, 0},
		{"reset of a GET is not retried either", emulator.Faults{ResetEvery: 1}, "GET", kaleyra.Unknown, "NO_ANSWER", 1, 0},
		{"accepted then 500 is unknown, not retried", emulator.Faults{Accept500Every: 1}, "POST", kaleyra.Unknown, "WA500", 1, 1},
		{"500 is unknown", emulator.Faults{StatusEvery: 1, Status: 500}, "POST", kaleyra.Unknown, "WA500", 1, 0},
		{"other 5xx is unknown", emulator.Faults{StatusEvery: 1, Status: 502}, "POST", kaleyra.Unknown, "E502", 1, 0},
		{"429 retried then sent", emulator.Faults{StatusFirst: 2, Status: 429}, "POST", kaleyra.Sent, "", 3, 1},
		{"503 retried then sent", emulator.Faults{StatusFirst: 4, Status: 503}, "GET", kaleyra.Sent, "", 5, 1},
		{"429 five times is failed", emulator.Faults{StatusEvery: 1, Status: 429}, "POST", kaleyra.Failed, "WA429", 5, 0},
		{"503 five times is failed", emulator.Faults{StatusEvery: 1, Status: 503}, "POST", kaleyra.Failed, "E503", 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, url, outbox := emu(t, tt.faults)
			c := client(t, url, func(s *kaleyra.Settings) { s.Method, s.Timeout = tt.method, 300*time.Millisecond })
			o := send(t, c, textBatch("+12025550123"))[0]
			if o.Status != tt.want || o.Code != tt.code || o.Attempts != tt.requests {
				t.Errorf("outcome = %+v, want %s with code %q after %d attempts", o, tt.want, tt.code, tt.requests)
			}
			if o.Status != kaleyra.Sent && o.Text == "" {
				t.Errorf("outcome has no explanation: %+v", o)
			}
			if o.Status == kaleyra.Failed && !strings.Contains(o.Text, "nothing was sent") {
				t.Errorf("a failed outcome's text does not say nothing was sent: %q", o.Text)
			}
			if got := server.Requests(); got != tt.requests {
				t.Errorf("the emulator saw %d requests, want %d", got, tt.requests)
			}
			if got := len(readOutbox(t, outbox)); got != tt.outbox {
				t.Errorf("outbox has %d records, want %d", got, tt.outbox)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	server, url, _ := emu(t, emulator.Faults{StatusFirst: 1, Status: 429, RetryAfter: "1"})
	c := client(t, url, nil)
	start := time.Now()
	o := send(t, c, textBatch("+12025550123"))[0]
	if o.Status != kaleyra.Sent || o.Attempts != 2 || server.Requests() != 2 {
		t.Errorf("outcome = %+v after %d requests, want sent after 2", o, server.Requests())
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("retried after %v, before Retry-After's 1s", elapsed)
	}
}

func TestConnectionRefusedIsRetriedThenFailed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	o := send(t, client(t, url, nil), textBatch("+12025550123"))[0]
	if o.Status != kaleyra.Failed || o.Code != kaleyra.CodeConnect || o.Attempts != 5 || !strings.HasPrefix(o.Text, kaleyra.Explain(kaleyra.CodeConnect)) {
		t.Errorf("outcome = %+v, want failed CONNECT after 5 attempts", o)
	}
}

func TestCancelWhileWaitingSendsNothing(t *testing.T) {
	server, url, outbox := emu(t, emulator.Faults{})
	c := client(t, url, func(s *kaleyra.Settings) { s.MessagesPerSecond = 1 })
	send(t, c, textBatch("+12025550123")) // takes the only token of this second

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	ready := false
	out, err := c.Send(ctx, textBatch("+12025550124"), func() error { ready = true; return nil })
	if !errors.Is(err, context.DeadlineExceeded) || out != nil || ready {
		t.Errorf("Send = %v, %v (ready called: %v); want the context's error, nothing sent", out, err, ready)
	}
	if server.Requests() != 1 || len(readOutbox(t, outbox)) != 1 {
		t.Errorf("the emulator saw %d requests, want only the first", server.Requests())
	}
}

func TestCancelDoesNotAbortARequestInFlight(t *testing.T) {
	_, url, _ := emu(t, emulator.Faults{Latency: 300 * time.Millisecond})
	c := client(t, url, nil)
	ctx, cancel := context.WithCancel(context.Background())
	out, err := c.Send(ctx, textBatch("+12025550123"), func() error {
		time.AfterFunc(50*time.Millisecond, cancel)
		return nil
	})
	if err != nil || out[0].Status != kaleyra.Sent {
		t.Errorf("Send = %+v, %v; want sent despite the cancel", out, err)
	}
}

func TestCancelDuringRetryBackoff(t *testing.T) {
	_, url, _ := emu(t, emulator.Faults{StatusEvery: 1, Status: 503, RetryAfter: "10"})
	c := client(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	out, err := c.Send(ctx, textBatch("+12025550123"), func() error { return nil })
	if err != nil || out[0].Status != kaleyra.Failed || out[0].Code != kaleyra.CodeInterrupted || out[0].Attempts != 1 {
		t.Errorf("Send = %+v, %v; want failed INTERRUPTED after 1 attempt", out, err)
	}
}

func TestReadyErrorSendsNothing(t *testing.T) {
	server, url, _ := emu(t, emulator.Faults{})
	boom := errors.New("journal full")
	out, err := client(t, url, nil).Send(context.Background(), textBatch("+12025550123"), func() error { return boom })
	if !errors.Is(err, boom) || out != nil || server.Requests() != 0 {
		t.Errorf("Send = %v, %v with %d requests; want the ready error and nothing sent", out, err, server.Requests())
	}
}

// No one-second window sees more than messages_per_second sends from one
// sender, counted by arrival at the server; other senders are not held up.
func TestRateLimitPerSender(t *testing.T) {
	const perSecond, sends = 20, 30
	var mu sync.Mutex
	arrivals := map[string][]time.Time{}
	emuServer, err := emulator.New(emulator.Options{SID: testSID, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from := r.FormValue("from")
		mu.Lock()
		arrivals[from] = append(arrivals[from], time.Now())
		mu.Unlock()
		emuServer.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := client(t, srv.URL, func(s *kaleyra.Settings) { s.MessagesPerSecond = perSecond })
	// The first check of a number compiles libphonenumber's patterns for
	// its country, milliseconds under -race; done by many sends at once it
	// would delay the first requests and bunch their arrivals. A batch
	// refused by the check (a tag in its ref) warms them without a request
	// or a rate-limit token.
	warm := textBatch("+12025550123")
	warm.Ref = "<warm-up>"
	if o, err := c.Send(context.Background(), warm, func() error { return nil }); err != nil || o[0].Code != "E413" {
		t.Fatalf("warm-up = %+v, %v; want refused with E413", o, err)
	}

	start := time.Now()
	var wg sync.WaitGroup
	for i := range sends {
		for _, from := range []string{"+12025550100", "+12025550101"} {
			wg.Go(func() {
				b := textBatch(fmt.Sprintf("+1202555%04d", 200+i))
				b.From = from
				if o := send(t, c, b); o[0].Status != kaleyra.Sent {
					t.Errorf("outcome %+v", o[0])
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Arrivals may bunch by scheduling jitter on a busy machine; allow
	// 20ms of it at the window's edges.
	const window = time.Second - 20*time.Millisecond
	for from, times := range arrivals {
		if len(times) != sends {
			t.Errorf("%s: %d arrivals, want %d", from, len(times), sends)
		}
		for i := range times {
			n := 0
			for _, u := range times[i:] {
				if u.Sub(times[i]) < window {
					n++
				}
			}
			if n > perSecond {
				t.Errorf("%s: %d sends within a second of %v, want at most %d", from, n, times[i].Sub(start), perSecond)
			}
		}
	}
	// 30 sends at 20/s take about (30-1)/20 = 1.45s, both senders at once.
	if elapsed < 1400*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("30 sends per sender at 20/s took %v, want about 1.45s", elapsed)
	}
}

// A batch of n recipients takes n tokens: WhatsApp counts messages.
func TestRateLimitCountsRecipients(t *testing.T) {
	_, url, _ := emu(t, emulator.Faults{})
	c := client(t, url, func(s *kaleyra.Settings) { s.MessagesPerSecond = 20 })
	start := time.Now()
	send(t, c, textBatch("+12025550123"))
	send(t, c, textBatch("+12025550124", "+12025550125", "+12025550126", "+12025550127", "+12025550128", "+12025550129", "+12025550130", "+12025550131", "+12025550132", "+12025550133"))
	// Tokens 2..11 are due at 50ms..500ms.
	if elapsed := time.Since(start); elapsed < 450*time.Millisecond {
		t.Errorf("11 recipients at 20/s went out in %v, want about 500ms", elapsed)
	}
}

// Batches must keep within the limit in every one-second window too: with
// tokens alone, a batch of 8 at 20/s would leave every 0.4 s, 24 messages
// in one second.
func TestRateLimitWindowHoldsForBatches(t *testing.T) {
	const perSecond, batch, batches = 20, 8, 5
	type arrival struct {
		at time.Time
		n  int
	}
	var mu sync.Mutex
	var arrivals []arrival
	emuServer, err := emulator.New(emulator.Options{SID: testSID, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(strings.Split(r.FormValue("to"), ","))
		mu.Lock()
		arrivals = append(arrivals, arrival{time.Now(), n})
		mu.Unlock()
		emuServer.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := client(t, srv.URL, func(s *kaleyra.Settings) { s.MessagesPerSecond = perSecond })

	var wg sync.WaitGroup
	for i := range batches {
		wg.Go(func() {
			var to []string
			for j := range batch {
				to = append(to, fmt.Sprintf("+1202555%04d", 1000+i*batch+j))
			}
			for _, o := range send(t, c, textBatch(to...)) {
				if o.Status != kaleyra.Sent {
					t.Errorf("outcome %+v", o)
				}
			}
		})
	}
	wg.Wait()

	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].at.Before(arrivals[j].at) })
	const window = time.Second - 20*time.Millisecond // scheduling jitter at the edges
	for i := range arrivals {
		n := 0
		for _, a := range arrivals[i:] {
			if a.at.Sub(arrivals[i].at) < window {
				n += a.n
			}
		}
		if n > perSecond {
			t.Errorf("%d messages within a second of arrival %d, want at most %d", n, i, perSecond)
		}
	}
}

// Go's transport repeats a GET by itself when a reused connection breaks
// before the answer; herald's GET requests must not be repeated.
func TestResetOnReusedConnectionIsNotRepeated(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			server, url, outbox := emu(t, emulator.Faults{ResetEvery: 2})
			c := client(t, url, func(s *kaleyra.Settings) { s.Method = method })
			if o := send(t, c, textBatch("+12025550123"))[0]; o.Status != kaleyra.Sent {
				t.Fatalf("first send: %+v", o)
			}
			o := send(t, c, textBatch("+12025550124"))[0]
			if o.Status != kaleyra.Unknown || o.Attempts != 1 || server.Requests() != 2 {
				t.Errorf("outcome %+v after %d requests at the server; want unknown after 2", o, server.Requests())
			}
			if n := len(readOutbox(t, outbox)); n != 1 {
				t.Errorf("outbox has %d records, want 1", n)
			}
		})
	}
}

func TestCancelledBeforeSendSendsNothing(t *testing.T) {
	server, url, _ := emu(t, emulator.Faults{})
	c := client(t, url, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		out, err := c.Send(ctx, textBatch("+12025550123"), func() error { return nil })
		if !errors.Is(err, context.Canceled) || out != nil {
			t.Fatalf("Send = %v, %v; want context.Canceled", out, err)
		}
	}
	if server.Requests() != 0 {
		t.Errorf("%d requests after cancel", server.Requests())
	}
}
