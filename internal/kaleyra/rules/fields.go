package rules

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Wire names of the message fields the rules check.
const (
	FieldTo           = "to"
	FieldFrom         = "from"
	FieldType         = "type"
	FieldChannel      = "channel"
	FieldBody         = "body"
	FieldCaption      = "caption"
	FieldMediaURL     = "media_url"
	FieldTemplateName = "template_name"
	FieldLanguage     = "lang_code"
	FieldParams       = "params"
	FieldRef          = "ref"
	FieldRef1         = "ref1"
	FieldRef2         = "ref2"
	FieldCallbackURL  = "callback_url"
	FieldParamHeader  = "param_header"
	FieldParamURL     = "param_url"
)

// Message types and the one channel herald sends on.
const (
	TypeText          = "text"
	TypeTemplate      = "template"
	TypeMedia         = "media"
	TypeMediaTemplate = "mediatemplate"
	ChannelWhatsApp   = "whatsapp"
)

// Limits on a field's length, in characters (not bytes).
const (
	// MaxRefLength is Kaleyra's limit on ref, ref1 and ref2.
	MaxRefLength = 255
	// MaxBodyLength is WhatsApp's limit on a text message's body.
	MaxBodyLength = 4096
	// MaxCaptionLength is WhatsApp's limit on a media message's caption.
	MaxCaptionLength = 1024
)

// htmlTag finds anything shaped like an HTML tag, comment or doctype:
// "<b>", "</b>", "<br/>", "<x:y>", "<!-- -->", "<!DOCTYPE html>". As in
// HTML, a tag's name follows "<" directly, so "a < b > c" is not one.
var htmlTag = regexp.MustCompile(`<(/?[A-Za-z][^<>]*|!--.*?--|![A-Za-z][^<>]*)>`)

// HTMLAllowed tells whether a field may hold HTML tags: Kaleyra rejects
// them everywhere but a text message's body and a media message's caption.
func HTMLAllowed(field string) bool { return field == FieldBody || field == FieldCaption }

// CheckNoHTML reports an HTML tag in a field that takes none.
func CheckNoHTML(field, value string) *Problem {
	// Every tag starts with "<": most values, and every request's
	// fields are checked, need not reach the regular expression.
	if HTMLAllowed(field) || strings.IndexByte(value, '<') < 0 {
		return nil
	}
	tag := htmlTag.FindString(value)
	if tag == "" {
		return nil
	}
	return &Problem{Field: field, Index: -1, Code: CodeHTMLTag, Kind: HTMLTag, Found: tag,
		reason: "Kaleyra rejects HTML tags in every field but a text message's body and a media message's caption (error E413)."}
}

// CheckParam reports an HTML tag in template parameter i (from 0).
func CheckParam(i int, value string) *Problem {
	p := CheckNoHTML(FieldParams, value)
	if p != nil {
		p.Index = i
	}
	return p
}

// CheckRef checks ref, ref1 or ref2: at most MaxRefLength characters.
// Tags are CheckNoHTML's to report.
func CheckRef(field, value string) *Problem {
	return checkLength(field, value, 0, MaxRefLength, "Kaleyra")
}

// CheckBody checks a text message's body: 1 to MaxBodyLength characters.
func CheckBody(value string) *Problem {
	return checkLength(FieldBody, value, 1, MaxBodyLength, "WhatsApp")
}

// CheckCaption checks a media message's caption: at most MaxCaptionLength
// characters, none required.
func CheckCaption(value string) *Problem {
	return checkLength(FieldCaption, value, 0, MaxCaptionLength, "WhatsApp")
}

// CheckTemplateName requires a template message to name its template.
func CheckTemplateName(value string) *Problem {
	if value == "" {
		return &Problem{Field: FieldTemplateName, Index: -1, Code: CodeBadField, Kind: Empty,
			reason: "A template message needs the name of an approved WhatsApp template; it cannot be empty."}
	}
	return nil
}

// CheckChannel requires the whatsapp channel, the only one herald sends on.
func CheckChannel(value string) *Problem {
	return oneOf(FieldChannel, value, []string{ChannelWhatsApp})
}

// CheckType requires a type herald sends.
func CheckType(value string) *Problem {
	return oneOf(FieldType, value, []string{TypeText, TypeTemplate, TypeMedia, TypeMediaTemplate})
}

// checkLength counts characters, not bytes: Kaleyra and WhatsApp limit
// what people read.
func checkLength(field, value string, min, max int, who string) *Problem {
	n := utf8.RuneCountInString(value)
	switch {
	case n < min && n == 0:
		return &Problem{Field: field, Index: -1, Code: CodeBadField, Kind: Empty,
			reason: "The " + field + " cannot be empty: " + who + " needs at least one character."}
	case n > max:
		return &Problem{Field: field, Index: -1, Code: CodeBadField, Kind: TooLong, Found: strconv.Itoa(n),
			reason: "The value of " + field + " has " + strconv.Itoa(n) + " characters; " + who + " accepts at most " + strconv.Itoa(max) + "."}
	}
	return nil
}

// Message is one message's fields as Kaleyra reads them, for checking as a
// whole: the client checks the batch it is about to send, the emulator the
// request it received.
type Message struct {
	Type         string
	Channel      string
	From         string   // E.164
	To           []string // E.164
	Body         string
	TemplateName string
	Language     string
	Params       []string
	MediaURL     string
	Caption      string
	ParamHeader  string
	ParamURL     string
	Ref          string
	Ref1         string
	Ref2         string
	CallbackURL  string
}

// Check applies every rule to m and returns the problems in the order
// Kaleyra finds them: HTML tags first (Kaleyra rejects them before reading
// what the fields mean), then the channel, the numbers, the refs, the type
// and its content, and the callback URL. A refusal answers with the first.
func (m Message) Check() Problems {
	var ps Problems
	for _, f := range []struct{ name, value string }{
		{FieldType, m.Type}, {FieldChannel, m.Channel}, {FieldFrom, m.From},
		{FieldTemplateName, m.TemplateName}, {FieldLanguage, m.Language},
		{FieldRef, m.Ref}, {FieldRef1, m.Ref1}, {FieldRef2, m.Ref2}, {FieldCallbackURL, m.CallbackURL},
		{FieldMediaURL, m.MediaURL}, {FieldParamHeader, m.ParamHeader}, {FieldParamURL, m.ParamURL},
	} {
		ps.add(CheckNoHTML(f.name, f.value))
	}
	for i, to := range m.To {
		if p := CheckNoHTML(FieldTo, to); p != nil {
			p.Index = i
			ps.add(p)
		}
	}
	for i, v := range m.Params {
		ps.add(CheckParam(i, v))
	}
	ps.add(CheckChannel(m.Channel))
	ps.add(RememberedCheckNumber(FieldFrom, m.From))
	for i, to := range m.To {
		if p := RememberedCheckNumber(FieldTo, to); p != nil {
			p.Index = i
			ps.add(p)
		}
	}
	ps.add(CheckRef(FieldRef, m.Ref))
	ps.add(CheckRef(FieldRef1, m.Ref1))
	ps.add(CheckRef(FieldRef2, m.Ref2))
	switch m.Type {
	case TypeText:
		ps.add(CheckBody(m.Body))
	case TypeTemplate:
		ps.add(CheckTemplateName(m.TemplateName))
	case TypeMedia:
		ps.add(CheckMediaURL(m.MediaURL))
		ps.add(CheckCaption(m.Caption))
	case TypeMediaTemplate:
		ps.add(CheckTemplateName(m.TemplateName))
		ps.add(CheckMediaURL(m.MediaURL))
	default:
		ps.add(CheckType(m.Type))
	}
	if m.CallbackURL != "" {
		ps.add(CheckCallbackURL(m.CallbackURL))
	}
	return ps
}
