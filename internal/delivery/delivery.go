// Package delivery defines what herald sends: a message Instance to its
// recipients, each delivery (one message to one recipient) identified by
// its Key and fingerprinted by its Digest.
//
// The key decides whether a delivery was already made; the digest decides
// whether what the recipient would see has changed since. Both are computed
// from evaluated values only, never from block names, so renaming or moving
// a block never causes a resend.
package delivery

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// Type is the Kaleyra message type, as the wire names it.
type Type string

const (
	Text          Type = rules.TypeText
	Template      Type = rules.TypeTemplate
	Media         Type = rules.TypeMedia
	MediaTemplate Type = rules.TypeMediaTemplate
)

// Header kinds a template may declare.
const (
	HeaderText     = "text"
	HeaderImage    = "image"
	HeaderVideo    = "video"
	HeaderDocument = "document"
)

// Key identifies a delivery across runs: the tuple Kaleyra sees as "this
// message to this person". Numbers are E.164 with the leading "+".
type Key struct {
	Channel   string `json:"channel"`
	Sender    string `json:"sender"`
	Recipient string `json:"recipient"`
	Ref       string `json:"ref"`
	Ref1      string `json:"ref1,omitempty"`
	Ref2      string `json:"ref2,omitempty"`
}

// String renders the key for messages to people, e.g.
// whatsapp:+12025550100->+12025550123 ref="release-v1" ref1="rollout".
func (k Key) String() string {
	var b strings.Builder
	b.WriteString(k.Channel + ":" + k.Sender + "->" + k.Recipient + " ref=" + quote(k.Ref))
	if k.Ref1 != "" {
		b.WriteString(" ref1=" + quote(k.Ref1))
	}
	if k.Ref2 != "" {
		b.WriteString(" ref2=" + quote(k.Ref2))
	}
	return b.String()
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// Param is one named template parameter, in the template's declared order.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Content is what the recipient sees.
type Content struct {
	Type         Type    `json:"type"`
	Body         string  `json:"body,omitempty"`
	TemplateName string  `json:"template_name,omitempty"`
	Language     string  `json:"language,omitempty"`
	Params       []Param `json:"params,omitempty"`
	// MediaURL is a media message's file, or the file a template's media
	// header shows; Caption goes with a media message.
	MediaURL string `json:"media_url,omitempty"`
	Caption  string `json:"caption,omitempty"`
	// Header is the kind of header the template declares (HeaderText,
	// HeaderImage, ...), "" for none; HeaderText is a text header's
	// parameter.
	Header     string `json:"header,omitempty"`
	HeaderText string `json:"header_text,omitempty"`
	// ButtonURL is the dynamic part of the template's URL button.
	ButtonURL string `json:"button_url,omitempty"`
}

// rich tells whether c uses any field of a media message or of a template
// with a header or button.
func (c Content) rich() bool {
	return c.MediaURL != "" || c.Caption != "" || c.Header != "" || c.HeaderText != "" || c.ButtonURL != ""
}

// Digest is the hex SHA-256 of a Content's canonical encoding.
type Digest string

// Digest fingerprints what the recipient sees: type, body, template name,
// language and params in order, then, for rich content, the media URL,
// caption, header and button part. Each field is length-prefixed so that no
// two different contents share an encoding. Plain text and template
// contents keep the encoding they always had, so that upgrading herald
// never shows a delivery already sent as changed.
func (c Content) Digest() Digest {
	h := sha256.New()
	writeContent(h, "herald.delivery.v1", c, c.rich())
	return Digest(hex.EncodeToString(h.Sum(nil)))
}

// writeContent writes c's canonical encoding to h: domain, then type,
// body, template name, language and params in order, then, when rich, the
// media URL, caption, header and button part, each length-prefixed.
func writeContent(h hash.Hash, domain string, c Content, rich bool) {
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(domain)
	field(string(c.Type))
	field(c.Body)
	field(c.TemplateName)
	field(c.Language)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(c.Params)))
	h.Write(n[:])
	for _, p := range c.Params {
		field(p.Name)
		field(p.Value)
	}
	if rich {
		field("rich")
		field(c.MediaURL)
		field(c.Caption)
		field(c.Header)
		field(c.HeaderText)
		field(c.ButtonURL)
	}
}
