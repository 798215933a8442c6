// Package redact cuts secrets (the API key, a database password) out of
// text that came from elsewhere: a server's answer, a library's error.
// Such text may echo a secret in any of the encodings it travelled in, so
// each secret is looked for raw, URL-encoded, JSON-escaped, in base64 and
// in hex.
//
// It finds what it is given; which values are secret is its callers'.
package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Mask stands in for a secret that was cut out.
const Mask = "(sensitive)"

// minEncoded is the shortest secret whose base64 and hex forms are looked
// for: fragments of shorter ones would match ordinary text.
const minEncoded = 6

// Secrets finds and masks a set of secrets. The zero value and nil mask
// nothing.
type Secrets struct {
	raw      []string
	replacer *strings.Replacer
}

// New returns the finder for secrets; empty ones are ignored.
func New(secrets ...string) *Secrets {
	s := &Secrets{}
	seen, seenForm := map[string]bool{}, map[string]bool{}
	var forms []string
	for _, secret := range secrets {
		if secret == "" || seen[secret] {
			continue
		}
		seen[secret] = true
		s.raw = append(s.raw, secret)
		for _, f := range encodings(secret) {
			if f != "" && !seenForm[f] {
				seenForm[f] = true
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == 0 {
		return s
	}
	// The replacer tries its strings in order at each position: longest
	// first, so that a longer encoding is masked whole, not in part.
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Mask)
	}
	s.replacer = strings.NewReplacer(pairs...)
	return s
}

// String returns text with every form of every secret masked.
func (s *Secrets) String(text string) string {
	if s == nil || s.replacer == nil {
		return text
	}
	return s.replacer.Replace(text)
}

// InJSON reports whether a JSON document holds a secret in one of its
// strings after unescaping: JSON may escape any character, in forms too
// many to list, so a caller that finds one withholds the whole document.
func (s *Secrets) InJSON(doc []byte) bool {
	if s == nil || len(s.raw) == 0 {
		return false
	}
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return false
	}
	return s.inValue(v)
}

func (s *Secrets) inValue(v any) bool {
	switch v := v.(type) {
	case string:
		return s.String(v) != v
	case []any:
		for _, e := range v {
			if s.inValue(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if s.inValue(k) || s.inValue(e) {
				return true
			}
		}
	}
	return false
}

// encodings lists the forms secret may travel in.
func encodings(secret string) []string {
	forms := []string{secret}
	for _, f := range []string{url.QueryEscape(secret), url.PathEscape(secret), percentAll(secret)} {
		forms = append(forms, f, lowerEscapes(f))
	}
	if b, err := json.Marshal(secret); err == nil {
		js := strings.Trim(string(b), `"`)
		forms = append(forms, js, strings.ReplaceAll(js, "/", `\/`), lowerEscapes(js))
	}
	var plain strings.Builder
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if enc.Encode(secret) == nil {
		forms = append(forms, strings.Trim(strings.TrimSpace(plain.String()), `"`))
	}
	if len(secret) >= minEncoded {
		forms = append(forms, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret))))
		for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			forms = append(forms, base64Fragments(e, secret)...)
		}
	}
	return forms
}

// percentAll escapes every byte, as some clients do.
func percentAll(secret string) string {
	var b strings.Builder
	for i := 0; i < len(secret); i++ {
		fmt.Fprintf(&b, "%%%02X", secret[i])
	}
	return b.String()
}

// lowerEscapes lowercases the hex digits of %XX and \uXXXX escapes, which
// encoders may write either way.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		n := 0
		switch {
		case b[i] == '%':
			n = 2
		case b[i] == '\\' && i+1 < len(b) && b[i+1] == 'u':
			i++
			n = 4
		}
		for j := i + 1; j <= i+n && j < len(b); j++ {
			if b[j] >= 'A' && b[j] <= 'F' {
				b[j] += 'a' - 'A'
			}
		}
		i += n
	}
	return string(b)
}

// base64Fragments are the parts of secret's base64 form that do not depend
// on what comes before or after it, at each of the three alignments it can
// have within longer encoded data (a Basic-auth header, say).
func base64Fragments(e *base64.Encoding, secret string) []string {
	var out []string
	for offset := 0; offset < 3; offset++ {
		data := append(make([]byte, offset), secret...)
		enc := e.WithPadding(base64.NoPadding).EncodeToString(data)
		// Character k holds bits [6k, 6k+6) of the data; the secret's bits
		// are [8*offset, 8*len(data)).
		start := (8*offset + 5) / 6
		end := 8 * len(data) / 6
		if end-start >= minEncoded {
			out = append(out, enc[start:end])
		}
	}
	// The secret encoded alone, with its padding.
	return append(out, e.EncodeToString([]byte(secret)))
}

// Number masks a phone number for a log line: the "+", the first three
// digits (the country code, or most of it) and the last two stay, so that
// a person can tell numbers apart in a log without the log holding them.
// Anything too short to keep digits of is masked whole.
func Number(n string) string {
	if n == "" {
		return ""
	}
	digits := strings.TrimPrefix(n, "+")
	if len(digits) < 7 {
		return "+" + strings.Repeat("*", len(digits))
	}
	return "+" + digits[:3] + strings.Repeat("*", len(digits)-5) + digits[len(digits)-2:]
}
