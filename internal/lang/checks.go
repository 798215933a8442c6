package lang

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// maxRefLength is Kaleyra's limit on ref, ref1 and ref2.
const maxRefLength = 255

// htmlTag matches an opening or closing HTML tag; Kaleyra rejects any field
// but body that holds one (error E413).
var htmlTag = regexp.MustCompile(`</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>`)

// checkNoHTML reports an HTML tag in value; a sensitive value's tag is not
// quoted, since it is part of the value.
func checkNoHTML(field, value string, sensitive bool, rng hcl.Range) hcl.Diagnostics {
	tag := htmlTag.FindString(value)
	if tag == "" {
		return nil
	}
	holds := "The value holds the HTML tag " + strconv.Quote(tag) + "."
	if sensitive {
		holds = "The value, which is sensitive and so not shown, holds an HTML tag."
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "HTML tag in " + field,
		Detail:   holds + " Kaleyra rejects HTML tags in every field but a text message's body (error E413).",
		Subject:  rng.Ptr(),
	}}
}

// checkRefLength reports a ref, ref1 or ref2 longer than Kaleyra accepts,
// counted in characters rather than bytes.
func checkRefLength(field, value string, rng hcl.Range) hcl.Diagnostics {
	if n := len([]rune(value)); n > maxRefLength {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Value of " + field + " too long",
			Detail:   "The value of " + field + " has " + strconv.Itoa(n) + " characters; Kaleyra accepts at most " + strconv.Itoa(maxRefLength) + ".",
			Subject:  rng.Ptr(),
		}}
	}
	return nil
}

// checkCallbackURL requires https, except for loopback hosts where a local
// receiver may speak plain http. A sensitive URL's host is not shown.
func checkCallbackURL(value string, sensitive bool, rng hcl.Range) hcl.Diagnostics {
	u, ok := parseHTTPURL(value)
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid callback_url",
			Detail:   "The callback_url must be an absolute https URL, as https://hooks.example.com/kaleyra.",
			Subject:  rng.Ptr(),
		}}
	}
	if insecureHTTP(u) {
		host := u.Hostname()
		if sensitive {
			host = "a host that is not loopback"
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Insecure callback_url",
			Detail:   "The callback_url uses http to " + host + "; delivery reports carry phone numbers, so they must travel over https. Plain http is allowed only to a loopback address (localhost, 127.0.0.1, ::1).",
			Subject:  rng.Ptr(),
		}}
	}
	return nil
}

// parseHTTPURL parses an absolute http or https URL; ok is false for
// anything else, including a URL without a host.
func parseHTTPURL(value string) (u *url.URL, ok bool) {
	u, err := url.Parse(value)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, false
	}
	return u, true
}

// insecureHTTP tells whether u sends in the clear beyond this machine: plain
// http is allowed only to a loopback host, where a local emulator or
// receiver listens.
func insecureHTTP(u *url.URL) bool {
	return u.Scheme == "http" && !isLoopback(u.Hostname())
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// elementRange returns the source range of element i of the n elements of a
// list written as a literal [a, b, c], so that a diagnostic about one element
// points at it; for any other expression, or when the literal's length is
// not n, it returns the whole expression's range.
func elementRange(expr hcl.Expression, i, n int) hcl.Range {
	if tuple, ok := expr.(interface{ ExprList() []hcl.Expression }); ok {
		if elems := tuple.ExprList(); len(elems) == n && i < n {
			return elems[i].Range()
		}
	}
	return expr.Range()
}

// checkEndpoint requires an absolute https URL, or http to a loopback host
// such as a local emulator: every request carries the API key.
func checkEndpoint(endpoint string, rng hcl.Range) hcl.Diagnostics {
	u, ok := parseHTTPURL(endpoint)
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid endpoint",
			Detail:   "The endpoint must be an absolute https URL, as https://api.eu.kaleyra.io, or http to a loopback address, as http://127.0.0.1:8787.",
			Subject:  rng.Ptr(),
		}}
	}
	if insecureHTTP(u) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Insecure endpoint",
			Detail:   "The endpoint uses http to " + u.Hostname() + "; every request carries the API key, so it must travel over https. Plain http is allowed only to a loopback address (localhost, 127.0.0.1, ::1).",
			Subject:  rng.Ptr(),
		}}
	}
	return nil
}
