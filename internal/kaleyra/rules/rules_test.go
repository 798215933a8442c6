package rules

import (
	"strings"
	"testing"
)

// TestFieldRules covers each rule, including those not yet wired to a
// configuration attribute (caption, media URL).
func TestFieldRules(t *testing.T) {
	tests := []struct {
		name  string
		got   *Problem
		kind  Kind // 0 when the value passes
		code  string
		found string
	}{
		{"body empty", CheckBody(""), Empty, CodeBadField, ""},
		{"body of one character", CheckBody("x"), 0, "", ""},
		{"body at the limit", CheckBody(strings.Repeat("é", MaxBodyLength)), 0, "", ""},
		{"body over the limit", CheckBody(strings.Repeat("x", MaxBodyLength+1)), TooLong, CodeBadField, "4097"},
		{"caption empty", CheckCaption(""), 0, "", ""},
		{"caption at the limit", CheckCaption(strings.Repeat("é", MaxCaptionLength)), 0, "", ""},
		{"caption over the limit", CheckCaption(strings.Repeat("x", MaxCaptionLength+1)), TooLong, CodeBadField, "1025"},
		{"media https", CheckMediaURL("https://cdn.example.com/a.png"), 0, "", ""},
		{"media http loopback", CheckMediaURL("http://127.0.0.1:8787/a.png"), 0, "", ""},
		{"media http localhost", CheckMediaURL("http://localhost/a.png"), 0, "", ""},
		{"media http remote", CheckMediaURL("http://cdn.example.com/a.png"), InsecureURL, CodeBadField, "cdn.example.com"},
		{"media not a URL", CheckMediaURL("cdn.example.com/a.png"), InvalidURL, CodeBadField, ""},
		{"media ftp", CheckMediaURL("ftp://cdn.example.com/a.png"), InvalidURL, CodeBadField, ""},
		{"tag in caption is fine", CheckNoHTML(FieldCaption, "<b>new</b>"), 0, "", ""},
		{"tag in body is fine", CheckNoHTML(FieldBody, "<b>new</b>"), 0, "", ""},
		{"tag in media_url", CheckNoHTML(FieldMediaURL, "https://x.example/<b>"), HTMLTag, CodeHTMLTag, "<b>"},
		{"tag with a colon", CheckNoHTML(FieldRef, "rel<x:y>"), HTMLTag, CodeHTMLTag, "<x:y>"},
		{"doctype", CheckNoHTML(FieldRef1, "<!DOCTYPE html>"), HTMLTag, CodeHTMLTag, "<!DOCTYPE html>"},
		{"comparison", CheckNoHTML(FieldRef1, "a < b > c"), 0, "", ""},
		{"parameter keeps its index", CheckParam(2, "<i>"), HTMLTag, CodeHTMLTag, "<i>"},
		{"ref at the limit", CheckRef(FieldRef2, strings.Repeat("é", MaxRefLength)), 0, "", ""},
		{"ref over the limit", CheckRef(FieldRef2, strings.Repeat("é", MaxRefLength+1)), TooLong, CodeBadField, "256"},
		{"from", CheckNumber(FieldFrom, "+1202"), InvalidNumber, CodeInvalidFrom, "+1202"},
		{"to", CheckNumber(FieldTo, "12025550199"), InvalidNumber, CodeInvalidTo, "12025550199"},
		{"valid to", CheckNumber(FieldTo, "+12025550123"), 0, "", ""},
		{"endpoint with credentials", CheckEndpoint("https://u:p@api.example.com"), Credentials, "", ""},
		{"endpoint remote http", CheckEndpoint("http://10.0.0.1"), InsecureURL, "", "10.0.0.1"},
		{"region", CheckRegion("us"), NotOneOf, "", "us"},
		{"method", CheckMethod("post"), NotOneOf, "", "post"},
		{"encoding", CheckEncoding("xml"), NotOneOf, "", "xml"},
		{"channel", CheckChannel("sms"), NotOneOf, CodeBadField, "sms"},
		{"recipients_per_request", CheckRecipientsPerRequest(1.5), OutOfRange, "", ""},
		{"template name", CheckTemplateName(""), Empty, CodeBadField, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.kind == 0 {
				if tt.got != nil {
					t.Fatalf("got %+v, want no problem", *tt.got)
				}
				return
			}
			if tt.got == nil {
				t.Fatal("got no problem")
			}
			p := *tt.got
			if p.Kind != tt.kind || p.Code != tt.code || p.Found != tt.found {
				t.Errorf("got kind %d code %q found %q, want %d %q %q", p.Kind, p.Code, p.Found, tt.kind, tt.code, tt.found)
			}
			if p.Found != "" && (strings.Contains(p.Message(), p.Found) || strings.Contains(p.Detail(false), p.Found)) && p.Kind != TooLong {
				t.Errorf("the value shows without being asked for: %q / %q", p.Message(), p.Detail(false))
			}
			if p.Detail(true) == "" || p.Message() == "" {
				t.Error("no words")
			}
		})
	}
}

// TestMessageCheckOrder: a message breaking several rules is refused with
// the first Kaleyra finds, HTML tags before numbers.
func TestMessageCheckOrder(t *testing.T) {
	m := Message{Type: TypeText, Channel: ChannelWhatsApp, From: "+1202", To: []string{"+12025550123", "+999"}, Body: "", Ref: "<b>"}
	var codes []string
	for _, p := range m.Check() {
		codes = append(codes, p.Field+":"+p.Code)
	}
	want := "ref:E413 from:E13008 to:E13009 body:E400"
	if got := strings.Join(codes, " "); got != want {
		t.Errorf("problems %q, want %q", got, want)
	}
	if ps := m.Check(); ps[2].Index != 1 || !strings.Contains(ps[2].Message(), "to number 2") {
		t.Errorf("the bad recipient is not named by position: %+v %q", ps[2], ps[2].Message())
	}
}

// A remembered verdict is the first one, with the field's own code; only
// valid numbers are remembered, each by its digits and their count.
func TestCheckNumberRemembers(t *testing.T) {
	for _, n := range []string{"+12025550123", "+1202", "12025550123"} {
		for _, field := range []string{FieldFrom, FieldTo} {
			want := numberProblem(field, n, e164Problem(n))
			for range 2 {
				got := RememberedCheckNumber(field, n)
				if (got == nil) != (want == nil) || (got != nil && (*got != *want)) {
					t.Errorf("%s %s: RememberedCheckNumber %+v, want %+v", field, n, got, want)
				}
			}
		}
	}
	for n, want := range map[string]bool{"+12025550123": true, "+1202": false, "12025550123": false} {
		packed, _ := packNumber(n)
		if got := validNumbers.has(packed); got != want {
			t.Errorf("%s remembered as valid: %v, want %v", n, got, want)
		}
	}
	a, _ := packNumber("+3906698")
	b, _ := packNumber("+39006698")
	if a == b {
		t.Error("+3906698 and +39006698 pack alike")
	}
	for _, n := range []string{"+12", "12025550123", "+1202555012345678", "+1202a550123"} {
		if _, ok := packNumber(n); ok {
			t.Errorf("%q packed", n)
		}
	}
}
