package rules_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
	"github.com/heraldhq/herald/internal/lang"
)

// message is one case's message, as a configuration writes it and as the
// wire carries it. A nil body makes it a template message.
type message struct {
	from, ref, ref1, ref2, callback string
	to                              []string
	body                            *string
	templateName, language          string
	params                          []string
	// media, when not nil, makes it a media message; mediaHeader and
	// button give a template an image header and a URL button.
	media               *struct{ url, caption string }
	mediaHeader, button string
}

func media(url, caption string) message {
	return message{from: "+12025550100", to: []string{"+12025550123"}, ref: "r1", media: &struct{ url, caption string }{url, caption}}
}

func text(body string) message {
	return message{from: "+12025550100", to: []string{"+12025550123"}, ref: "r1", body: &body}
}

func template(params ...string) message {
	return message{from: "+12025550100", to: []string{"+12025550123"}, ref: "r1", templateName: "release", params: params}
}

func (m message) with(edit func(*message)) message { edit(&m); return m }

// TestRulesAgree drives each case through validate (lang.Load), the
// client's check before sending, and the emulator, and requires the same
// verdict from all three: accepted, or refused with the same code.
func TestRulesAgree(t *testing.T) {
	tests := []struct {
		name string
		msg  message
		code string // "" when accepted
	}{
		{"valid text", text("hello"), ""},
		{"html in body is fine", text("<b>hello</b>"), ""},
		{"tag with a colon in ref", text("x").with(func(m *message) { m.ref = "rel<x:y>" }), rules.CodeHTMLTag},
		{"tag in ref1", text("x").with(func(m *message) { m.ref1 = "<b>x</b>" }), rules.CodeHTMLTag},
		{"comment in ref2", text("x").with(func(m *message) { m.ref2 = "a <!-- b --> c" }), rules.CodeHTMLTag},
		{"a comparison is not a tag", text("x").with(func(m *message) { m.ref = "a < b and c > d" }), ""},
		{"ref of 255 characters", text("x").with(func(m *message) { m.ref = strings.Repeat("é", 255) }), ""},
		{"ref of 256 characters", text("x").with(func(m *message) { m.ref = strings.Repeat("é", 256) }), rules.CodeBadField},
		{"empty body", text(""), rules.CodeBadField},
		{"body of 4,096 characters", text(strings.Repeat("é", 4096)), ""},
		{"body of 4,097 characters", text(strings.Repeat("x", 4097)), rules.CodeBadField},
		{"body of 5,000 characters", text(strings.Repeat("x", 5000)), rules.CodeBadField},
		{"valid template", template("v1.2", "today"), ""},
		{"tag in a parameter", template("v1", "<i>now</i>"), rules.CodeHTMLTag},
		{"empty template name", template("v1").with(func(m *message) { m.templateName = "" }), rules.CodeBadField},
		{"tag in template name", template("v1").with(func(m *message) { m.templateName = "<b>t</b>" }), rules.CodeHTMLTag},
		{"tag in language", template("v1").with(func(m *message) { m.language = "<en>" }), rules.CodeHTMLTag},
		{"invalid to", text("x").with(func(m *message) { m.to = []string{"+10000000000"} }), rules.CodeInvalidTo},
		{"second to invalid", text("x").with(func(m *message) { m.to = []string{"+12025550123", "+999123"} }), rules.CodeInvalidTo},
		{"invalid from", text("x").with(func(m *message) { m.from = "+1202555" }), rules.CodeInvalidFrom},
		{"letter in from", text("x").with(func(m *message) { m.from = "+1202555O100" }), rules.CodeInvalidFrom},
		{"https callback", text("x").with(func(m *message) { m.callback = "https://hooks.example.com/k" }), ""},
		{"loopback http callback", text("x").with(func(m *message) { m.callback = "http://127.0.0.1:9000/h" }), ""},
		{"insecure callback", text("x").with(func(m *message) { m.callback = "http://hooks.example.com/k" }), rules.CodeBadField},
		{"callback not a URL", text("x").with(func(m *message) { m.callback = "hooks.example.com" }), rules.CodeBadField},
		{"media", media("https://cdn.example.com/n.pdf", "Notes <b>v2</b>"), ""},
		{"loopback http media", media("http://127.0.0.1:9000/n.pdf", ""), ""},
		{"http media to a public host", media("http://cdn.example.com/n.pdf", ""), rules.CodeBadField},
		{"media URL not a URL", media("cdn.example.com/n.pdf", ""), rules.CodeBadField},
		{"tag in media URL", media("https://cdn.example.com/<b>n</b>", ""), rules.CodeHTMLTag},
		{"caption of 1,024 characters", media("https://cdn.example.com/n.pdf", strings.Repeat("é", 1024)), ""},
		{"caption of 1,025 characters", media("https://cdn.example.com/n.pdf", strings.Repeat("é", 1025)), rules.CodeBadField},
		{"media template", template("v1").with(func(m *message) { m.mediaHeader, m.button = "https://cdn.example.com/b.png", "v1" }), ""},
		{"http media header", template("v1").with(func(m *message) { m.mediaHeader, m.button = "http://cdn.example.com/b.png", "v1" }), rules.CodeBadField},
		{"tag in button part", template("v1").with(func(m *message) { m.mediaHeader, m.button = "https://cdn.example.com/b.png", "<a>v1</a>" }), rules.CodeHTMLTag},
		{"tag in callback", text("x").with(func(m *message) { m.callback = "https://x.example/<script>" }), rules.CodeHTMLTag},
	}
	emu, err := emulator.New(emulator.Options{SID: "HXTEST0001IN", APIKey: "k", Outbox: filepath.Join(t.TempDir(), "outbox.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	emuServer := httptest.NewServer(emu)
	defer emuServer.Close()
	var fakeRequests atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fakeRequests.Add(1)
		r.ParseForm()
		var data []string
		for i, to := range strings.Split(r.PostForm.Get("to"), ",") {
			data = append(data, fmt.Sprintf(`{"message_id":"m:%d","recipient":%q}`, i, strings.TrimPrefix(to, "+")))
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":"m","data":[%s],"error":{}}`, strings.Join(data, ","))
	}))
	defer fake.Close()
	client, err := kaleyra.New(kaleyra.Settings{SID: "HXTEST0001IN", APIKey: "k", Endpoint: fake.URL, MessagesPerSecond: 1000, Timeout: 5 * time.Second}, kaleyra.Options{})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validateVerdict(t, tt.msg); got != tt.code {
				t.Errorf("validate: %q, want %q", got, tt.code)
			}
			before := fakeRequests.Load()
			if got := clientVerdict(t, client, tt.msg); got != tt.code {
				t.Errorf("client: %q, want %q", got, tt.code)
			}
			if sent := fakeRequests.Load() - before; (tt.code == "") != (sent == 1) {
				t.Errorf("client made %d requests", sent)
			}
			if got := emulatorVerdict(t, emuServer.URL, tt.msg); got != tt.code {
				t.Errorf("emulator: %q, want %q", got, tt.code)
			}
		})
	}
}

// hclString writes s as an HCL string literal, template sequences escaped.
func hclString(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q, "${", "$${")
	return strings.ReplaceAll(q, "%{", "%%{")
}

// validateVerdict loads m as a configuration and returns the code of the
// rule its diagnostics report, "" when there are none.
func validateVerdict(t *testing.T, m message) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"kaleyra\" {\n  sid = \"HXTEST0001IN\"\n  emulator = true\n}\n")
	fmt.Fprintf(&b, "sender \"ops\" {\n  number = %s\n}\n", hclString(m.from))
	var to []string
	for _, n := range m.to {
		to = append(to, hclString(n))
	}
	fmt.Fprintf(&b, "message \"m\" {\n  from = sender.ops\n  to = [%s]\n  ref = %s\n", strings.Join(to, ", "), hclString(m.ref))
	for _, f := range []struct{ name, value string }{{"ref1", m.ref1}, {"ref2", m.ref2}, {"callback_url", m.callback}} {
		if f.value != "" {
			fmt.Fprintf(&b, "  %s = %s\n", f.name, hclString(f.value))
		}
	}
	if m.body != nil {
		fmt.Fprintf(&b, "  body = %s\n}\n", hclString(*m.body))
	} else if m.media != nil {
		fmt.Fprintf(&b, "  media = { url = %s, caption = %s }\n}\n", hclString(m.media.url), hclString(m.media.caption))
	} else {
		var names, params []string
		for i, p := range m.params {
			name := "p" + strconv.Itoa(i+1)
			names = append(names, strconv.Quote(name))
			params = append(params, name+" = "+hclString(p))
		}
		fmt.Fprintf(&b, "  template = template.t\n  params = { %s }\n", strings.Join(params, ", "))
		if m.mediaHeader != "" {
			fmt.Fprintf(&b, "  header = { media_url = %s }\n", hclString(m.mediaHeader))
		}
		if m.button != "" {
			fmt.Fprintf(&b, "  button_url = %s\n", hclString(m.button))
		}
		b.WriteString("}\n")
		fmt.Fprintf(&b, "template \"t\" {\n  name = %s\n  params = [%s]\n", hclString(m.templateName), strings.Join(names, ", "))
		if m.language != "" {
			fmt.Fprintf(&b, "  language = %s\n", hclString(m.language))
		}
		if m.mediaHeader != "" {
			b.WriteString("  header = \"image\"\n")
		}
		if m.button != "" {
			b.WriteString("  button = \"url\"\n")
		}
		b.WriteString("}\n")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, diags := lang.Load(lang.Options{Dir: dir, LookupEnv: func(string) (string, bool) { return "", false }})
	codes := map[string]bool{}
	for _, d := range diags {
		p, ok := d.Extra.(rules.Problem)
		if !ok {
			t.Fatalf("a diagnostic that is no rule's: %s: %s\n%s", d.Summary, d.Detail, b.String())
		}
		codes[p.Code] = true
	}
	var list []string
	for c := range codes {
		list = append(list, c)
	}
	sort.Strings(list)
	return strings.Join(list, ",")
}

func (m message) batch() kaleyra.Batch {
	b := kaleyra.Batch{From: m.from, To: m.to, Ref: m.ref, Ref1: m.ref1, Ref2: m.ref2, CallbackURL: m.callback}
	if m.body != nil {
		b.Content = delivery.Content{Type: delivery.Text, Body: *m.body}
		return b
	}
	if m.media != nil {
		b.Content = delivery.Content{Type: delivery.Media, MediaURL: m.media.url, Caption: m.media.caption}
		return b
	}
	b.Content = delivery.Content{Type: delivery.Template, TemplateName: m.templateName, Language: m.language}
	for i, p := range m.params {
		b.Content.Params = append(b.Content.Params, delivery.Param{Name: "p" + strconv.Itoa(i+1), Value: p})
	}
	if m.mediaHeader != "" {
		b.Content.Type, b.Content.Header, b.Content.MediaURL = delivery.MediaTemplate, delivery.HeaderImage, m.mediaHeader
	}
	b.Content.ButtonURL = m.button
	return b
}

// clientVerdict sends m and returns the code of its refusal, "" when it
// was sent.
func clientVerdict(t *testing.T, c *kaleyra.Client, m message) string {
	t.Helper()
	out, err := c.Send(context.Background(), m.batch(), func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, o := range out {
		if o.Status == kaleyra.Sent {
			codes[""] = true
		} else {
			codes[o.Code] = true
		}
	}
	if len(codes) != 1 {
		t.Fatalf("mixed outcomes: %+v", out)
	}
	for c := range codes {
		return c
	}
	return ""
}

// emulatorVerdict posts m's fields to the emulator as a form and returns
// the code it answers, "" when it accepts.
func emulatorVerdict(t *testing.T, base string, m message) string {
	t.Helper()
	v := url.Values{"to": {strings.Join(m.to, ",")}, "channel": {"whatsapp"}, "from": {m.from}, "ref": {m.ref}}
	for _, f := range []struct{ name, value string }{{"ref1", m.ref1}, {"ref2", m.ref2}, {"callback_url", m.callback}, {"lang_code", m.language}} {
		if f.value != "" {
			v.Set(f.name, f.value)
		}
	}
	if m.body != nil {
		v.Set("type", "text")
		v.Set("body", *m.body)
	} else if m.media != nil {
		v.Set("type", "media")
		v.Set("media_url", m.media.url)
		v.Set("caption", m.media.caption)
	} else {
		b := m.batch()
		v.Set("type", "template")
		v.Set("template_name", m.templateName)
		v.Set("params", kaleyra.EncodeParams(b.Content.Params))
		if m.mediaHeader != "" {
			v.Set("type", "mediatemplate")
			v.Set("media_url", m.mediaHeader)
		}
		if m.button != "" {
			v.Set("param_url", m.button)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/HXTEST0001IN/messages", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("api-key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct{ Code string }
	if resp.StatusCode/100 == 2 {
		return ""
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	return answer.Code
}
