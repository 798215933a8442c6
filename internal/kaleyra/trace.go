package kaleyra

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// keyFields are the request fields that are not content: what a trace
// shows of a request whose content is sensitive.
var keyFields = map[string]bool{"to": true, "type": true, "channel": true, "from": true, "callback_url": true, "ref": true, "ref1": true, "ref2": true, "source": true}

// traceRequest dumps a request at trace level. It writes the headers
// itself, rather than with httputil.DumpRequestOut, so that the api-key
// header is redacted before anything is formatted. Sensitive content is
// shown as (sensitive).
func (c *Client) traceRequest(req *http.Request, fs []field, try int, sensitive bool) {
	if !c.log.IsTrace() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", req.Method, req.URL.Redacted())
	writeHeaders(&b, req.Header)
	for _, f := range fs {
		if sensitive && !keyFields[f.name] {
			fmt.Fprintf(&b, "  %s=(sensitive)\n", f.name)
			continue
		}
		fmt.Fprintf(&b, "  %s=%q\n", f.name, f.value)
	}
	c.log.Trace("request", "try", try, "dump", c.scrub(b.String()))
}

// traceAnswer dumps an answer at trace level. The answer to a request of
// sensitive content is withheld: Kaleyra's answer may echo the content.
func (c *Client) traceAnswer(resp *http.Response, body []byte, sensitive bool) {
	if !c.log.IsTrace() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", resp.Status)
	writeHeaders(&b, resp.Header)
	const most = 4096
	if sensitive {
		fmt.Fprintf(&b, "(%d bytes withheld: the request's content is sensitive, and the answer may repeat it)\n", len(body))
	} else if c.secrets.InJSON([]byte(c.scrub(string(body)))) {
		// JSON can escape the key in more ways than scrub knows.
		fmt.Fprintf(&b, "(%d bytes withheld: the body holds the API key)\n", len(body))
	} else if len(body) > most {
		fmt.Fprintf(&b, "%s... (%d bytes)\n", body[:most], len(body))
	} else {
		fmt.Fprintf(&b, "%s\n", body)
	}
	c.log.Trace("answer", "dump", c.scrub(b.String()))
}

func writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range h[name] {
			if http.CanonicalHeaderKey(name) == "Api-Key" {
				v = "(sensitive)"
			}
			fmt.Fprintf(b, "%s: %s\n", name, v)
		}
	}
}
