package listen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
)

// badCallback is a callback herald cannot read: it is answered 4xx and
// nothing of it is recorded.
type badCallback struct {
	status int
	msg    string
}

func (e *badCallback) Error() string { return e.msg }

func malformed(format string, a ...any) *badCallback {
	return &badCallback{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// fields is one callback's fields. JSON callbacks may nest (the v2 form's
// extra_info and meta_object); form and query callbacks are flat.
type fields map[string]any

// str is a scalar field as text: Kaleyra writes codes and timestamps as
// JSON numbers or strings alike.
func (f fields) str(name string) string {
	switch v := f[name].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func (f fields) obj(name string) fields {
	if m, ok := f[name].(map[string]any); ok {
		return fields(m)
	}
	return nil
}

// first is the first of names that is set.
func (f fields) first(names ...string) string {
	for _, n := range names {
		if v := f.str(n); v != "" {
			return v
		}
	}
	return ""
}

// readCallbacks reads the callbacks of one request: a GET's query, or a
// POST's JSON (one object, or an array of them) or form body. Query
// fields other than the token stand beside a POST's body fields (a
// callback URL may carry some), the body's winning.
func readCallbacks(r *http.Request) ([]fields, error) {
	query := fields{}
	for k, v := range r.URL.Query() {
		if k != "token" && len(v) > 0 {
			query[k] = v[0]
		}
	}
	if r.Method == http.MethodGet {
		return []fields{query}, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &badCallback{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit)}
		}
		return nil, malformed("reading the body: %v", err)
	}
	ct := r.Header.Get("Content-Type")
	mt := ""
	var params map[string]string
	if ct != "" {
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			return nil, &badCallback{http.StatusUnsupportedMediaType, fmt.Sprintf("the Content-Type %q does not parse", ct)}
		}
	} else if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		mt = "application/json"
	} else {
		mt = "application/x-www-form-urlencoded"
	}
	var list []fields
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		if list, err = decodeJSON(body); err != nil {
			return nil, err
		}
	case mt == "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, malformed("the form body does not parse: %v", err)
		}
		list = []fields{flat(values)}
	case mt == "multipart/form-data":
		f, err := decodeMultipart(body, params["boundary"])
		if err != nil {
			return nil, err
		}
		list = []fields{f}
	default:
		return nil, &badCallback{http.StatusUnsupportedMediaType, fmt.Sprintf("the Content-Type %q is not JSON or a form", mt)}
	}
	for _, f := range list {
		for k, v := range query {
			if _, ok := f[k]; !ok {
				f[k] = v
			}
		}
		delete(f, "token")
	}
	return list, nil
}

func flat(values url.Values) fields {
	f := fields{}
	for k, v := range values {
		if len(v) > 0 {
			f[k] = v[0]
		}
	}
	return f
}

func decodeJSON(body []byte) ([]fields, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, malformed("the JSON body does not parse: %v", err)
	}
	if dec.More() {
		return nil, malformed("the JSON body holds more than one value")
	}
	switch v := v.(type) {
	case map[string]any:
		return []fields{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, malformed("the JSON body is an empty array")
		}
		list := make([]fields, len(v))
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, malformed("element %d of the JSON array is not an object", i)
			}
			list[i] = m
		}
		return list, nil
	}
	return nil, malformed("the JSON body is not an object")
}

func decodeMultipart(body []byte, boundary string) (fields, error) {
	if boundary == "" {
		return nil, malformed("the multipart body has no boundary")
	}
	r := &http.Request{Method: http.MethodPost, Header: http.Header{"Content-Type": {"multipart/form-data; boundary=" + boundary}},
		Body: io.NopCloser(strings.NewReader(string(body)))}
	if err := r.ParseMultipartForm(int64(len(body)) + 1); err != nil {
		return nil, malformed("the multipart body does not parse: %v", err)
	}
	return flat(url.Values(r.MultipartForm.Value)), nil
}

// events turns one callback into events: a status callback (v1 or the v2
// Meta-shaped form, whose meta_object may hold several statuses) or an
// incoming message. received is when herald read it.
func events(f fields, received time.Time) ([]receipts.Event, error) {
	meta := metaStatuses(f)
	id := f.first("id", "message_id")
	isStatus := f.str("status") != "" || len(meta) > 0 || (id != "" && f.str("wanumber") == "")
	if !isStatus {
		return inbound(f, received)
	}
	if id == "" {
		return nil, malformed("the status callback has no id or message_id")
	}
	base := receipts.Event{Kind: receipts.StatusKind, MessageID: id, Received: received}
	extra := f.obj("extra_info")
	for _, ref := range []struct {
		dst  *string
		name string
	}{{&base.Ref, "ref"}, {&base.Ref1, "ref1"}, {&base.Ref2, "ref2"}} {
		*ref.dst = f.str(ref.name)
		if *ref.dst == "" && extra != nil {
			*ref.dst = extra.str(ref.name)
		}
	}
	var err error
	if base.Recipient, err = number("the recipient (mobile)", f.first("mobile", "phone_number", "to", "recipient")); err != nil {
		return nil, err
	}
	if base.Sender, err = number("the sender number (wanumber)", f.first("wanumber", "from")); err != nil {
		return nil, err
	}
	base.ErrorCode = f.str("error_code")
	base.ErrorText = f.first("error", "error_message", "reason")
	if base.At, err = timestamp(f.first("timestamp", "updated_at", "created_at"), received); err != nil {
		return nil, err
	}
	if len(meta) == 0 {
		if base.Status, err = status(f.str("status")); err != nil {
			return nil, err
		}
		if base.Status == states.Accepted || base.Status == states.Delivered || base.Status == states.Read {
			// A v1 callback may carry an empty error field with a success.
			base.ErrorCode, base.ErrorText = "", ""
		}
		return []receipts.Event{base}, nil
	}
	out := make([]receipts.Event, 0, len(meta))
	for i, m := range meta {
		e := base
		word := m.str("status")
		if word == "" {
			word = f.str("status")
		}
		if e.Status, err = status(word); err != nil {
			return nil, malformed("meta_object.value.statuses[%d]: %v", i, err)
		}
		if ts := m.str("timestamp"); ts != "" {
			if e.At, err = timestamp(ts, received); err != nil {
				return nil, malformed("meta_object.value.statuses[%d]: %v", i, err)
			}
		}
		if e.Recipient == "" {
			if e.Recipient, err = number("recipient_id", m.str("recipient_id")); err != nil {
				return nil, malformed("meta_object.value.statuses[%d]: %v", i, err)
			}
		}
		if errs, _ := m["errors"].([]any); len(errs) > 0 {
			if first, ok := errs[0].(map[string]any); ok {
				fe := fields(first)
				e.ErrorCode = fe.str("code")
				e.ErrorText = fe.first("title", "message")
			}
		}
		if e.Status == states.Accepted || e.Status == states.Delivered || e.Status == states.Read {
			e.ErrorCode, e.ErrorText = "", ""
		}
		out = append(out, e)
	}
	return out, nil
}

// metaStatuses is the v2 form's meta_object.value.statuses[].
func metaStatuses(f fields) []fields {
	value := f.obj("meta_object").obj("value")
	if value == nil {
		return nil
	}
	list, _ := value["statuses"].([]any)
	var out []fields
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// inbound reads an incoming-message callback: who wrote to which sender
// number, and when. What they wrote (body, text, media) is not read at
// all, so it cannot be kept.
func inbound(f fields, received time.Time) ([]receipts.Event, error) {
	from := f.first("from", "mobile")
	if from == "" {
		return nil, malformed("the callback is neither a status callback (no status) nor an incoming message (no from or mobile)")
	}
	wa := f.str("wanumber")
	if wa == "" {
		return nil, malformed("the incoming-message callback has no wanumber (the sender number it was written to)")
	}
	e := receipts.Event{Kind: receipts.InboundKind, Received: received}
	var err error
	if e.Recipient, err = number("from", from); err != nil {
		return nil, err
	}
	if e.Sender, err = number("wanumber", wa); err != nil {
		return nil, err
	}
	if e.At, err = timestamp(f.first("created_at", "timestamp"), received); err != nil {
		return nil, err
	}
	return []receipts.Event{e}, nil
}

// status reads Kaleyra's status word, in any case; Meta's are the same
// words but for not-sent, which is Kaleyra's own.
func status(word string) (states.ReceiptStatus, error) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "sent":
		return states.Accepted, nil
	case "delivered":
		return states.Delivered, nil
	case "read", "seen":
		return states.Read, nil
	case "failed":
		return states.ReceiptFailed, nil
	case "not-sent", "not_sent", "notsent", "not sent":
		return states.NotSent, nil
	case "":
		return "", malformed("the status callback has no status")
	}
	return "", malformed("the status %q is not one of sent, delivered, read, failed or not-sent", word)
}

// number normalises a phone number to E.164 with its "+". Kaleyra writes
// them as digits with the country code and without the "+", sometimes with
// it; "" stays "". An error names the field, never the value: it is
// logged, and a mistyped number is still a number.
func number(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			return -1
		}
		return 'x'
	}, s)
	digits = strings.TrimPrefix(digits, "00")
	if strings.Contains(digits, "x") || len(digits) < 3 || len(digits) > 15 {
		return "", malformed("%s is not a phone number with its country code", field)
	}
	// The numbers herald sends to are valid E.164, and come back again and
	// again: the rules' remembered check settles them without the slow
	// Parse.
	if rules.RememberedCheckNumber(rules.FieldTo, "+"+digits) == nil {
		return "+" + digits, nil
	}
	n, err := phonenumbers.Parse("+"+digits, "")
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", malformed("%s is not a phone number with its country code", field)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// timeLayouts are the date-time forms Kaleyra's callbacks use; a time
// without a zone is UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999",
}

// timestamp reads a callback's time: unix seconds (or milliseconds, as
// some callbacks send), or a date-time string. "" is the receiving time.
func timestamp(s string, received time.Time) (time.Time, error) {
	if s == "" {
		return received, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n <= 0:
		case n >= 1e15:
			return time.UnixMicro(n).UTC(), nil
		case n >= 1e12:
			return time.UnixMilli(n).UTC(), nil
		default:
			return time.Unix(n, 0).UTC(), nil
		}
		return time.Time{}, malformed("the timestamp %q is not a time", s)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e12 {
		return time.Unix(0, int64(f*1e9)).UTC(), nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, malformed("the timestamp %q is neither unix seconds nor a date and time such as 2020-01-29 06:22:21+00:00", s)
}
