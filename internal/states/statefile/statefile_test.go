package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statestest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var t0 = time.Date(2026, 11, 26, 10, 15, 5, 123456789, time.UTC)

// record makes a realistic delivery: message m of a campaign to recipient i.
func record(m, i int) *states.Delivery {
	return &states.Delivery{
		Key: delivery.Key{
			Channel:   "whatsapp",
			Sender:    "+12025550100",
			Recipient: fmt.Sprintf("+1202%07d", i),
			Ref:       fmt.Sprintf("release-v1.2.3-msg%d", m),
			Ref1:      "rollout",
		},
		Address:   fmt.Sprintf("message.announce[\"wave-%d\"]", m),
		Digest:    delivery.Content{Type: delivery.Text, Body: fmt.Sprintf("body %d", m)}.Digest(),
		Status:    states.Sent,
		RequestID: fmt.Sprintf("b7f0c1d2-%04d-4e5f-8a9b-0c1d2e3f4a5b", i/100),
		MessageID: fmt.Sprintf("3f1c2a9e-%08d-4b7a-9c1d-2e3f4a5b6c7d", i),
		Attempts:  1,
		FirstSent: t0.Add(time.Duration(i) * time.Millisecond),
		UpdatedAt: t0.Add(time.Duration(i)*time.Millisecond + 250*time.Millisecond),
	}
}

// campaign is a state of messages x recipients, all sent.
func campaign(messages, recipients int) *states.State {
	s := states.New("5f0c8e1a-7d2b-4c3e-9f4a-1b2c3d4e5f60")
	s.Serial = 7
	for m := 0; m < messages; m++ {
		for i := 0; i < recipients; i++ {
			s.Set(record(m, m*recipients+i))
		}
	}
	return s
}

// withReceipts gives some of s's sent deliveries a receipt, one of each
// status, and s two conversations.
func withReceipts(s *states.State) {
	statuses := []states.Receipt{
		{Status: states.Read, At: t0.Add(time.Minute)},
		{Status: states.Delivered, At: t0.Add(2 * time.Minute)},
		{Status: states.ReceiptFailed, ErrorCode: "131026", ErrorText: "Message undeliverable", At: t0.Add(3 * time.Minute)},
		{Status: states.NotSent, At: t0.Add(4 * time.Minute)},
		{Status: states.Accepted, At: t0.Add(5 * time.Minute)},
	}
	i := 0
	for _, d := range s.Sorted() {
		if d.Status != states.Sent || i == len(statuses) {
			continue
		}
		r := statuses[i]
		d.Receipt = &r
		i++
	}
	s.Inbound = map[states.InboundKey]time.Time{
		{Sender: "+12025550100", Recipient: "+12020000001"}: t0.Add(-time.Hour),
		{Sender: "+12025550100", Recipient: "+12020000000"}: t0.Add(-2 * time.Hour),
	}
}

// TestReadVersion1 reads a file written before receipts: version 1, with
// neither receipts nor conversations.
func TestReadVersion1(t *testing.T) {
	v1 := `{"version":1,"lineage":"l","serial":3,"deliveries":[` +
		`{"key":{"channel":"whatsapp","sender":"+12025550100","recipient":"+12025550123","ref":"r"},` +
		`"address":"message.a","digest":"` + strings.Repeat("0", 64) + `","status":"sent","attempts":1,` +
		`"first_attempt_at":"2026-01-02T15:04:05Z","updated_at":"2026-01-02T15:04:05Z"}]}`
	s, err := Parse([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if s.Deliveries.Len() != 1 || s.Inbound != nil {
		t.Fatalf("got %d deliveries and inbound %v, want 1 and none", s.Deliveries.Len(), s.Inbound)
	}
	for d := range s.Deliveries.All() {
		if d.Receipt != nil {
			t.Errorf("a version 1 record read with receipt %+v", d.Receipt)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"version": 3`) {
		t.Errorf("a version 1 state is written back as version 3; got\n%s", buf.String())
	}
}

// tricky holds strings that exercise every escaping rule.
var tricky = []string{
	"plain",
	`quote " and backslash \`,
	"newline\n tab\t cr\r bell\a nul\x00 esc\x1b",
	"<b>html</b> & ampersand",
	"unicode: ñ, 日本語, emoji 🚀",
	"separators \u2028 and \u2029",
	"invalid utf-8: \xff\xfe end",
	"",
}

func TestWriteReadRoundTrip(t *testing.T) {
	s := campaign(3, 4)
	failed := record(9, 1)
	failed.Status, failed.ErrorCode, failed.ErrorText = states.Failed, "E13009", "to number invalid"
	failed.RequestID, failed.MessageID = "", ""
	s.Set(failed)
	for i, str := range tricky {
		d := record(20, 100+i)
		d.Status = states.Unknown
		d.Key.Ref2 = str
		d.ErrorText = str
		s.Set(d)
	}
	withReceipts(s)
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Invalid UTF-8 does not survive JSON: it comes back as U+FFFD, as it
	// would through encoding/json.
	for d := range s.Deliveries.All() {
		if strings.Contains(d.ErrorText, "\xff") {
			s.Deliveries.Delete(d.Key)
			d.Key.Ref2 = strings.ToValidUTF8(d.Key.Ref2, "\uFFFD\uFFFD")
			d.ErrorText = d.Key.Ref2
			s.Set(d)
		}
	}
	if diff := cmp.Diff(s, got, statestest.Records); diff != "" {
		t.Errorf("round trip changed the state (-wrote +read):\n%s", diff)
	}
}

func TestWriteGolden(t *testing.T) {
	s := campaign(2, 2)
	d := record(0, 9)
	d.Status, d.ErrorCode, d.ErrorText = states.Unknown, "INTERRUPTED", "herald was interrupted"
	d.MessageID = ""
	s.Set(d)
	withReceipts(s)
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "small.state")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("Write output differs from %s (-want +got; -update to accept):\n%s", golden, diff)
	}
}

func TestWriteEmptyState(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, states.New("abc")); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"version\": 3,\n  \"lineage\": \"abc\",\n  \"serial\": 0,\n  \"deliveries\": []\n}\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	got, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.Lineage != "abc" || got.Serial != 0 || got.Deliveries == nil || got.Deliveries.Len() != 0 {
		t.Errorf("got %+v", got)
	}
}

func TestWriteRefusesWhatCannotBeRead(t *testing.T) {
	inFlight := campaign(1, 1)
	for d := range inFlight.Deliveries.All() {
		d.Status = "in_flight"
	}
	tooLate := states.New("l")
	tooLate.Serial = MaxSerial + 1
	tests := map[string]struct {
		state *states.State
		want  string
	}{
		"no lineage": {states.New(""), "no lineage"},
		"in flight":  {inFlight, `has status "in_flight", which a state file cannot hold`},
		"serial":     {tooLate, "larger than a state file may hold"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tt.state)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestAppendDeliveryMatchesEncodingJSON keeps the hand-written encoder
// byte for byte in step with encoding/json.
func TestAppendDeliveryMatchesEncodingJSON(t *testing.T) {
	var cases []*states.Delivery
	for i, s := range tricky {
		d := record(1, i)
		d.Key.Channel, d.Key.Ref, d.Key.Ref1, d.Key.Ref2 = s, s, s, s
		d.Address, d.RequestID, d.MessageID, d.ErrorCode, d.ErrorText = s, s, s, s, s
		cases = append(cases, d)
	}
	zero := &states.Delivery{}
	local := record(2, 2)
	local.FirstSent = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 5*3600+1800))
	cases = append(cases, zero, local)
	for i, d := range cases {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendDelivery(nil, d); string(got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestParseMatchesEncodingJSON decodes hand-written variations (spacing,
// field order, escapes) with both this package and encoding/json.
func TestParseMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		`{"version":1,"lineage":"l","serial":0,"deliveries":[]}`,
		` { "deliveries" : [ ] , "serial" : 12 , "lineage" : "l\u00e9" , "version" : 1 } `,
		"{\"version\":1,\"lineage\":\"l\",\"serial\":3,\"deliveries\":[\r\n\t" +
			`{"updated_at":"2026-01-02T03:04:05.5+05:30","first_attempt_at":"2026-01-02T03:04:05Z","attempts":2,` +
			`"status":"failed","digest":"ab","address":"message.x[\"k\\\"q\"]","error_text":"a\/b \ud83d\ude80 \ud800 lone \u0041",` +
			`"key":{"ref2":"\t","ref1":"","ref":"r","recipient":"+12025550123","sender":"+12025550100","channel":"whatsapp"}}]}`,
		`{"version":1,"lineage":"l","serial":3,"deliveries":[` +
			`{"key":{"channel":"c","sender":"+1","recipient":"+21","ref":"x"},"address":"a","digest":"d","status":"sent","attempts":1,"first_attempt_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z","message_id":"m\u2028"},` +
			`{"key":{"channel":"c","sender":"+1","recipient":"+22","ref":"x"},"address":"a","digest":"d","status":"unknown","attempts":0,"first_attempt_at":"0001-01-01T00:00:00Z","updated_at":"2026-01-02T03:04:05Z","error_code":"INTERRUPTED"}]}`,
	}
	for i, in := range inputs {
		got, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		var doc struct {
			Version    int
			Lineage    string
			Serial     uint64
			Deliveries []*states.Delivery
		}
		if err := json.Unmarshal([]byte(in), &doc); err != nil {
			t.Fatalf("input %d: encoding/json: %v", i, err)
		}
		want := states.New(doc.Lineage)
		want.Serial = doc.Serial
		for _, d := range doc.Deliveries {
			want.Set(d)
		}
		if diff := cmp.Diff(want, got, statestest.Records); diff != "" {
			t.Errorf("input %d: Parse disagrees with encoding/json (-json +Parse):\n%s", i, diff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const key = `"key":{"channel":"whatsapp","sender":"+1","recipient":"+2","ref":"r"}`
	const rest = `"address":"message.a","digest":"d","status":"sent","attempts":1,"first_attempt_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"`
	rec := "{" + key + "," + rest + "}"
	doc := func(deliveries ...string) string {
		return "{\n\"version\": 1,\n\"lineage\": \"l\",\n\"serial\": 1,\n\"deliveries\": [\n" + strings.Join(deliveries, ",\n") + "\n]\n}\n"
	}
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", "line 1, column 1: unexpected end of file; expected the state object"},
		{"not an object", "[]", `line 1, column 1: unexpected '['; expected the state object`},
		{"newer version", `{"version": 4, "lineage": "l", "serial": 1, "deliveries": [{"new_field": true}]}`,
			"format version 4, but this herald only knows version 3; upgrade herald"},
		{"version after an unknown v4 field", `{"deliveries": [{"new_field": true}], "version": 4}`, "format version 4"},
		{"version 0", `{"version": 0}`, "format version 0, which no herald writes; this herald reads versions 1 to 3"},
		{"unknown receipt status", `{"version":2,"lineage":"l","serial":0,"deliveries":[{"receipt":{"status":"lost"}}]}`, `unknown receipt status "lost"`},
		{"receipt without time", `{"version":2,"lineage":"l","serial":0,"deliveries":[{"receipt":{"status":"read"}}]}`, `receipt has no "at" field`},
		{"unknown receipt field", `{"version":2,"lineage":"l","serial":0,"deliveries":[{"receipt":{"body":"hi"}}]}`, `unknown field "body" in a receipt`},
		{"inbound not E.164", `{"version":2,"lineage":"l","serial":0,"deliveries":[],"inbound":[{"sender":"+12025550100","recipient":"0044 7700"}]}`, `the recipient "0044 7700" is not an E.164 number`},
		{"inbound twice", `{"version":2,"lineage":"l","serial":0,"deliveries":[],"inbound":[` +
			`{"sender":"+12025550100","recipient":"+12025550123","at":"2026-01-02T15:04:05Z"},` +
			`{"sender":"+12025550100","recipient":"+12025550123","at":"2026-01-03T15:04:05Z"}]}`, `appears twice`},
		{"inbound without time", `{"version":2,"lineage":"l","serial":0,"deliveries":[],"inbound":[{"sender":"+12025550100","recipient":"+12025550123"}]}`, `inbound conversation has no "at" field`},
		{"version zero", `{"version": 0}`, "format version 0, which no herald writes"},
		{"truncated", doc(rec)[:120], "unexpected end of file"},
		{"bad JSON with line", doc(rec, "{"+key+",,}"), `line 7, column 72: unexpected ','; expected a field name in double quotes`},
		{"duplicate delivery", doc(rec, rec), `line 7, column 1: the delivery whatsapp:+1->+2 ref="r" appears twice`},
		{"duplicate field", doc("{" + key + "," + rest + `,"status":"failed"}`), `field "status" appears twice in a delivery`},
		{"duplicate top-level field", `{"version":1,"version":1}`, `line 1, column 14: field "version" appears twice`},
		{"unknown field", doc("{" + key + "," + rest + `,"colour":"red"}`), `unknown field "colour" in a delivery`},
		{"unknown key field", doc(`{"key":{"channel":"c","sender":"+1","recipient":"+2","ref":"x","ref3":"y"},` + rest + "}"), `unknown field "ref3" in a delivery key`},
		{"missing field", doc("{" + key + "}"), `line 6, column 1: delivery has no "address" field`},
		{"recipient not E.164", doc(`{"key":{"channel":"whatsapp","sender":"+1","recipient":"+1 202 555 0123","ref":"r"},` + rest + "}"), `line 6, column 56: the recipient "+1 202 555 0123" is not an E.164 number`},
		{"recipient without +", doc(`{"key":{"channel":"whatsapp","sender":"+1","recipient":"12025550123","ref":"r"},` + rest + "}"), `the recipient "12025550123" is not an E.164 number`},
		{"sender with a letter", doc(`{"key":{"channel":"whatsapp","sender":"+1202555O100","recipient":"+2","ref":"r"},` + rest + "}"), `the sender "+1202555O100" is not an E.164 number`},
		{"missing key field", doc(`{"key":{"channel":"c","sender":"+1","ref":"x"},` + rest + "}"), `delivery key has no "recipient" field`},
		{"in flight in a state file", doc(strings.Replace(rec, `"sent"`, `"in_flight"`, 1)), `unknown delivery status "in_flight"`},
		{"bad status", doc(strings.Replace(rec, `"sent"`, `"delivered"`, 1)), `unknown delivery status "delivered"`},
		{"bad time", doc(strings.Replace(rec, `2026-01-02T03:04:05Z"}`, `yesterday"}`, 1)), `invalid time "yesterday"`},
		{"negative attempts", doc(strings.Replace(rec, `"attempts":1`, `"attempts":-1`, 1)), `unexpected '-'; expected a whole number`},
		{"fractional serial", `{"version":1,"lineage":"l","serial":1.5,"deliveries":[]}`, "expected a whole number"},
		{"string as number", `{"version":"1"}`, "expected a whole number"},
		{"null", `{"version":1,"lineage":null}`, "expected a string in double quotes"},
		{"empty lineage", `{"version":1,"lineage":"","serial":0,"deliveries":[]}`, "the lineage is empty"},
		{"missing deliveries", `{"version":1,"lineage":"l","serial":0}`, `the state has no "deliveries" field`},
		{"missing version", `{"lineage":"l","serial":0,"deliveries":[]}`, `the state has no "version" field`},
		{"trailing text", `{"version":1,"lineage":"l","serial":0,"deliveries":[]} {}`, `line 1, column 56: unexpected '{' after the end of the state object`},
		{"unknown top-level field", `{"version":1,"outputs":{}}`, `unknown field "outputs" in the state`},
		{"control character", "{\"version\":1,\"lineage\":\"a\tb\"}", `control character '\t' in a string`},
		{"bad escape", `{"version":1,"lineage":"a\qb"}`, `invalid escape "\\q"`},
		{"bad unicode escape", `{"version":1,"lineage":"a\u12"}`, `invalid \u escape`},
		{"unterminated string", `{"version":1,"lineage":"abc`, "string not terminated"},
		{"serial overflow", `{"version":1,"lineage":"l","serial":99999999999999999999}`, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded; want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error\n  %v\nwant one containing\n  %s", err, tt.want)
			}
		})
	}
}

func TestVersionErrorType(t *testing.T) {
	_, err := Parse([]byte(`{"version":4}`))
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != 4 {
		t.Errorf("got %v (%T), want a *VersionError for version 4", err, err)
	}
}

func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, campaign(2, 2)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"version":1,"lineage":"l","serial":0,"deliveries":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses must survive a write and a read unchanged.
		var out bytes.Buffer
		if err := Write(&out, s); err != nil {
			if s.Lineage == "" {
				t.Fatalf("Parse accepted a state Write refuses: %v", err)
			}
			t.Fatal(err)
		}
		again, err := Parse(out.Bytes())
		if err != nil {
			t.Fatalf("re-reading written state: %v\n%s", err, out.Bytes())
		}
		if diff := cmp.Diff(s, again, statestest.Records); diff != "" {
			t.Fatalf("write/read changed the state:\n%s", diff)
		}
	})
}

// benchmarkState is the state of the brief's benchmark: 10 messages x
// 10,000 recipients, all sent.
func benchmarkState(b *testing.B) (*states.State, []byte) {
	b.Helper()
	s := campaign(10, 10_000)
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		b.Fatal(err)
	}
	return s, buf.Bytes()
}

func BenchmarkWrite(b *testing.B) {
	s, data := benchmarkState(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if err := Write(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

func BenchmarkRead(b *testing.B) {
	_, data := benchmarkState(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkReadEncodingJSON is the baseline that justifies the hand-written
// decoder.
func BenchmarkReadEncodingJSON(b *testing.B) {
	_, data := benchmarkState(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		var doc struct {
			Version    int
			Lineage    string
			Serial     uint64
			Deliveries []*states.Delivery
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			b.Fatal(err)
		}
		s := states.New(doc.Lineage)
		for _, d := range doc.Deliveries {
			s.Set(d)
		}
	}
	reportCPU(b, cpu)
}

func TestJournalHeaderRoundTrip(t *testing.T) {
	for _, h := range []JournalHeader{
		{Lineage: "5f0c8e1a-7d2b-4c3e-9f4a-1b2c3d4e5f60", BaseSerial: 3},
		{Lineage: "5f0c8e1a-7d2b-4c3e-9f4a-1b2c3d4e5f60", BaseSerial: 0, LockID: "9a1e0c2b-1111-4222-8333-444455556666"},
	} {
		j, err := ParseJournal(AppendJournalHeader(nil, h), func(states.Status) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		if j.Header == nil || *j.Header != h {
			t.Errorf("header %+v read back as %+v", h, j.Header)
		}
	}
}
