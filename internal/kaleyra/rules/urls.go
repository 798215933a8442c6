package rules

import (
	"net"
	"net/url"
	"strings"
)

// IsLoopback tells whether host names this machine: localhost or a
// loopback address. Plain http is allowed only there, where a local
// emulator or receiver listens.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Field names of the provider settings the rules check.
const (
	FieldEndpoint             = "endpoint"
	FieldRegion               = "region"
	FieldMethod               = "method"
	FieldEncoding             = "encoding"
	FieldRecipientsPerRequest = "recipients_per_request"
)

// CheckCallbackURL requires an absolute https URL, or http to a loopback
// host: delivery reports carry phone numbers.
func CheckCallbackURL(value string) *Problem {
	return checkURL(FieldCallbackURL, value,
		"The callback_url must be an absolute https URL, as https://hooks.example.com/kaleyra.",
		"delivery reports carry phone numbers, so they must travel over https. Plain http is allowed only to a loopback address (localhost, 127.0.0.1, ::1).")
}

// CheckMediaURL requires a media message's URL to be absolute https, or
// http to a loopback host: WhatsApp fetches media over https only, and a
// local emulator serves plain http.
func CheckMediaURL(value string) *Problem {
	return checkURL(FieldMediaURL, value,
		"The media_url must be an absolute https URL, as https://cdn.example.com/notes.pdf.",
		"WhatsApp fetches media over https. Plain http is allowed only to a loopback address (localhost, 127.0.0.1, ::1).")
}

// CheckEndpoint requires the API's base URL to be absolute https, or http
// to a loopback host such as a local emulator, without credentials: every
// request carries the API key.
func CheckEndpoint(value string) *Problem {
	if p := checkURL(FieldEndpoint, value,
		"The endpoint must start with https:// and name a host, as https://api.eu.kaleyra.io, or use http to a loopback address, as http://127.0.0.1:8787.",
		"every request carries the API key, so it must travel over https: plain http to another machine would put it on the wire in clear. Plain http is allowed only to a loopback address (localhost, 127.0.0.1, ::1)."); p != nil {
		return p
	}
	if u, _ := url.Parse(value); u.User != nil {
		return &Problem{Field: FieldEndpoint, Index: -1, Kind: Credentials,
			reason: "The endpoint must not contain credentials; the API key travels in the api-key header."}
	}
	return nil
}

// checkURL reports a value that is not an absolute http or https URL with
// a host (invalid), or is plain http beyond loopback (insecure, worded as
// "The FIELD uses http to HOST; " + insecure).
func checkURL(field, value, invalid, insecure string) *Problem {
	code := CodeBadField
	if field == FieldEndpoint {
		code = "" // a provider setting
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return &Problem{Field: field, Index: -1, Code: code, Kind: InvalidURL, reason: invalid}
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return &Problem{Field: field, Index: -1, Code: code, Kind: InsecureURL, Found: u.Hostname(), reason: insecure}
	}
	return nil
}
