// Package rules owns Kaleyra's field rules: what the messages API accepts
// in each field (numbers, refs, bodies, captions, URLs, HTML tags) and in a
// provider's settings (regions, endpoints, methods, encodings, batch
// sizes). Each rule is written once, here, and returns a structured
// Problem naming the field, the element, Kaleyra's error code and the
// reason, so that every layer applies it identically: lang turns problems
// into diagnostics on the attribute's source range, the kaleyra client
// refuses a batch locally before sending it, and the emulator answers the
// request with the same code.
//
// The package is a leaf: it imports nothing of herald, so that lang can
// use it without importing the client. It knows no transport, no
// configuration syntax and no state; wire encoding stays in package
// kaleyra.
package rules
