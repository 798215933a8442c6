package emulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/heraldhq/herald/internal/kaleyra"
)

// message is one accepted request: the fields Kaleyra reads.
type message struct {
	sid          string
	to           []string // E.164 with "+"
	typ          string
	channel      string
	from         string
	callbackURL  string
	ref          string
	ref1         string
	ref2         string
	body         string
	templateName string
	params       []string
	langCode     string
	source       string

	// Set by accept.
	id        string
	messageID []string // per recipient of to
	created   time.Time
}

// apiError is a refusal, answered as Kaleyra's error JSON.
type apiError struct {
	status  int
	code    string
	message string
}

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, args...)}
}

// codeBadField is the emulator's code for a field Kaleyra documents as
// required or bounded but gives no code for.
const codeBadField = "E400"

// maxRequestBytes bounds a request body; 100 recipients and a long body fit
// many times over.
const maxRequestBytes = 1 << 20

// readMessage authenticates, decodes and checks a request in the order
// Kaleyra would: credentials, then fields.
func (s *Server) readMessage(r *http.Request) (*message, *apiError) {
	key := r.Header.Get("api-key")
	if key == "" || (s.opts.APIKey != "" && key != s.opts.APIKey) {
		return nil, &apiError{http.StatusUnauthorized, "RBC001", "Invalid API key or SID."}
	}
	sid := r.PathValue("sid")
	if s.opts.SID != "" && sid != s.opts.SID {
		return nil, &apiError{http.StatusUnauthorized, "RBC001", "Invalid API key or SID."}
	}
	values, apiErr := decodeFields(r)
	if apiErr != nil {
		return nil, apiErr
	}
	m, apiErr := checkFields(values)
	if apiErr != nil {
		return nil, apiErr
	}
	m.sid = sid
	return m, nil
}

// decodeFields reads the fields from the query string (GET) or the body
// (POST as form, multipart or JSON).
func decodeFields(r *http.Request) (url.Values, *apiError) {
	switch r.Method {
	case http.MethodGet:
		return r.URL.Query(), nil
	case http.MethodPost:
	default:
		return nil, &apiError{http.StatusMethodNotAllowed, "E405", "The messages API takes POST or GET."}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxRequestBytes)
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, badRequest(codeBadField, "Content-Type %q is not application/x-www-form-urlencoded, multipart/form-data or application/json.", r.Header.Get("Content-Type"))
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, badRequest(codeBadField, "The form body cannot be read: %v.", err)
		}
		return r.PostForm, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxRequestBytes); err != nil {
			return nil, badRequest(codeBadField, "The multipart body cannot be read: %v.", err)
		}
		return r.PostForm, nil
	case "application/json":
		var obj map[string]any
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&obj); err != nil {
			return nil, badRequest(codeBadField, "The JSON body cannot be read: %v.", err)
		}
		values := url.Values{}
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				return nil, badRequest(codeBadField, "The JSON field %q must be a string.", k)
			}
			values.Set(k, s)
		}
		return values, nil
	}
	return nil, badRequest(codeBadField, "Content-Type %q is not application/x-www-form-urlencoded, multipart/form-data or application/json.", mediaType)
}

// htmlTag finds anything shaped like an HTML tag, comment or doctype:
// "<b>", "</b>", "<br/>", "<!-- -->", "<!DOCTYPE html>". As in HTML, a
// tag's name follows "<" directly, so "a < b > c" is not one.
var htmlTag = regexp.MustCompile(`<(/?[A-Za-z][^<>]*|!--.*?--|![A-Za-z][^<>]*)>`)

// maxRefLength is Kaleyra's documented limit for ref, ref1 and ref2.
const maxRefLength = 255

// checkFields applies Kaleyra's rules to the decoded fields.
func checkFields(v url.Values) (*message, *apiError) {
	m := &message{
		typ:          v.Get("type"),
		channel:      v.Get("channel"),
		from:         v.Get("from"),
		callbackURL:  v.Get("callback_url"),
		ref:          v.Get("ref"),
		ref1:         v.Get("ref1"),
		ref2:         v.Get("ref2"),
		body:         v.Get("body"),
		templateName: v.Get("template_name"),
		langCode:     v.Get("lang_code"),
		source:       v.Get("source"),
	}
	for _, name := range []string{"to", "type", "channel", "from"} {
		if strings.TrimSpace(v.Get(name)) == "" {
			return nil, badRequest(codeBadField, "The field %q is required.", name)
		}
	}
	// E413 first: Kaleyra rejects tags in every field but body before
	// looking at what the fields mean.
	for name, vals := range v {
		if name == "body" {
			continue
		}
		for _, val := range vals {
			if htmlTag.MatchString(val) {
				return nil, badRequest("E413", "HTML tags are not allowed in %q.", name)
			}
		}
	}
	if !strings.EqualFold(m.channel, "whatsapp") {
		return nil, badRequest(codeBadField, "The channel %q is not supported; use whatsapp.", m.channel)
	}
	from, ok := e164(m.from)
	if !ok {
		return nil, badRequest("E13008", "Invalid from number %q.", m.from)
	}
	m.from = from
	for _, raw := range strings.Split(v.Get("to"), ",") {
		to, ok := e164(raw)
		if !ok {
			return nil, badRequest("E13009", "Invalid to number %q.", strings.TrimSpace(raw))
		}
		m.to = append(m.to, to)
	}
	for _, ref := range []struct{ name, value string }{{"ref", m.ref}, {"ref1", m.ref1}, {"ref2", m.ref2}} {
		if utf8.RuneCountInString(ref.value) > maxRefLength {
			return nil, badRequest(codeBadField, "The field %q is longer than %d characters.", ref.name, maxRefLength)
		}
	}
	switch m.typ {
	case "text":
		if m.body == "" {
			return nil, badRequest(codeBadField, "The field \"body\" is required for type text.")
		}
	case "template":
		if m.templateName == "" {
			return nil, badRequest(codeBadField, "The field \"template_name\" is required for type template.")
		}
		params, err := kaleyra.DecodeParams(v.Get("params"))
		if err != nil {
			return nil, badRequest(codeBadField, "The field \"params\" cannot be read: %v.", err)
		}
		m.params = params
	default:
		return nil, badRequest(codeBadField, "The type %q is not supported; use text or template.", m.typ)
	}
	if m.callbackURL != "" {
		u, err := url.Parse(m.callbackURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, badRequest(codeBadField, "The callback_url %q is not an http or https URL.", m.callbackURL)
		}
	}
	if m.source != "" && m.source != "sandbox" {
		return nil, badRequest(codeBadField, "The source %q is not supported; use sandbox or leave it out.", m.source)
	}
	return m, nil
}

// validNumbers remembers numbers already checked: libphonenumber's parse
// is the emulator's main cost when the same recipients come again. It
// stops growing at maxCachedNumbers so that a long run stays small.
var (
	validNumbers  sync.Map // string -> string (E.164) or "" (invalid)
	cachedNumbers atomic.Int64
)

const maxCachedNumbers = 200_000

// e164 checks a number with libphonenumber and returns it with "+". A
// number without "+" is read as digits with a country code, as in
// Kaleyra's own samples.
func e164(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if cached, ok := validNumbers.Load(raw); ok {
		s := cached.(string)
		return s, s != ""
	}
	number := raw
	if !strings.HasPrefix(number, "+") {
		number = "+" + number
	}
	result := ""
	if isDigits(number[1:]) {
		if n, err := phonenumbers.Parse(number, ""); err == nil && phonenumbers.IsValidNumber(n) {
			result = phonenumbers.Format(n, phonenumbers.E164)
		}
	}
	if cachedNumbers.Load() < maxCachedNumbers {
		if _, loaded := validNumbers.LoadOrStore(raw, result); !loaded {
			cachedNumbers.Add(1)
		}
	}
	return result, result != ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// accept gives the message its ids and returns Kaleyra's answer.
func (m *message) accept(now time.Time) kaleyra.Answer {
	m.id = newID()
	m.created = now.UTC()
	a := kaleyra.Answer{
		ID:              m.id,
		Type:            m.typ,
		Body:            m.body,
		CreatedDateTime: m.created.Format("2006-01-02 15:04:05+00:00"),
		TotalCount:      len(m.to),
		Error:           json.RawMessage(`{}`),
	}
	for i, to := range m.to {
		mid := fmt.Sprintf("%s:%d", m.id, i)
		m.messageID = append(m.messageID, mid)
		a.Data = append(a.Data, kaleyra.AnswerMessage{MessageID: mid, Recipient: strings.TrimPrefix(to, "+")})
	}
	return a
}

// newID makes a random UUID-shaped id, like Kaleyra's.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"code":"WA500","message":"the emulator could not encode its answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// writeError answers as Kaleyra does, with the code and text both at the
// top and in the "error" object, where different Kaleyra APIs put them.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, kaleyra.ErrorAnswer{
		TopCode:    code,
		TopMessage: message,
		Error:      &kaleyra.ErrorDetail{Code: code, Message: message},
	})
}
