package rules

import (
	"strconv"
	"strings"
)

// Kaleyra's error codes for the fields these rules check. CodeBadField
// stands for every rule Kaleyra documents (a required field, a length
// limit) without giving it a code of its own.
const (
	CodeHTMLTag     = "E413"
	CodeInvalidFrom = "E13008"
	CodeInvalidTo   = "E13009"
	CodeBadField    = "E400"
)

// Kind is what sort of rule a value breaks.
type Kind int

const (
	// HTMLTag: the value holds an HTML tag in a field that takes none.
	HTMLTag Kind = iota + 1
	// TooLong: the value has more characters than the field takes.
	TooLong
	// Empty: the field needs a value and has none.
	Empty
	// InvalidNumber: the value is not a valid E.164 phone number.
	InvalidNumber
	// InvalidURL: the value is not an absolute URL of the kind the field
	// takes.
	InvalidURL
	// InsecureURL: the URL uses plain http to a host that is not loopback.
	InsecureURL
	// Credentials: the URL carries a user name or password.
	Credentials
	// NotOneOf: the value is not one of the field's allowed values.
	NotOneOf
	// OutOfRange: the number is outside the field's bounds.
	OutOfRange
)

// Problem is one rule broken by one field, or by one element of a list
// field (a recipient of to, a template parameter).
type Problem struct {
	// Field is the field's name on the wire ("ref", "params", "to") or, for
	// a provider setting, the attribute's name ("endpoint", "region").
	Field string
	// Index is the element of a list field at fault, from 0; -1 when the
	// problem is the field's as a whole.
	Index int
	// Code is Kaleyra's error code for the problem (CodeHTMLTag, ...); it
	// is empty for a provider setting, which no request carries.
	Code string
	Kind Kind
	// Found is the part of the value at fault, when there is one to show:
	// the HTML tag, the URL's host, the phone number, the count of
	// characters. Detail quotes it only when asked to.
	Found string
	// reason says why the value is refused, in words that never quote it.
	reason string
}

// Detail says what is wrong in a sentence or two. With show, it quotes the
// part of the value at fault (Found); without, it quotes nothing of the
// value, for a sensitive value or for text that ends up in logs and state.
func (p Problem) Detail(show bool) string {
	switch p.Kind {
	case HTMLTag:
		if show {
			return "The value holds the HTML tag " + strconv.Quote(p.Found) + ". " + p.reason
		}
		return "The value, which is sensitive and so not shown, holds an HTML tag. " + p.reason
	case InvalidNumber:
		if show {
			return strconv.Quote(p.Found) + " is not a valid number: " + p.reason + "."
		}
		return "The " + p.element() + " is not a valid number: " + p.reason + "."
	case InsecureURL:
		host := "a host that is not loopback"
		if show {
			host = p.Found
		}
		return "The " + p.Field + " uses http to " + host + "; " + p.reason
	case NotOneOf:
		if show {
			return "The " + p.Field + " " + strconv.Quote(p.Found) + " " + p.reason + "."
		}
		return "The " + p.Field + " " + p.reason + "."
	}
	return p.reason
}

// Message is the problem as the API words a refusal: it names the field
// and never quotes the value.
func (p Problem) Message() string {
	if p.Kind == HTMLTag {
		return "The " + p.element() + " holds an HTML tag. " + p.reason
	}
	return p.Detail(false)
}

// element names the field, and the element at fault in a list field, as
// "to number 2".
func (p Problem) element() string {
	name := p.Field
	switch p.Field {
	case FieldTo, FieldFrom:
		name += " number"
	case FieldParams:
		name = "parameter"
	}
	if p.Index >= 0 {
		name += " " + strconv.Itoa(p.Index+1)
	}
	return name
}

// Error is Message, so that a problem can travel as an error into logs.
func (p Problem) Error() string { return p.Message() }

// Problems collects the problems rules report, leaving out the nils of
// the rules that pass.
type Problems []Problem

func (ps *Problems) add(p *Problem) {
	if p != nil {
		*ps = append(*ps, *p)
	}
}

// oneOf reports value when it is not one of allowed.
func oneOf(field, value string, allowed []string) *Problem {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	list := allowed[0]
	if n := len(allowed); n > 1 {
		list = strings.Join(allowed[:n-1], ", ") + " or " + allowed[n-1]
	}
	code := CodeBadField
	if field != FieldChannel && field != FieldType {
		code = "" // a provider setting
	}
	return &Problem{Field: field, Index: -1, Code: code, Kind: NotOneOf, Found: value, reason: "is not " + list}
}
