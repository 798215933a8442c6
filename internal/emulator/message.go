package emulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
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
	mediaURL     string
	caption      string
	paramHeader  string
	paramURL     string
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
		return nil, badRequest(rules.CodeBadField, "Content-Type %q is not application/x-www-form-urlencoded, multipart/form-data or application/json.", r.Header.Get("Content-Type"))
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, badRequest(rules.CodeBadField, "The form body cannot be read: %v.", err)
		}
		return r.PostForm, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxRequestBytes); err != nil {
			return nil, badRequest(rules.CodeBadField, "The multipart body cannot be read: %v.", err)
		}
		return r.PostForm, nil
	case "application/json":
		var obj map[string]any
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&obj); err != nil {
			return nil, badRequest(rules.CodeBadField, "The JSON body cannot be read: %v.", err)
		}
		values := url.Values{}
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				return nil, badRequest(rules.CodeBadField, "The JSON field %q must be a string.", k)
			}
			values.Set(k, s)
		}
		return values, nil
	}
	return nil, badRequest(rules.CodeBadField, "Content-Type %q is not application/x-www-form-urlencoded, multipart/form-data or application/json.", mediaType)
}

// checkFields applies Kaleyra's rules to the decoded fields: the ones the
// wire itself requires here, and the field rules of package rules, in the
// order Kaleyra finds them.
func checkFields(v url.Values) (*message, *apiError) {
	m := &message{
		typ:          v.Get("type"),
		channel:      v.Get("channel"),
		from:         number(v.Get("from")),
		callbackURL:  v.Get("callback_url"),
		ref:          v.Get("ref"),
		ref1:         v.Get("ref1"),
		ref2:         v.Get("ref2"),
		body:         v.Get("body"),
		templateName: v.Get("template_name"),
		langCode:     v.Get("lang_code"),
		mediaURL:     v.Get("media_url"),
		caption:      v.Get("caption"),
		paramHeader:  v.Get("param_header"),
		paramURL:     v.Get("param_url"),
		source:       v.Get("source"),
	}
	for _, name := range []string{"to", "type", "channel", "from"} {
		if strings.TrimSpace(v.Get(name)) == "" {
			return nil, badRequest(rules.CodeBadField, "The field %q is required.", name)
		}
	}
	// E413 first, in every field, even those the emulator does not read:
	// Kaleyra rejects tags before looking at what the fields mean.
	for name, vals := range v {
		for _, val := range vals {
			if p := rules.CheckNoHTML(name, val); p != nil {
				return nil, refusal(*p)
			}
		}
	}
	for _, raw := range strings.Split(v.Get("to"), ",") {
		m.to = append(m.to, number(raw))
	}
	if m.typ == rules.TypeTemplate || m.typ == rules.TypeMediaTemplate {
		params, err := kaleyra.DecodeParams(v.Get("params"))
		if err != nil {
			return nil, badRequest(rules.CodeBadField, "The field \"params\" cannot be read: %v.", err)
		}
		m.params = params
	}
	rm := rules.Message{
		Type: m.typ, Channel: m.channel, From: m.from, To: m.to,
		Body: m.body, TemplateName: m.templateName, Language: m.langCode, Params: m.params,
		MediaURL: m.mediaURL, Caption: m.caption, ParamHeader: m.paramHeader, ParamURL: m.paramURL,
		Ref: m.ref, Ref1: m.ref1, Ref2: m.ref2, CallbackURL: m.callbackURL,
	}
	if ps := rm.Check(); len(ps) > 0 {
		return nil, refusal(ps[0])
	}
	if m.source != "" && m.source != "sandbox" {
		return nil, badRequest(rules.CodeBadField, "The source %q is not supported; use sandbox or leave it out.", m.source)
	}
	return m, nil
}

// refusal answers a broken rule with its code.
func refusal(p rules.Problem) *apiError {
	return &apiError{http.StatusBadRequest, p.Code, p.Message()}
}

// number reads a number as Kaleyra does: spaces around it are ignored, and
// digits without "+" are read as E.164 with its country code, as in
// Kaleyra's own samples.
func number(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw != "" && !strings.HasPrefix(raw, "+") {
		return "+" + raw
	}
	return raw
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
