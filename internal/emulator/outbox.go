package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/kaleyra/rules"
)

// Record is one line of the outbox: one accepted delivery to one
// recipient.
type Record struct {
	Time        time.Time `json:"time"`
	RequestID   string    `json:"request_id"`
	MessageID   string    `json:"message_id"`
	SID         string    `json:"sid"`
	Channel     string    `json:"channel"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Type        string    `json:"type"`
	Body        string    `json:"body,omitempty"`
	Template    string    `json:"template_name,omitempty"`
	Params      []string  `json:"params,omitempty"`
	LangCode    string    `json:"lang_code,omitempty"`
	MediaURL    string    `json:"media_url,omitempty"`
	Caption     string    `json:"caption,omitempty"`
	ParamHeader string    `json:"param_header,omitempty"`
	ParamURL    string    `json:"param_url,omitempty"`
	Ref         string    `json:"ref,omitempty"`
	Ref1        string    `json:"ref1,omitempty"`
	Ref2        string    `json:"ref2,omitempty"`
	CallbackURL string    `json:"callback_url,omitempty"`
	Sandbox     bool      `json:"sandbox,omitempty"`
}

// outbox appends accepted deliveries to a file and a readable log. Both
// may be absent.
type outbox struct {
	mu   sync.Mutex
	file *os.File
	log  io.Writer
}

func openOutbox(path string, log io.Writer) (*outbox, error) {
	ob := &outbox{log: log}
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening the outbox: %w", err)
		}
		ob.file = f
	}
	return ob, nil
}

// write records every recipient of an accepted message before the answer
// leaves. The lines of one request go out in a single write to a file
// opened for appending, so concurrent requests never interleave and a
// reader sees whole lines for every request answered so far, whatever
// becomes of the client.
// linePool keeps the buffers that requests' lines are made in: a request
// of a hundred recipients makes some 30 KB of them.
var linePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (o *outbox) write(m *message) error {
	if o.file == nil && o.log == nil {
		return nil
	}
	var readable strings.Builder
	lines := linePool.Get().(*bytes.Buffer)
	defer linePool.Put(lines)
	lines.Reset()
	for i, to := range m.to {
		rec := Record{
			Time: m.created, RequestID: m.id, MessageID: m.messageID[i], SID: m.sid,
			Channel: strings.ToLower(m.channel), From: m.from, To: to, Type: m.typ,
			Body: m.body, Template: m.templateName, Params: m.params, LangCode: m.langCode,
			MediaURL: m.mediaURL, Caption: m.caption, ParamHeader: m.paramHeader, ParamURL: m.paramURL,
			Ref: m.ref, Ref1: m.ref1, Ref2: m.ref2, CallbackURL: m.callbackURL,
			Sandbox: m.source == "sandbox",
		}
		// Each form is made only for the writer that wants it: the emulator
		// inside apply keeps a file and no log.
		if o.file != nil {
			// Encode ends each line with a newline.
			if err := json.NewEncoder(lines).Encode(rec); err != nil {
				return err
			}
		}
		if o.log != nil {
			readable.WriteString(rec.readable())
			readable.WriteByte('\n')
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.file != nil {
		if _, err := o.file.Write(lines.Bytes()); err != nil {
			return fmt.Errorf("writing the outbox: %w", err)
		}
	}
	if o.log != nil {
		io.WriteString(o.log, readable.String())
	}
	return nil
}

// readable is the record as one line for people:
//
//	10:15:04 +12025550100 -> +12025550123 template release_announcement ["v1.2" "today"] ref="release-v1.2" id=...:0
func (r Record) readable() string {
	var b strings.Builder
	b.WriteString(r.Time.Local().Format("15:04:05"))
	b.WriteString(" " + r.From + " -> " + r.To + " ")
	switch r.Type {
	case rules.TypeTemplate, rules.TypeMediaTemplate:
		b.WriteString(r.Type + " " + r.Template)
		if r.LangCode != "" {
			b.WriteString(" (" + r.LangCode + ")")
		}
		b.WriteString(" [")
		for i, p := range r.Params {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Quote(p))
		}
		b.WriteString("]")
		if r.ParamHeader != "" {
			b.WriteString(" header=" + strconv.Quote(r.ParamHeader))
		}
		if r.MediaURL != "" {
			b.WriteString(" media=" + r.MediaURL)
		}
		if r.ParamURL != "" {
			b.WriteString(" button=" + strconv.Quote(r.ParamURL))
		}
	case rules.TypeMedia:
		b.WriteString("media " + r.MediaURL)
		if r.Caption != "" {
			b.WriteString(" caption=" + strconv.Quote(r.Caption))
		}
	default:
		b.WriteString("text " + strconv.Quote(r.Body))
	}
	for _, ref := range []struct{ name, value string }{{"ref", r.Ref}, {"ref1", r.Ref1}, {"ref2", r.Ref2}} {
		if ref.value != "" {
			b.WriteString(" " + ref.name + "=" + strconv.Quote(ref.value))
		}
	}
	if r.Sandbox {
		b.WriteString(" (sandbox)")
	}
	b.WriteString(" id=" + r.MessageID)
	return b.String()
}

func (o *outbox) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.file == nil {
		return nil
	}
	err := o.file.Close()
	o.file = nil
	return err
}
