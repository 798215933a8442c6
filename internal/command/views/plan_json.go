package views

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/kaleyra"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// PlanJSONFormatVersion is the version of the plan JSON document. Its
// major number changes only when a consumer written for the old document
// would misread the new one; adding fields bumps the minor number.
// schema/plan.schema.json describes it.
//
// 1.1 added each delivery's action_reason, a token. 1.2 added the
// failed_after_send reason, the summary's receipt and window counts, the
// receipt of a delivery's prior record and of a record no longer
// declared, and a delivery's warnings. 1.3 added content_changes: what
// changed in each instance's content since it was sent to its deliveries
// changed after sending.
const PlanJSONFormatVersion = "1.3"

// The plan document's parts. Every field is always present unless its tag
// says omitempty, so that consumers need no existence checks; the schema
// says the same.
type (
	jsonVariable struct {
		// Value is the variable's value as plain JSON; absent when
		// sensitive.
		Value     json.RawMessage `json:"value,omitempty"`
		Sensitive bool            `json:"sensitive"`
	}

	jsonKey struct {
		Channel   string `json:"channel"`
		Sender    string `json:"sender"`
		Recipient string `json:"recipient"`
		Ref       string `json:"ref"`
		Ref1      string `json:"ref1"`
		Ref2      string `json:"ref2"`
	}

	jsonParam struct {
		Name string `json:"name"`
		// Value is nil for sensitive content.
		Value *string `json:"value,omitempty"`
	}

	jsonContent struct {
		Type      delivery.Type `json:"type"`
		Sensitive bool          `json:"sensitive,omitempty"`
		// Body is set for text content that is not sensitive.
		Body         *string `json:"body,omitempty"`
		TemplateName string  `json:"template_name,omitempty"`
		Language     string  `json:"language,omitempty"`
		// Params is set, possibly empty, for template content.
		Params *[]jsonParam `json:"params,omitempty"`
		// The rich fields are set when used and the content is not
		// sensitive; Header, the kind of header, is kept either way.
		MediaURL   string `json:"media_url,omitempty"`
		Caption    string `json:"caption,omitempty"`
		Header     string `json:"header,omitempty"`
		HeaderText string `json:"header_text,omitempty"`
		ButtonURL  string `json:"button_url,omitempty"`
	}

	jsonRecord struct {
		Address   string          `json:"address"`
		Key       jsonKey         `json:"key"`
		Recipient string          `json:"recipient"`
		Status    states.Status   `json:"status"`
		Digest    delivery.Digest `json:"digest"`
		Receipt   *jsonReceipt    `json:"receipt,omitempty"`
	}

	// jsonReceipt is what delivery callbacks reported of a send, with
	// the error code in plain words where herald knows it.
	jsonReceipt struct {
		Status      states.ReceiptStatus `json:"status"`
		ErrorCode   string               `json:"error_code,omitempty"`
		ErrorText   string               `json:"error_text,omitempty"`
		Explanation string               `json:"explanation,omitempty"`
		At          time.Time            `json:"at"`
	}

	// jsonHead is everything in the document but the deliveries, which are
	// streamed after it one per line.
	jsonHead struct {
		FormatVersion    string                  `json:"format_version"`
		HeraldVersion    string                  `json:"herald_version"`
		Lineage          string                  `json:"lineage"`
		Serial           uint64                  `json:"serial"`
		Targeted         bool                    `json:"targeted"`
		Summary          plans.Summary           `json:"summary"`
		Variables        map[string]jsonVariable `json:"variables"`
		NoLongerDeclared []jsonRecord            `json:"no_longer_declared"`
		ContentChanges   []jsonContentChange     `json:"content_changes"`
	}

	// jsonContentChange is what changed in one instance's content since
	// it was sent to some of its deliveries changed after sending: once
	// per instance and content sent, not per recipient.
	jsonContentChange struct {
		Address     string          `json:"address"`
		Digest      delivery.Digest `json:"digest"`
		PriorDigest delivery.Digest `json:"prior_digest"`
		Deliveries  int             `json:"deliveries"`
		Sensitive   bool            `json:"sensitive"`
		// Recorded: the state kept what was sent, and Fields says what
		// changed; false for sensitive content, never kept.
		Recorded bool `json:"recorded"`
		// OtherDigestSecret: the prior digest was keyed with another
		// digest secret than the ledger has now.
		OtherDigestSecret bool              `json:"other_digest_secret"`
		Fields            []jsonFieldChange `json:"fields"`
	}

	// jsonFieldChange is one changed field; Before or After is absent for
	// a template parameter only one side has.
	jsonFieldChange struct {
		Field  string  `json:"field"`
		Before *string `json:"before,omitempty"`
		After  *string `json:"after,omitempty"`
	}
)

func jsonContentChanges(p *plans.Plan) []jsonContentChange {
	out := []jsonContentChange{}
	for i := range p.Instances {
		ic := &p.Instances[i]
		if ic.Summary().Changed == 0 {
			continue
		}
		for _, cc := range contentChanges(p, ic) {
			jc := jsonContentChange{
				Address: ic.Instance.Address.String(), Digest: ic.Instance.Digest, PriorDigest: cc.prior,
				Deliveries: cc.count, Sensitive: cc.sensitive, Recorded: cc.recorded, OtherDigestSecret: cc.foreignKey,
				Fields: make([]jsonFieldChange, len(cc.fields)),
			}
			for j, f := range cc.fields {
				jf := jsonFieldChange{Field: f.Field}
				if f.Had {
					jf.Before = &f.Before
				}
				if f.Has {
					jf.After = &f.After
				}
				jc.Fields[j] = jf
			}
			out = append(out, jc)
		}
	}
	return out
}

// PlanJSON writes p as one JSON document, described by
// schema/plan.schema.json: format_version, the variables (sensitive ones
// without a value), the summary, and one entry per delivery in plan order,
// each on its own line so that the document greps and diffs well.
func PlanJSON(w io.Writer, p *plans.Plan) error {
	head := jsonHead{
		FormatVersion:    PlanJSONFormatVersion,
		HeraldVersion:    p.HeraldVersion,
		Lineage:          p.Lineage,
		Serial:           p.Serial,
		Targeted:         p.Targeted,
		Summary:          p.Summary(),
		Variables:        make(map[string]jsonVariable, len(p.Variables)),
		NoLongerDeclared: make([]jsonRecord, len(p.NoLongerDeclared)),
		ContentChanges:   jsonContentChanges(p),
	}
	for _, v := range p.Variables {
		jv, err := jsonVariableOf(v)
		if err != nil {
			return err
		}
		head.Variables[v.Name] = jv
	}
	for i, r := range p.NoLongerDeclared {
		head.NoLongerDeclared[i] = jsonRecord{Address: r.Address, Key: jsonKeyOf(r.Key), Recipient: r.Key.Recipient, Status: r.Status, Digest: r.Digest, Receipt: jsonReceiptOf(r.Receipt)}
	}
	headJSON, err := json.Marshal(head)
	if err != nil {
		return fmt.Errorf("encoding plan: %w", err)
	}

	bw := bufio.NewWriter(w)
	bw.Write(headJSON[:len(headJSON)-1])
	bw.WriteString(`,"deliveries":[`)
	var line []byte
	first := true
	for i := range p.Instances {
		ic := &p.Instances[i]
		// What an instance's deliveries share is encoded once, not once
		// per recipient.
		shared, err := jsonInstanceOf(ic.Instance)
		if err != nil {
			return err
		}
		for j := range ic.Changes {
			line = line[:0]
			if !first {
				line = append(line, ',')
			}
			first = false
			line = append(line, '\n')
			line = appendDelivery(line, ic.Instance, &ic.Changes[j], &shared)
			bw.Write(line)
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// jsonInstance is what every delivery of one instance repeats, encoded.
type jsonInstance struct {
	address, content, dependsOn []byte
}

func jsonInstanceOf(in *delivery.Instance) (jsonInstance, error) {
	content, err := json.Marshal(jsonContentOf(in))
	if err != nil {
		return jsonInstance{}, fmt.Errorf("encoding plan: %w", err)
	}
	return jsonInstance{
		address:   appendJSONString(nil, in.Address.String()),
		content:   content,
		dependsOn: appendDependsOn(nil, in.DependsOn),
	}, nil
}

// appendDelivery appends one delivery's object. It is written by hand
// rather than with encoding/json because a plan can hold 100,000
// deliveries and reflection would cost most of `plan -json`'s time; the
// bytes are exactly what json.Marshal gives for the same fields, in the
// order schema/plan.schema.json lists them (a test checks both).
func appendDelivery(b []byte, in *delivery.Instance, c *plans.Change, shared *jsonInstance) []byte {
	b = append(b, `{"address":`...)
	b = append(b, shared.address...)
	b = append(b, `,"key":`...)
	b = appendKey(b, in.Key(c.Recipient))
	b = append(b, `,"recipient":`...)
	b = appendJSONString(b, c.Recipient)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, c.Action.String())
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, reasonSentence(c.Reason, c.Prior))
	b = append(b, `,"action_reason":`...)
	b = appendJSONString(b, c.Reason.String())
	b = append(b, `,"content":`...)
	b = append(b, shared.content...)
	b = append(b, `,"digest":`...)
	b = appendJSONString(b, string(in.Digest))
	b = append(b, `,"sender_name":`...)
	b = appendJSONString(b, in.SenderName)
	b = append(b, `,"callback_url":`...)
	b = appendJSONString(b, in.CallbackURL)
	b = append(b, `,"provider":`...)
	b = appendJSONString(b, in.Provider)
	b = append(b, `,"depends_on":`...)
	b = append(b, shared.dependsOn...)
	if pr := c.Prior; pr != nil {
		b = append(b, `,"prior":{"status":`...)
		b = appendJSONString(b, string(pr.Status))
		b = append(b, `,"digest":`...)
		b = appendJSONString(b, string(pr.Digest))
		b = append(b, `,"address":`...)
		b = appendJSONString(b, pr.Address)
		if pr.ErrorCode != "" {
			b = append(b, `,"error_code":`...)
			b = appendJSONString(b, pr.ErrorCode)
		}
		if pr.ErrorText != "" {
			b = append(b, `,"error_text":`...)
			b = appendJSONString(b, pr.ErrorText)
		}
		if pr.Receipt != nil {
			b = append(b, `,"receipt":`...)
			b = appendReceipt(b, pr.Receipt)
		}
		b = append(b, '}')
	}
	if c.Warning != 0 {
		b = append(b, `,"warnings":[{"warning":`...)
		b = appendJSONString(b, c.Warning.String())
		b = append(b, `,"message":`...)
		b = appendJSONString(b, warningSentence(c.Warning))
		b = append(b, `}]`...)
	}
	return append(b, '}')
}

// appendReceipt appends r as json.Marshal writes its jsonReceipt: by hand,
// since most deliveries of a plan carry one once callbacks flow.
func appendReceipt(b []byte, r *states.Receipt) []byte {
	b = append(b, `{"status":`...)
	b = appendJSONString(b, string(r.Status))
	if r.ErrorCode != "" {
		b = append(b, `,"error_code":`...)
		b = appendJSONString(b, r.ErrorCode)
	}
	if r.ErrorText != "" {
		b = append(b, `,"error_text":`...)
		b = appendJSONString(b, r.ErrorText)
	}
	if e := kaleyra.Explain(r.ErrorCode); e != "" {
		b = append(b, `,"explanation":`...)
		b = appendJSONString(b, e)
	}
	b = append(b, `,"at":"`...)
	b = r.At.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

func jsonReceiptOf(r *states.Receipt) *jsonReceipt {
	if r == nil {
		return nil
	}
	return &jsonReceipt{Status: r.Status, ErrorCode: r.ErrorCode, ErrorText: r.ErrorText, Explanation: kaleyra.Explain(r.ErrorCode), At: r.At}
}

func appendKey(b []byte, k delivery.Key) []byte {
	b = append(b, `{"channel":`...)
	b = appendJSONString(b, k.Channel)
	b = append(b, `,"sender":`...)
	b = appendJSONString(b, k.Sender)
	b = append(b, `,"recipient":`...)
	b = appendJSONString(b, k.Recipient)
	b = append(b, `,"ref":`...)
	b = appendJSONString(b, k.Ref)
	b = append(b, `,"ref1":`...)
	b = appendJSONString(b, k.Ref1)
	b = append(b, `,"ref2":`...)
	b = appendJSONString(b, k.Ref2)
	return append(b, '}')
}

func appendDependsOn(b []byte, deps []addrs.Message) []byte {
	b = append(b, '[')
	for i, m := range deps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.String())
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string, as json.Marshal writes it.
// Plain ASCII, the common case, is copied; anything json.Marshal would
// escape or check goes through it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func jsonVariableOf(v plans.Variable) (jsonVariable, error) {
	if v.Sensitive {
		return jsonVariable{Sensitive: true}, nil
	}
	if v.Value == cty.NilVal {
		return jsonVariable{Value: json.RawMessage("null")}, nil
	}
	raw, err := ctyjson.Marshal(v.Value, v.Value.Type())
	if err != nil {
		return jsonVariable{}, fmt.Errorf("encoding variable %q: %w", v.Name, err)
	}
	return jsonVariable{Value: raw}, nil
}

func jsonKeyOf(k delivery.Key) jsonKey {
	return jsonKey{Channel: k.Channel, Sender: k.Sender, Recipient: k.Recipient, Ref: k.Ref, Ref1: k.Ref1, Ref2: k.Ref2}
}

// jsonContentOf is the content as a consumer sees it. Sensitive content
// keeps its type, template name, language and parameter names where known,
// and loses the body and the parameter values.
func jsonContentOf(d *delivery.Instance) jsonContent {
	c := &d.Content
	jc := jsonContent{Type: c.Type, Sensitive: d.Sensitive, TemplateName: c.TemplateName, Language: c.Language, Header: c.Header}
	if !d.Sensitive {
		jc.MediaURL, jc.Caption, jc.HeaderText, jc.ButtonURL = c.MediaURL, c.Caption, c.HeaderText, c.ButtonURL
	}
	switch c.Type {
	case delivery.Text:
		if !d.Sensitive {
			jc.Body = &c.Body
		}
	case delivery.Template, delivery.MediaTemplate:
		params := make([]jsonParam, len(c.Params))
		for i := range c.Params {
			params[i].Name = c.Params[i].Name
			if !d.Sensitive {
				params[i].Value = &c.Params[i].Value
			}
		}
		jc.Params = &params
	}
	return jc
}
