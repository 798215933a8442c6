package emulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	sid = "HXAP16XXXXXX17IN"
	key = "emulator-test-key"
)

func newServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.SID == "" {
		opts.SID = sid
	}
	if opts.APIKey == "" {
		opts.APIKey = key
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// validText is a request Kaleyra accepts; cases change one thing.
func validText() url.Values {
	return form("to", "+12025550123", "type", "text", "channel", "whatsapp", "from", "+12025550100", "body", "Hi <b>there</b>", "ref", "r1")
}

func post(t *testing.T, ts *httptest.Server, path, apiKey string, v url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if apiKey != "" {
		req.Header.Set("api-key", apiKey)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, body
}

// media and mediaTemplate are valid rich requests, changed by edit.
func media(edit func(url.Values)) url.Values {
	v := form("to", "+12025550123", "type", "media", "channel", "whatsapp", "from", "+12025550100",
		"media_url", "https://cdn.example.com/notes.pdf", "caption", "Notes <b>v2</b>", "ref", "r1")
	edit(v)
	return v
}

func mediaTemplate(edit func(url.Values)) url.Values {
	v := form("to", "+12025550123", "type", "mediatemplate", "channel", "whatsapp", "from", "+12025550100",
		"template_name", "launch", "params", `"v2"`, "media_url", "https://cdn.example.com/v2.png", "param_url", "v2", "ref", "r1")
	edit(v)
	return v
}

func TestChecks(t *testing.T) {
	_, ts := newServer(t, Options{})
	path := "/v1/" + sid + "/messages"
	with := func(edit func(url.Values)) url.Values { v := validText(); edit(v); return v }
	tests := []struct {
		name   string
		path   string
		key    string
		values url.Values
		status int
		code   string
	}{
		{"no key", path, "", validText(), 401, "RBC001"},
		{"wrong key", path, "nope", validText(), 401, "RBC001"},
		{"wrong sid", "/v1/HXOTHER/messages", key, validText(), 401, "RBC001"},
		{"missing to", path, key, with(func(v url.Values) { v.Del("to") }), 400, "E400"},
		{"missing from", path, key, with(func(v url.Values) { v.Del("from") }), 400, "E400"},
		{"missing type", path, key, with(func(v url.Values) { v.Del("type") }), 400, "E400"},
		{"missing channel", path, key, with(func(v url.Values) { v.Del("channel") }), 400, "E400"},
		{"other channel", path, key, with(func(v url.Values) { v.Set("channel", "sms") }), 400, "E400"},
		{"invalid from", path, key, with(func(v url.Values) { v.Set("from", "+1202") }), 400, "E13008"},
		{"letters in from", path, key, with(func(v url.Values) { v.Set("from", "+1202555O100") }), 400, "E13008"},
		{"second to invalid", path, key, with(func(v url.Values) { v.Set("to", "+12025550123,+999") }), 400, "E13009"},
		{"html in ref", path, key, with(func(v url.Values) { v.Set("ref", "<i>x</i>") }), 400, "E413"},
		{"html comment in ref1", path, key, with(func(v url.Values) { v.Set("ref1", "a <!-- b --> c") }), 400, "E413"},
		{"html in callback", path, key, with(func(v url.Values) { v.Set("callback_url", "https://x.example/<script>") }), 400, "E413"},
		{"ref 256 long", path, key, with(func(v url.Values) { v.Set("ref2", strings.Repeat("é", 256)) }), 400, "E400"},
		{"text without body", path, key, with(func(v url.Values) { v.Del("body") }), 400, "E400"},
		{"template without name", path, key, with(func(v url.Values) { v.Set("type", "template") }), 400, "E400"},
		{"bad params", path, key, with(func(v url.Values) { v.Set("type", "template"); v.Set("template_name", "t"); v.Set("params", `"open`) }), 400, "E400"},
		{"other type", path, key, with(func(v url.Values) { v.Set("type", "image") }), 400, "E400"},
		{"bad callback", path, key, with(func(v url.Values) { v.Set("callback_url", "ftp://x") }), 400, "E400"},
		{"bad source", path, key, with(func(v url.Values) { v.Set("source", "prod") }), 400, "E400"},
		{"media without URL", path, key, media(func(v url.Values) { v.Del("media_url") }), 400, "E400"},
		{"media over http to a public host", path, key, media(func(v url.Values) { v.Set("media_url", "http://cdn.example.com/n.pdf") }), 400, "E400"},
		{"caption of 1,025 characters", path, key, media(func(v url.Values) { v.Set("caption", strings.Repeat("é", 1025)) }), 400, "E400"},
		{"html in media_url", path, key, media(func(v url.Values) { v.Set("media_url", "https://cdn.example.com/<b>x</b>") }), 400, "E413"},
		{"media template without URL", path, key, mediaTemplate(func(v url.Values) { v.Del("media_url") }), 400, "E400"},
		{"html in param_url", path, key, mediaTemplate(func(v url.Values) { v.Set("param_url", "<a>v2</a>") }), 400, "E413"},
		{"html in param_header", path, key, mediaTemplate(func(v url.Values) { v.Set("param_header", "<i>x</i>") }), 400, "E413"},
		{"media is fine", path, key, media(func(url.Values) {}), 202, ""},
		{"caption of 1,024 characters with tags is fine", path, key, media(func(v url.Values) { v.Set("caption", "<b>"+strings.Repeat("é", 1017)+"</b>") }), 202, ""},
		{"loopback http media is fine", path, key, media(func(v url.Values) { v.Set("media_url", "http://127.0.0.1:9000/n.pdf") }), 202, ""},
		{"media template is fine", path, key, mediaTemplate(func(url.Values) {}), 202, ""},
		{"other path", "/v2/messages", key, validText(), 404, "E404"},
		{"html in body is fine", path, key, validText(), 202, ""},
		{"ref 255 long is fine", path, key, with(func(v url.Values) { v.Set("ref", strings.Repeat("é", 255)) }), 202, ""},
		{"digits without plus are fine", path, key, with(func(v url.Values) { v.Set("to", "12025550123") }), 202, ""},
		{"a comparison is not a tag", path, key, with(func(v url.Values) { v.Set("ref", "a < b and c > d") }), 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, ts, tt.path, tt.key, tt.values)
			if status != tt.status {
				t.Errorf("status %d, want %d (%v)", status, tt.status, body)
			}
			if tt.code == "" {
				return
			}
			detail, _ := body["error"].(map[string]any)
			if body["code"] != tt.code || detail["code"] != tt.code || body["message"] == "" {
				t.Errorf("answer %v, want code %s at the top and in error", body, tt.code)
			}
		})
	}
}

func TestMethodsAndEncodings(t *testing.T) {
	s, ts := newServer(t, Options{})
	endpoint := ts.URL + "/v1/" + sid + "/messages"
	v := validText()
	v.Set("to", "+12025550123,+12025550124")

	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	for k := range v {
		mw.WriteField(k, v.Get(k))
	}
	mw.Close()
	obj := map[string]string{}
	for k := range v {
		obj[k] = v.Get(k)
	}
	js, _ := json.Marshal(obj)

	requests := map[string]func() *http.Request{
		"form": func() *http.Request {
			r, _ := http.NewRequest("POST", endpoint, strings.NewReader(v.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		},
		"multipart": func() *http.Request {
			r, _ := http.NewRequest("POST", endpoint, bytes.NewReader(multi.Bytes()))
			r.Header.Set("Content-Type", mw.FormDataContentType())
			return r
		},
		"json": func() *http.Request {
			r, _ := http.NewRequest("POST", endpoint, bytes.NewReader(js))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			return r
		},
		"get": func() *http.Request {
			r, _ := http.NewRequest("GET", endpoint+"?"+v.Encode(), nil)
			return r
		},
	}
	id := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for name, build := range requests {
		t.Run(name, func(t *testing.T) {
			req := build()
			req.Header.Set("api-key", key)
			status, body := do(t, req)
			want := http.StatusAccepted
			if name == "get" {
				want = http.StatusOK
			}
			if status != want {
				t.Fatalf("status %d, want %d: %v", status, want, body)
			}
			rid, _ := body["id"].(string)
			data, _ := body["data"].([]any)
			if !id.MatchString(rid) || body["type"] != "text" || body["body"] != "Hi <b>there</b>" ||
				body["totalCount"] != float64(2) || len(data) != 2 || body["createdDateTime"] == "" {
				t.Fatalf("answer %v", body)
			}
			for i, recipient := range []string{"12025550123", "12025550124"} {
				d := data[i].(map[string]any)
				if d["recipient"] != recipient || d["message_id"] != rid+":"+string(rune('0'+i)) {
					t.Errorf("data[%d] = %v", i, d)
				}
			}
			if e, ok := body["error"].(map[string]any); !ok || len(e) != 0 {
				t.Errorf("error = %v, want {}", body["error"])
			}
		})
	}
	if s.Requests() != 4 {
		t.Errorf("Requests() = %d, want 4", s.Requests())
	}

	for name, req := range map[string]*http.Request{
		"put": func() *http.Request { r, _ := http.NewRequest("PUT", endpoint, nil); return r }(),
		"xml": func() *http.Request {
			r, _ := http.NewRequest("POST", endpoint, strings.NewReader("<a/>"))
			r.Header.Set("Content-Type", "text/xml")
			return r
		}(),
		"json num": func() *http.Request {
			r, _ := http.NewRequest("POST", endpoint, strings.NewReader(`{"to":1}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}(),
	} {
		req.Header.Set("api-key", key)
		if status, body := do(t, req); status < 400 {
			t.Errorf("%s: status %d, want a refusal: %v", name, status, body)
		}
	}
}

// Concurrent requests each reach the outbox whole: one JSON line per
// recipient, never interleaved; and the log gets a readable line for each.
func TestOutboxUnderConcurrency(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	var log lockedBuffer
	_, ts := newServer(t, Options{Outbox: outbox, Log: &log})
	const requests, perRequest = 40, 5
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			v := form("type", "template", "channel", "whatsapp", "from", "+12025550100", "template_name", "release_announcement",
				"params", `"v1","to\"day"`, "lang_code", "en", "ref", "r", "ref1", "r1", "ref2", "r2", "callback_url", "https://hooks.example.com/k")
			var to []string
			for j := range perRequest {
				to = append(to, "+1202555"+pad(i*perRequest+j))
			}
			v.Set("to", strings.Join(to, ","))
			if status, body := post(t, ts, "/v1/"+sid+"/messages", key, v); status != 202 {
				t.Errorf("status %d: %v", status, body)
			}
		})
	}
	wg.Wait()

	f, err := os.Open(outbox)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
		if r.Type != "template" || r.Template != "release_announcement" || len(r.Params) != 2 || r.Params[1] != `to"day` ||
			r.LangCode != "en" || r.Ref2 != "r2" || r.CallbackURL == "" || r.From != "+12025550100" || r.Time.IsZero() ||
			!strings.HasPrefix(r.MessageID, r.RequestID+":") || r.SID != sid {
			t.Errorf("record %+v", r)
		}
		seen[r.To] = true
	}
	if len(seen) != requests*perRequest {
		t.Errorf("outbox has %d distinct recipients, want %d", len(seen), requests*perRequest)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != requests*perRequest || !strings.Contains(lines[0], `template release_announcement (en) ["v1" "to\"day"] ref="r"`) {
		t.Errorf("%d log lines, want %d; first: %q", len(lines), requests*perRequest, lines[0])
	}
}

func pad(n int) string {
	s := "0000" + itoa(n)
	return s[len(s)-4:]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStartOnlyOnLoopback(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:80", "nonsense"} {
		if _, err := s.Start(addr); err == nil {
			t.Errorf("Start(%q) succeeded, want a refusal", addr)
		}
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("Start = %q, %v", url, err)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Errorf("a second Start succeeded")
	}
	resp, err := http.Get(url + "/v1/x/messages")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d without a key, want 401", resp.StatusCode)
	}
}

// Close ends a hanging request instead of waiting for it forever.
func TestCloseEndsHangs(t *testing.T) {
	s, err := New(Options{Faults: Faults{HangEvery: 1}})
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", url+"/v1/x/messages", strings.NewReader(validText().Encode()))
		req.Header.Set("api-key", "k")
		_, err := http.DefaultClient.Do(req)
		done <- err
	}()
	for s.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Errorf("the hanging request got an answer")
	}
}
