package redact_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/redact"
)

// secret has characters that each encoding writes differently.
const secret = `sk/live+K3y "<&>" ü=1`

func TestStringMasksEveryEncoding(t *testing.T) {
	js, _ := json.Marshal(secret)
	tests := map[string]string{
		"raw":              secret,
		"query escaped":    url.QueryEscape(secret),
		"path escaped":     url.PathEscape(secret),
		"lower-case %xx":   regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(secret), strings.ToLower),
		"json":             strings.Trim(string(js), `"`),
		"json, \\/":        strings.ReplaceAll(strings.Trim(string(js), `"`), "/", `\/`),
		"json, no html":    `sk/live+K3y \"<&>\" ü=1`,
		"base64":           base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64 url":       base64.URLEncoding.EncodeToString([]byte(secret)),
		"base64 in basic":  base64.StdEncoding.EncodeToString([]byte("user:" + secret)),
		"base64 offset 1":  base64.StdEncoding.EncodeToString([]byte("ab" + secret + "z")),
		"hex":              hex.EncodeToString([]byte(secret)),
		"every byte %XX":   percent(secret),
		"twice, separated": secret + " and " + url.QueryEscape(secret),
	}
	s := redact.New(secret, "another-secret")
	for name, form := range tests {
		t.Run(name, func(t *testing.T) {
			text := "the server said: " + form + "!"
			got := s.String(text)
			if !strings.Contains(got, redact.Mask) {
				t.Errorf("%q: nothing masked in %q", form, got)
			}
			// What is left must not hold any recognisable part.
			for _, part := range []string{"K3y", "sk/live", "c2svbGl2ZS", "6b33"} {
				if strings.Contains(got, part) {
					t.Errorf("%q still holds %q after masking: %q", form, part, got)
				}
			}
			if !strings.HasPrefix(got, "the server said: ") {
				t.Errorf("the text around the secret was lost: %q", got)
			}
		})
	}
}

func percent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{s[i]})))
	}
	return b.String()
}

func TestInJSON(t *testing.T) {
	s := redact.New(secret)
	var escaped strings.Builder
	for _, r := range secret {
		escaped.WriteString(`\u` + hex.EncodeToString([]byte{byte(r >> 8), byte(r)}))
	}
	if !s.InJSON([]byte(`{"error":{"message":"bad key ` + escaped.String() + `"}}`)) {
		t.Error("a secret written as \\u escapes was not found")
	}
	if s.InJSON([]byte(`{"message":"nothing here"}`)) {
		t.Error("found a secret where there is none")
	}
}

func TestNilAndEmptyMaskNothing(t *testing.T) {
	var s *redact.Secrets
	if s.String("text") != "text" || redact.New("").String("text") != "text" {
		t.Error("an empty set of secrets changed the text")
	}
}

func TestNumber(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+12025550123", "+120******23"},
		{"+447700900123", "+447*******23"},
		{"12025550123", "+120******23"},
		{"+12345", "+*****"},
		{"", ""},
	} {
		if got := redact.Number(c.in); got != c.want {
			t.Errorf("redact.Number(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
