package kaleyra

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// field is one request parameter. Fields keep their order so that request
// dumps read like the API documentation.
type field struct{ name, value string }

// fields lists a batch's request parameters as Kaleyra's messages API names
// them, leaving out the optional ones that are unset.
func fields(b Batch, sandbox bool) []field {
	channel := b.Channel
	if channel == "" {
		channel = rules.ChannelWhatsApp
	}
	fs := []field{
		{"to", strings.Join(b.To, ",")},
		{"type", string(b.Content.Type)},
		{"channel", channel},
		{"from", b.From},
	}
	optional := func(name, value string) {
		if value != "" {
			fs = append(fs, field{name, value})
		}
	}
	optional("callback_url", b.CallbackURL)
	optional("ref", b.Ref)
	optional("ref1", b.Ref1)
	optional("ref2", b.Ref2)
	c := b.Content
	switch c.Type {
	case delivery.Template, delivery.MediaTemplate:
		fs = append(fs, field{"template_name", c.TemplateName})
		if len(c.Params) > 0 {
			fs = append(fs, field{"params", EncodeParams(c.Params)})
		}
		optional("lang_code", c.Language)
		if c.Type == delivery.MediaTemplate {
			fs = append(fs, field{"media_url", c.MediaURL})
		}
		optional("param_header", c.HeaderText)
		optional("param_url", c.ButtonURL)
	case delivery.Media:
		fs = append(fs, field{"media_url", c.MediaURL})
		optional("caption", c.Caption)
	default:
		fs = append(fs, field{"body", c.Body})
	}
	if sandbox {
		fs = append(fs, field{"source", "sandbox"})
	}
	return fs
}

// message is the batch as Kaleyra reads its fields, for checking against
// Kaleyra's rules before sending.
func (b Batch) message() rules.Message {
	m := rules.Message{
		Type:        string(b.Content.Type),
		Channel:     b.Channel,
		From:        b.From,
		To:          b.To,
		Ref:         b.Ref,
		Ref1:        b.Ref1,
		Ref2:        b.Ref2,
		CallbackURL: b.CallbackURL,
	}
	if m.Channel == "" {
		m.Channel = rules.ChannelWhatsApp
	}
	switch b.Content.Type {
	case delivery.Template, delivery.MediaTemplate:
		m.TemplateName, m.Language = b.Content.TemplateName, b.Content.Language
		for _, p := range b.Content.Params {
			m.Params = append(m.Params, p.Value)
		}
		m.ParamHeader, m.ParamURL = b.Content.HeaderText, b.Content.ButtonURL
		if b.Content.Type == delivery.MediaTemplate {
			m.MediaURL = b.Content.MediaURL
		}
	case delivery.Media:
		m.MediaURL, m.Caption = b.Content.MediaURL, b.Content.Caption
	default:
		m.Body = b.Content.Body
	}
	return m
}

// EncodeParams renders template parameters the way Kaleyra reads them: each
// value in double quotes, joined by commas ("v1.2","today").
//
// Kaleyra does not document how a quote inside a value is written. herald
// escapes an embedded double quote with a backslash (\") and, so that the
// encoding stays unambiguous, a backslash with another (\\); the emulator
// decodes the same way (DecodeParams).
func EncodeParams(params []delivery.Param) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range p.Value {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// DecodeParams reads the values EncodeParams wrote. A bare value with no
// quotes, as in Kaleyra's own sample (params="Raman"), is one parameter.
func DecodeParams(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if !strings.HasPrefix(s, `"`) {
		return []string{s}, nil
	}
	var values []string
	for i := 0; i < len(s); {
		if s[i] != '"' {
			return nil, fmt.Errorf("params: expected a double quote at offset %d", i)
		}
		i++
		var v strings.Builder
		closed := false
		for i < len(s) {
			c := s[i]
			i++
			if c == '\\' && i < len(s) {
				v.WriteByte(s[i])
				i++
				continue
			}
			if c == '"' {
				closed = true
				break
			}
			v.WriteByte(c)
		}
		if !closed {
			return nil, fmt.Errorf("params: unterminated quoted value")
		}
		values = append(values, v.String())
		if i < len(s) {
			if s[i] != ',' || i == len(s)-1 {
				return nil, fmt.Errorf("params: expected a comma and another value at offset %d", i)
			}
			i++
		}
	}
	return values, nil
}

// newRequest encodes fields as method and encoding ask. The request's
// context governs only this one request (its timeout), never the caller's
// cancellation.
func newRequest(ctx context.Context, method, encoding, endpoint, apiKey string, fs []field) (*http.Request, error) {
	if method == http.MethodGet {
		q := url.Values{}
		for _, f := range fs {
			q.Set(f.name, f.value)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		// Go's transport silently repeats a GET (it assumes GETs are
		// idempotent) when a reused connection breaks before the answer,
		// which here could send a message twice. A body the transport
		// cannot rewind makes the request non-replayable; being empty, it
		// is dropped before anything is written.
		req.Body = io.NopCloser(strings.NewReader(""))
		req.Header.Set("api-key", apiKey)
		return req, nil
	}

	var body bytes.Buffer
	var contentType string
	switch encoding {
	case rules.EncodingJSON:
		obj := make(map[string]string, len(fs))
		for _, f := range fs {
			obj[f.name] = f.value
		}
		if err := json.NewEncoder(&body).Encode(obj); err != nil {
			return nil, err
		}
		contentType = "application/json"
	case rules.EncodingMultipart:
		w := multipart.NewWriter(&body)
		for _, f := range fs {
			if err := w.WriteField(f.name, f.value); err != nil {
				return nil, err
			}
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		contentType = w.FormDataContentType()
	case rules.EncodingForm, "":
		// In the fields' order, as url.Values would encode them but
		// without its map and sort: this runs for every request. Field
		// names are unique.
		for i, f := range fs {
			if i > 0 {
				body.WriteByte('&')
			}
			body.WriteString(url.QueryEscape(f.name))
			body.WriteByte('=')
			body.WriteString(url.QueryEscape(f.value))
		}
		contentType = "application/x-www-form-urlencoded"
	default:
		return nil, fmt.Errorf("unknown encoding %q; use form, multipart or json", encoding)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body.Bytes()))
	if err != nil {
		return nil, err
	}
	// Set by their canonical names, which Header.Set would work out (and
	// allocate) for every request.
	req.Header["Content-Type"] = []string{contentType}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["Api-Key"] = []string{apiKey}
	return req, nil
}
