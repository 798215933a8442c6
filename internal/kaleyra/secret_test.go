package kaleyra_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/kaleyra"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAPIKeyNeverShown runs the client at trace level with a distinctive
// key through success and every failure mode, and looks for the key in
// everything produced: logs, outcomes, errors, the emulator's output and
// its outbox.
func TestAPIKeyNeverShown(t *testing.T) {
	const secret = "HERALD-SECRET-7f3a9c0d"
	var logs, emuLog syncBuffer
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &logs})
	dir := t.TempDir()

	start := func(faults emulator.Faults) string {
		s, err := emulator.New(emulator.Options{SID: testSID, APIKey: secret, Outbox: filepath.Join(dir, "outbox.jsonl"), Log: &emuLog, Faults: faults})
		if err != nil {
			t.Fatal(err)
		}
		url, err := s.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return url
	}
	// A server that echoes the key back, as a careless proxy might.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"code":"E999","message":"bad key %s"}`, r.Header.Get("api-key"))
	}))
	defer echo.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String()
	ln.Close()

	cases := []struct {
		name     string
		endpoint string
		edit     func(*kaleyra.Settings)
		batch    kaleyra.Batch
	}{
		{"form", start(emulator.Faults{}), nil, templateBatch("+12025550123")},
		{"multipart", start(emulator.Faults{}), func(s *kaleyra.Settings) { s.Encoding = "multipart" }, textBatch("+12025550123")},
		{"json", start(emulator.Faults{}), func(s *kaleyra.Settings) { s.Encoding = "json" }, textBatch("+12025550123")},
		{"get", start(emulator.Faults{}), func(s *kaleyra.Settings) { s.Method = "GET" }, textBatch("+12025550123")},
		{"invalid to", start(emulator.Faults{}), nil, textBatch("+10000000000")},
		{"wrong sid", start(emulator.Faults{}), func(s *kaleyra.Settings) { s.SID = "HXOTHER" }, textBatch("+12025550123")},
		{"hang", start(emulator.Faults{HangEvery: 1}), nil, textBatch("+12025550123")},
		{"reset", start(emulator.Faults{ResetEvery: 1}), nil, textBatch("+12025550123")},
		{"accept then 500", start(emulator.Faults{Accept500Every: 1}), nil, textBatch("+12025550123")},
		{"429", start(emulator.Faults{StatusEvery: 1, Status: 429, RetryAfter: "0"}), nil, textBatch("+12025550123")},
		{"503", start(emulator.Faults{StatusEvery: 1, Status: 503}), nil, textBatch("+12025550123")},
		{"echoing server", echo.URL, nil, textBatch("+12025550123")},
		{"refused", refused, nil, textBatch("+12025550123")},
	}
	var produced strings.Builder
	for _, tt := range cases {
		s := kaleyra.Settings{SID: testSID, APIKey: secret, Endpoint: tt.endpoint, Timeout: 200 * time.Millisecond, MessagesPerSecond: 1000}
		if tt.edit != nil {
			tt.edit(&s)
		}
		fmt.Fprintf(&produced, "%v %+v %#v\n", s, s, s)
		c, err := kaleyra.New(s, kaleyra.Options{Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		kaleyra.SetBackoff(c, time.Millisecond)
		out, err := c.Send(context.Background(), tt.batch, func() error { return nil })
		fmt.Fprintf(&produced, "%s: %+v %#v %v\n", tt.name, out, out, err)
	}
	// A canceled wait and a client refused by New produce errors too.
	for _, endpoint := range []string{"http://example.com", "https://api.example.com"} {
		c, err := kaleyra.New(kaleyra.Settings{SID: testSID, APIKey: secret, Endpoint: endpoint}, kaleyra.Options{Logger: logger})
		fmt.Fprintf(&produced, "%v\n", err)
		if c != nil {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := c.Send(ctx, textBatch("+12025550123"), func() error { return nil })
			fmt.Fprintf(&produced, "%v\n", err)
		}
	}
	outbox, _ := os.ReadFile(filepath.Join(dir, "outbox.jsonl"))

	for name, text := range map[string]string{
		"logs": logs.String(), "outcomes and errors": produced.String(),
		"emulator output": emuLog.String(), "outbox": string(outbox),
	} {
		if strings.Contains(text, secret) {
			t.Errorf("the API key appears in the %s:\n%s", name, text)
		}
	}
	// The test only means something if the dumps and echoes happened.
	for _, want := range []string{"Api-Key: (sensitive)", "bad key (sensitive)"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the trace log lacks %q; is the dump missing?", want)
		}
	}
	if !strings.Contains(produced.String(), "bad key (sensitive)") {
		t.Errorf("the echoed key was not scrubbed from the outcome:\n%s", produced.String())
	}
}

// TestEchoedKeyIsScrubbed: a server that echoes the API key URL-encoded,
// JSON-escaped, in base64 or in hex, in an error's code or text or in a
// success's ids, must not get it into the outcome (which the state stores
// as error_text and ids) or the trace log.
func TestEchoedKeyIsScrubbed(t *testing.T) {
	const secret = `sk/live+K3y"<&>-9f2e`
	unicode := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	}
	jsonString := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	tests := map[string]struct {
		status int
		body   func(key string) string
	}{
		"url-encoded text":  {400, func(k string) string { return `{"code":"E999","message":"bad key ` + url.QueryEscape(k) + `"}` }},
		"json-escaped text": {400, func(k string) string { return `{"error":{"code":"E999","message":"bad key ` + unicode(k) + `"}}` }},
		"escaped slash":     {401, func(k string) string { return `{"message":` + strings.ReplaceAll(jsonString(k), "/", `\/`) + `}` }},
		"base64 text": {403, func(k string) string {
			return `{"message":"Basic ` + base64.StdEncoding.EncodeToString([]byte("u:"+k)) + `"}`
		}},
		"key as code":     {400, func(k string) string { return `{"code":` + jsonString(k) + `}` }},
		"hex, 5xx":        {502, func(k string) string { return `{"message":"` + hex.EncodeToString([]byte(k)) + `"}` }},
		"plain text, 5xx": {500, func(k string) string { return "upstream said " + url.PathEscape(k) }},
		"ids of a success": {202, func(k string) string {
			return `{"id":` + jsonString(k) + `,"data":[{"message_id":"` + unicode(k) + `","recipient":"12025550123"}]}`
		}},
		"unreadable success": {200, func(k string) string { return `{"id":"` + url.QueryEscape(k) + `","data":[` }},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var logs syncBuffer
			logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &logs})
			echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body(r.Header.Get("api-key")))
			}))
			defer echo.Close()
			c, err := kaleyra.New(kaleyra.Settings{SID: testSID, APIKey: secret, Endpoint: echo.URL, MessagesPerSecond: 1000}, kaleyra.Options{Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Send(context.Background(), textBatch("+12025550123"), func() error { return nil })
			produced := fmt.Sprintf("%+v %v", out, err)
			if !strings.Contains(logs.String(), "answer") {
				t.Fatal("no answer in the trace log; is the dump missing?")
			}
			for what, text := range map[string]string{"outcome": produced, "trace log": logs.String()} {
				for _, form := range []string{"K3y", url.QueryEscape(secret), hex.EncodeToString([]byte(secret)), "c2svbGl2ZS", "L2xpdmUr", "9saXZlK0sze"} {
					if strings.Contains(text, form) {
						t.Errorf("the %s holds the key as %q:\n%s", what, form, text)
					}
				}
			}
		})
	}
}

// TestKeyWithLineBreakIsRefused: a key read with its newline was sent,
// refused by Go's HTTP client before leaving, and reported as a network
// failure and retried five times. It is refused when the client is made.
func TestKeyWithLineBreakIsRefused(t *testing.T) {
	for _, key := range []string{"abc\n", "ab\r\ncd", "a\x00b"} {
		_, err := kaleyra.New(kaleyra.Settings{SID: testSID, APIKey: key, Endpoint: "http://127.0.0.1:1"}, kaleyra.Options{})
		if err == nil || strings.Contains(err.Error(), key) {
			t.Errorf("key %q: error %v; want one refusing the key without showing it", key, err)
		}
	}
}
