package statefile

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
)

func TestContentsRoundTrip(t *testing.T) {
	s := campaign(2, 2)
	hello := delivery.Content{Type: delivery.Text, Body: "body 0"}
	tmpl := delivery.Content{Type: delivery.Template, TemplateName: "t", Language: "en",
		Params: []delivery.Param{{Name: "a", Value: "<x> & \"y\"\n"}, {Name: "b", Value: ""}}}
	s.KeepContent(hello.Digest(), hello)
	r := record(9, 1)
	r.Digest = tmpl.Digest()
	s.Set(r)
	s.KeepContent(tmpl.Digest(), tmpl)
	orphan := delivery.Content{Type: delivery.Text, Body: "no record sent this"}
	s.KeepContent(orphan.Digest(), orphan)

	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), `{"digest":`); n != 2 {
		t.Errorf("%d contents written, want the 2 that records use:\n%s", n, buf.String())
	}
	got, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := map[delivery.Digest]delivery.Content{hello.Digest(): hello, tmpl.Digest(): tmpl}
	if diff := cmp.Diff(want, got.Contents); diff != "" {
		t.Errorf("contents read back (-want +got):\n%s", diff)
	}

	// A state without contents leaves the list out.
	buf.Reset()
	if err := Write(&buf, campaign(1, 1)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "contents") {
		t.Errorf("a state without contents wrote a list:\n%s", buf.String())
	}
}

func TestContentsParseErrors(t *testing.T) {
	hello := delivery.Content{Type: delivery.Text, Body: "hello"}.Digest()
	doc := func(entries ...string) string {
		return fmt.Sprintf("{\n\"version\": %d,\n\"lineage\": \"l\",\n\"serial\": 1,\n\"deliveries\": [],\n\"contents\": [\n%s\n]\n}\n", Version, strings.Join(entries, ",\n"))
	}
	good := `{"digest":"` + string(hello) + `","content":{"type":"text","body":"hello"}}`
	if _, err := Parse([]byte(doc(good))); err != nil {
		t.Fatalf("a good entry: %v", err)
	}
	tests := []struct{ name, in, want string }{
		{"another content", strings.Replace(good, `"body":"hello"`, `"body":"hullo"`, 1), "line 7, column 1: the content stored under digest " + string(hello) + " does not match it"},
		{"twice", good + ",\n" + good, "line 8, column 1: the content of digest " + string(hello) + " appears twice"},
		{"unknown field", strings.Replace(good, `"body"`, `"colour":"red","body"`, 1), `unknown field "colour" in a content object`},
		{"unknown entry field", strings.Replace(good, `"content"`, `"x":1,"content"`, 1), `unknown field "x" in a content entry`},
		{"no content", `{"digest":"` + string(hello) + `"}`, `a content entry needs both "digest" and "content"`},
		{"bad param", `{"digest":"d","content":{"type":"template","params":[{"name":"a","val":"b"}]}}`, `unknown field "val" in a param`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(doc(tt.in)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v\nwant an error containing %q", err, tt.want)
			}
		})
	}
}

// TestReadVersion2 reads a file written before contents were kept.
func TestReadVersion2(t *testing.T) {
	v2 := `{"version":2,"lineage":"l","serial":3,"deliveries":[` +
		`{"key":{"channel":"whatsapp","sender":"+12025550100","recipient":"+12025550123","ref":"r"},` +
		`"address":"message.a","digest":"` + strings.Repeat("0", 64) + `","status":"sent","attempts":1,` +
		`"first_attempt_at":"2026-01-02T15:04:05Z","updated_at":"2026-01-02T15:04:05Z",` +
		`"receipt":{"status":"read","at":"2026-01-02T15:05:05Z"}}]}`
	s, err := Parse([]byte(v2))
	if err != nil {
		t.Fatal(err)
	}
	if s.Deliveries.Len() != 1 || s.Contents != nil {
		t.Errorf("got %d deliveries and contents %v, want 1 and none", s.Deliveries.Len(), s.Contents)
	}
}
