package views

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/plans"
	"github.com/heraldhq/herald/internal/states"
)

// PlanJSONFormatVersion is the version of the plan JSON document. Its
// major number changes only when a consumer written for the old document
// would misread the new one; adding fields bumps the minor number.
// schema/plan.schema.json describes it.
const PlanJSONFormatVersion = "1.0"

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
	}

	jsonPrior struct {
		Status    states.Status   `json:"status"`
		Digest    delivery.Digest `json:"digest"`
		Address   string          `json:"address"`
		ErrorCode string          `json:"error_code,omitempty"`
		ErrorText string          `json:"error_text,omitempty"`
	}

	jsonDelivery struct {
		Address     string          `json:"address"`
		Key         jsonKey         `json:"key"`
		Recipient   string          `json:"recipient"`
		Action      plans.Action    `json:"action"`
		Reason      string          `json:"reason"`
		Content     json.RawMessage `json:"content"`
		Digest      delivery.Digest `json:"digest"`
		SenderName  string          `json:"sender_name"`
		CallbackURL string          `json:"callback_url"`
		Provider    string          `json:"provider"`
		DependsOn   []string        `json:"depends_on"`
		// Prior is the state's record of the key; absent for "send".
		Prior *jsonPrior `json:"prior,omitempty"`
	}

	jsonRecord struct {
		Address   string          `json:"address"`
		Key       jsonKey         `json:"key"`
		Recipient string          `json:"recipient"`
		Status    states.Status   `json:"status"`
		Digest    delivery.Digest `json:"digest"`
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
	}
)

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
	}
	for _, v := range p.Variables {
		jv, err := jsonVariableOf(v)
		if err != nil {
			return err
		}
		head.Variables[v.Name] = jv
	}
	for i, r := range p.NoLongerDeclared {
		head.NoLongerDeclared[i] = jsonRecord{Address: r.Address, Key: jsonKeyOf(r.Key), Recipient: r.Key.Recipient, Status: r.Status, Digest: r.Digest}
	}
	headJSON, err := json.Marshal(head)
	if err != nil {
		return fmt.Errorf("encoding plan: %w", err)
	}

	bw := bufio.NewWriter(w)
	bw.Write(headJSON[:len(headJSON)-1])
	bw.WriteString(`,"deliveries":[`)
	// Deliveries of one message instance share their content: encode it
	// once per run of equal digests rather than once per recipient.
	var lastDigest delivery.Digest
	var lastSensitive bool
	var content json.RawMessage
	for i := range p.Changes {
		c := &p.Changes[i]
		d := &c.Delivery
		if content == nil || d.Digest != lastDigest || d.Sensitive != lastSensitive {
			if content, err = json.Marshal(jsonContentOf(d)); err != nil {
				return fmt.Errorf("encoding plan: %w", err)
			}
			lastDigest, lastSensitive = d.Digest, d.Sensitive
		}
		jd := jsonDelivery{
			Address:     d.Address.String(),
			Key:         jsonKeyOf(d.Key),
			Recipient:   d.Key.Recipient,
			Action:      c.Action,
			Reason:      c.Reason,
			Content:     content,
			Digest:      d.Digest,
			SenderName:  d.SenderName,
			CallbackURL: d.CallbackURL,
			Provider:    d.Provider,
			DependsOn:   make([]string, len(d.DependsOn)),
		}
		for j, m := range d.DependsOn {
			jd.DependsOn[j] = m.String()
		}
		if pr := c.Prior; pr != nil {
			jd.Prior = &jsonPrior{Status: pr.Status, Digest: pr.Digest, Address: pr.Address, ErrorCode: pr.ErrorCode, ErrorText: pr.ErrorText}
		}
		line, err := json.Marshal(jd)
		if err != nil {
			return fmt.Errorf("encoding plan: %w", err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		bw.Write(line)
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
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
func jsonContentOf(d *delivery.Delivery) jsonContent {
	c := &d.Content
	jc := jsonContent{Type: c.Type, Sensitive: d.Sensitive, TemplateName: c.TemplateName, Language: c.Language}
	switch c.Type {
	case delivery.Text:
		if !d.Sensitive {
			jc.Body = &c.Body
		}
	case delivery.Template:
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
