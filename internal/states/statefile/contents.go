package statefile

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// The top-level "contents" list keeps what non-sensitive messages rendered
// when they were sent, once per digest, one per line in digest order:
//
//	{"digest":"2b6d…","content":{"type":"text","body":"Hello"}}
//
// The content object has delivery.Content's JSON fields. Only contents
// that some delivery of the file records are written; a state without any
// leaves the list out.

// appendContents appends the ,"contents" member for s, or nothing.
func appendContents(dst []byte, s *states.State) ([]byte, error) {
	used := usedContents(s)
	if len(used) == 0 {
		return dst, nil
	}
	dst = append(dst, ",\n  \"contents\": ["...)
	for i, d := range used {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, "\n    {\"digest\":"...)
		dst = appendString(dst, string(d))
		// encoding/json escapes strings as appendString does.
		c, err := json.Marshal(s.Contents[d])
		if err != nil {
			return nil, fmt.Errorf("encoding the content of digest %s: %w", d, err)
		}
		dst = append(dst, `,"content":`...)
		dst = append(dst, c...)
		dst = append(dst, '}')
	}
	return append(dst, "\n  ]"...), nil
}

// usedContents are the digests, sorted, of the contents s keeps that a
// delivery of s records: contents whose records were removed are dropped.
func usedContents(s *states.State) []delivery.Digest {
	if len(s.Contents) == 0 {
		return nil
	}
	seen := make(map[delivery.Digest]bool, len(s.Contents))
	var out []delivery.Digest
	for d := range s.Deliveries.All() {
		if _, ok := s.Contents[d.Digest]; ok && !seen[d.Digest] {
			seen[d.Digest] = true
			out = append(out, d.Digest)
		}
	}
	slices.Sort(out)
	return out
}

// content reads one entry of the contents list into st, refusing one
// whose content does not have its digest: a plan would show a change
// from something never sent.
func (d *decoder) content(st *states.State) error {
	start := d.pos
	var (
		digest delivery.Digest
		c      delivery.Content
		seen   = map[string]bool{}
	)
	err := d.object("a content entry", func(name []byte, namePos int) error {
		field := string(name)
		if seen[field] {
			return d.errorAt(namePos, "field %q appears twice", field)
		}
		seen[field] = true
		switch field {
		case "digest":
			s, err := d.plainStr()
			digest = delivery.Digest(s)
			return err
		case "content":
			return d.contentObject(&c)
		}
		return d.errorAt(namePos, "unknown field %q in a content entry", field)
	})
	if err != nil {
		return err
	}
	if !seen["digest"] || !seen["content"] {
		return d.errorAt(start, "a content entry needs both \"digest\" and \"content\"")
	}
	if c.Digest() != digest {
		return d.errorAt(start, "the content stored under digest %s does not match it; remove the entry (only the plan's view of what changed is lost)", digest)
	}
	if _, dup := st.Contents[digest]; dup {
		return d.errorAt(start, "the content of digest %s appears twice", digest)
	}
	st.KeepContent(digest, c)
	return nil
}

// contentObject reads a delivery.Content as encoding/json writes it.
func (d *decoder) contentObject(c *delivery.Content) error {
	return d.object("a content object", func(name []byte, namePos int) error {
		field := string(name)
		if field == "params" {
			c.Params = []delivery.Param{}
			return d.array("a list of params", func() error {
				var p delivery.Param
				err := d.object("a param", func(name []byte, namePos int) error {
					switch string(name) {
					case "name":
						s, err := d.plainStr()
						p.Name = s
						return err
					case "value":
						s, err := d.plainStr()
						p.Value = s
						return err
					}
					return d.errorAt(namePos, "unknown field %q in a param", name)
				})
				c.Params = append(c.Params, p)
				return err
			})
		}
		dst := map[string]*string{
			"body": &c.Body, "template_name": &c.TemplateName, "language": &c.Language,
			"media_url": &c.MediaURL, "caption": &c.Caption, "header": &c.Header,
			"header_text": &c.HeaderText, "button_url": &c.ButtonURL,
		}[field]
		if field == "type" {
			s, err := d.plainStr()
			c.Type = delivery.Type(s)
			return err
		}
		if dst == nil {
			return d.errorAt(namePos, "unknown field %q in a content object", field)
		}
		s, err := d.plainStr()
		*dst = s
		return err
	})
}
