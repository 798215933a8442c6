package kaleyra

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
)

func TestEncodeParams(t *testing.T) {
	tests := []struct {
		values []string
		want   string
	}{
		{[]string{"v1.2", "today"}, `"v1.2","today"`},
		{[]string{"a,b", ""}, `"a,b",""`},
		{[]string{`say "hi"`}, `"say \"hi\""`},
		{[]string{`back\slash`}, `"back\\slash"`},
		{[]string{`ends with \`}, `"ends with \\"`},
		{nil, ``},
	}
	for _, tt := range tests {
		var params []delivery.Param
		for i, v := range tt.values {
			params = append(params, delivery.Param{Name: string(rune('a' + i)), Value: v})
		}
		got := EncodeParams(params)
		if got != tt.want {
			t.Errorf("EncodeParams(%q) = %s, want %s", tt.values, got, tt.want)
		}
		back, err := DecodeParams(got)
		if err != nil {
			t.Errorf("DecodeParams(%s): %v", got, err)
		}
		if !cmp.Equal(back, tt.values) {
			t.Errorf("DecodeParams(%s) = %q, want %q", got, back, tt.values)
		}
	}
}

func TestDecodeParamsBad(t *testing.T) {
	for _, s := range []string{`"open`, `"a""b"`, `"a",`, `"a",b`, `"a" ,"b"`} {
		if v, err := DecodeParams(s); err == nil {
			t.Errorf("DecodeParams(%s) = %q, want an error", s, v)
		}
	}
	// Kaleyra's own sample sends one bare value.
	if v, err := DecodeParams("Raman"); err != nil || !cmp.Equal(v, []string{"Raman"}) {
		t.Errorf(`DecodeParams("Raman") = %q, %v`, v, err)
	}
}

func TestFields(t *testing.T) {
	text := Batch{From: "+12025550100", To: []string{"+12025550123", "+12025550124"},
		Content: delivery.Content{Type: delivery.Text, Body: "hello"}, Ref: "r", Ref2: "r2"}
	tmpl := Batch{Channel: "whatsapp", From: "+12025550100", To: []string{"+12025550123"}, CallbackURL: "https://example.com/cb",
		Content: delivery.Content{Type: delivery.Template, TemplateName: "t", Language: "en",
			Params: []delivery.Param{{Name: "version", Value: "v1"}, {Name: "eta", Value: "today"}}}, Ref: "r", Ref1: "r1"}
	one := func(c delivery.Content) Batch {
		return Batch{From: "+12025550100", To: []string{"+12025550123"}, Content: c, Ref: "r"}
	}
	head := []field{{"to", "+12025550123"}, {"type", ""}, {"channel", "whatsapp"}, {"from", "+12025550100"}, {"ref", "r"}}
	with := func(typ string, fs ...field) []field {
		out := append([]field(nil), head...)
		out[1].value = typ
		return append(out, fs...)
	}
	tests := []struct {
		name    string
		b       Batch
		sandbox bool
		want    []field
	}{
		{"media", one(delivery.Content{Type: delivery.Media, MediaURL: "https://cdn.example.com/n.pdf", Caption: "Notes <b>v2</b>"}),
			false, with("media", field{"media_url", "https://cdn.example.com/n.pdf"}, field{"caption", "Notes <b>v2</b>"})},
		{"media without caption", one(delivery.Content{Type: delivery.Media, MediaURL: "https://cdn.example.com/n.pdf"}),
			false, with("media", field{"media_url", "https://cdn.example.com/n.pdf"})},
		{"media template", one(delivery.Content{Type: delivery.MediaTemplate, TemplateName: "launch", Header: delivery.HeaderImage,
			Params: []delivery.Param{{Name: "version", Value: "v2"}}, MediaURL: "https://cdn.example.com/v2.png", ButtonURL: "v2"}),
			false, with("mediatemplate", field{"template_name", "launch"}, field{"params", `"v2"`},
				field{"media_url", "https://cdn.example.com/v2.png"}, field{"param_url", "v2"})},
		{"text header", one(delivery.Content{Type: delivery.Template, TemplateName: "t", Header: delivery.HeaderText, HeaderText: "Today"}),
			false, with("template", field{"template_name", "t"}, field{"param_header", "Today"})},
		{"text", text, false, []field{
			{"to", "+12025550123,+12025550124"}, {"type", "text"}, {"channel", "whatsapp"}, {"from", "+12025550100"},
			{"ref", "r"}, {"ref2", "r2"}, {"body", "hello"}}},
		{"template in sandbox", tmpl, true, []field{
			{"to", "+12025550123"}, {"type", "template"}, {"channel", "whatsapp"}, {"from", "+12025550100"},
			{"callback_url", "https://example.com/cb"}, {"ref", "r"}, {"ref1", "r1"},
			{"template_name", "t"}, {"params", `"v1","today"`}, {"lang_code", "en"}, {"source", "sandbox"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fields(tt.b, tt.sandbox)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(field{})); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMessagesURL(t *testing.T) {
	tests := []struct {
		settings Settings
		want     string
		err      string
	}{
		{Settings{SID: "HX1"}, "https://api.in.kaleyra.io/v1/HX1/messages", ""},
		{Settings{SID: "HX1", Region: "na"}, "https://api.na.kaleyra.ai/v1/HX1/messages", ""},
		{Settings{SID: "HX1", Endpoint: "http://127.0.0.1:8787/"}, "http://127.0.0.1:8787/v1/HX1/messages", ""},
		{Settings{SID: "HX1", Endpoint: "http://localhost:8787"}, "http://localhost:8787/v1/HX1/messages", ""},
		{Settings{SID: "HX1", Endpoint: "http://[::1]:8787"}, "http://[::1]:8787/v1/HX1/messages", ""},
		{Settings{SID: "HX1", Endpoint: "https://proxy.example.com/kaleyra"}, "https://proxy.example.com/kaleyra/v1/HX1/messages", ""},
		{Settings{SID: "HX1", Endpoint: "http://api.example.com"}, "", "plain http to another machine"},
		{Settings{SID: "HX1", Endpoint: "ftp://127.0.0.1"}, "", "must start with https://"},
		{Settings{SID: "HX1", Endpoint: "https://user:pw@example.com"}, "", "must not contain credentials"},
		{Settings{SID: "HX1", Region: "mars"}, "", "unknown region"},
	}
	for _, tt := range tests {
		got, err := messagesURL(tt.settings)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("messagesURL(%+v) error = %v, want %q", tt.settings, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("messagesURL(%+v) = %q, %v; want %q", tt.settings, got, err, tt.want)
		}
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	good := Settings{SID: "HX1", APIKey: "k"}
	tests := []struct {
		name string
		edit func(*Settings)
		err  string
	}{
		{"no sid", func(s *Settings) { s.SID = "" }, "sid is empty"},
		{"no key", func(s *Settings) { s.APIKey = "" }, "api_key is empty"},
		{"method", func(s *Settings) { s.Method = "PUT" }, "not POST or GET"},
		{"encoding", func(s *Settings) { s.Encoding = "xml" }, "not form, multipart or json"},
		{"remote http", func(s *Settings) { s.Endpoint = "http://10.0.0.1" }, "plain http"},
	}
	for _, tt := range tests {
		s := good
		tt.edit(&s)
		if _, err := New(s, Options{}); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: New error = %v, want %q", tt.name, err, tt.err)
		}
	}
	if _, err := New(good, Options{}); err != nil {
		t.Errorf("New(good) = %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 0 ", 0},
		{"-5", 0},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"86400", maxRetryAfter},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	b := backoff{base: 100 * time.Millisecond, max: time.Second}
	for try, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second} {
		for range 20 {
			if d := b.delay(try); d < want/2 || d > want {
				t.Errorf("delay(%d) = %v, want in [%v, %v]", try, d, want/2, want)
			}
		}
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		body, code, text string
	}{
		{`{"code":"E13009","message":"Invalid to"}`, "E13009", "Invalid to"},
		{`{"error":{"code":"E110","message":"Low balance"}}`, "E110", "Low balance"},
		{`{"error":{"code":"RBC001","error":"Bad key"}}`, "RBC001", "Bad key"},
		{`{"code":413,"error":"tags"}`, "413", "tags"},
		{`<html>bad gateway</html>`, "", ""},
		{``, "", ""},
	}
	for _, tt := range tests {
		code, text := parseError([]byte(tt.body))
		if code != tt.code || text != tt.text {
			t.Errorf("parseError(%s) = %q, %q; want %q, %q", tt.body, code, text, tt.code, tt.text)
		}
	}
}

func TestExplain(t *testing.T) {
	for _, code := range []string{"E13008", "E13009", "E413", "RBC001", "E110", "WA429", "WA500", "131047", "131026", "131049", "131056", "130429", "WAV2101"} {
		if Explain(code) == "" {
			t.Errorf("Explain(%s) is empty", code)
		}
	}
	if got := describe("E999", "Something odd", byKaleyra); got != "Something odd" {
		t.Errorf("an unknown code's text = %q, want Kaleyra's words as they came", got)
	}
	if got := describe("E13009", "Invalid to", byKaleyra); !strings.HasPrefix(got, Explain("E13009")) || !strings.Contains(got, "Invalid to") {
		t.Errorf("a known code's text = %q, want the explanation and Kaleyra's words", got)
	}
}

func TestGetRequestIsNotReplayable(t *testing.T) {
	req, err := newRequest(t.Context(), http.MethodGet, "", "http://127.0.0.1/v1/S/messages", "k", []field{{"to", "+1"}, {"body", "a b"}})
	if err != nil {
		t.Fatal(err)
	}
	// See newRequest: a nil or NoBody body would let net/http repeat it.
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		t.Errorf("GET request has a rewindable body; Go's transport could repeat it")
	}
	q, _ := url.ParseQuery(req.URL.RawQuery)
	if q.Get("body") != "a b" || req.Header.Get("api-key") != "k" {
		t.Errorf("GET request = %s %v", req.URL, req.Header)
	}
}

// Words that did not come from Kaleyra are not put in its mouth.
func TestDescribeNamesWhoSaidIt(t *testing.T) {
	for _, tt := range []struct {
		by        speaker
		want, not string
	}{
		{byKaleyra, "(Kaleyra said: x)", "herald's"},
		{byClient, "(herald's HTTP client reported: x)", "Kaleyra said"},
		{byCheck, "(herald's check before sending: x)", "Kaleyra said"},
	} {
		got := describe(CodeTimeout, "x", tt.by)
		if !strings.Contains(got, tt.want) || strings.Contains(got, tt.not) {
			t.Errorf("describe by %d = %q, want %q and not %q", tt.by, got, tt.want, tt.not)
		}
	}
}
