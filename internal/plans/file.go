package plans

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/atomicfile"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// A saved plan file is two lines of JSON: a small header that says what
// the file is, which format it uses and the SHA-256 of the second line, then
// the plan itself as compact JSON. Keeping them apart lets a reader check
// the kind and version before it decodes anything large, and makes the
// checksum cover exactly the bytes on disk.
//
// What it never holds: the API key (nothing in a Plan carries provider
// settings), the values of sensitive variables (apply re-reads them from
// their usual sources), and the content of sensitive deliveries (only their
// type and digest; the digest is enough for apply to check that what it
// renders again is what was planned).
const (
	// fileKind marks a herald plan, so that a state file or anything else
	// passed by mistake is refused with a clear message.
	fileKind = "herald plan"
	// FileFormatVersion is the saved-plan format this herald writes and
	// reads. Bump it on any change that an older reader would misread.
	FileFormatVersion = 1
	checksumPrefix    = "sha256:"
)

// ErrCorrupt is wrapped by the error for a saved plan that fails its
// checksum or does not decode: it was damaged or edited after it was
// written.
var ErrCorrupt = errors.New("the saved plan is damaged or was edited after it was written")

// ErrNotPlan is wrapped by the error for a file that is not a saved plan.
var ErrNotPlan = errors.New("not a saved herald plan")

type fileHeader struct {
	Kind          string `json:"kind"`
	FormatVersion int    `json:"format_version"`
	HeraldVersion string `json:"herald_version"`
	// Checksum is "sha256:" and the hex SHA-256 of the payload line,
	// without its newline.
	Checksum string `json:"checksum"`
}

type filePlan struct {
	Lineage        string            `json:"lineage"`
	Serial         uint64            `json:"serial"`
	Backend        string            `json:"backend,omitempty"`
	Targeted       bool              `json:"targeted"`
	Replace        []string          `json:"replace,omitempty"`
	ReplaceUnknown []string          `json:"replace_unknown,omitempty"`
	Providers      map[string]string `json:"providers,omitempty"`
	Variables      []fileVariable    `json:"variables"`
	// Contents holds each distinct non-sensitive content once, by digest:
	// a message to 10,000 recipients stores its body once, not 10,000 times.
	Contents         map[delivery.Digest]delivery.Content `json:"contents"`
	Runs             []fileRun                            `json:"runs"`
	NoLongerDeclared []*states.Delivery                   `json:"no_longer_declared"`
}

type fileVariable struct {
	Name      string `json:"name"`
	Sensitive bool   `json:"sensitive"`
	// Type and Value are go-cty's JSON encodings, absent for a sensitive
	// variable.
	Type  json.RawMessage `json:"type,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// fileRun is a run of consecutive changes that share everything but the
// recipient, the action and the prior record: in practice, one message
// instance. Storing runs keeps a 100,000-delivery plan small and quick to
// read, and keeps the plan's order exactly.
type fileRun struct {
	Address   string          `json:"address"`
	Key       fileRunKey      `json:"key"`
	Digest    delivery.Digest `json:"digest"`
	Sensitive bool            `json:"sensitive,omitempty"`
	// ContentType is the only part of a sensitive delivery's content that is
	// stored; a non-sensitive one's content is in filePlan.Contents.
	ContentType delivery.Type  `json:"content_type,omitempty"`
	CallbackURL string         `json:"callback_url,omitempty"`
	Provider    string         `json:"provider"`
	SenderName  string         `json:"sender_name"`
	DependsOn   []string       `json:"depends_on,omitempty"`
	Deliveries  []fileDelivery `json:"deliveries"`
}

// fileRunKey is a delivery key without its recipient.
type fileRunKey struct {
	Channel string `json:"channel"`
	Sender  string `json:"sender"`
	Ref     string `json:"ref"`
	Ref1    string `json:"ref1,omitempty"`
	Ref2    string `json:"ref2,omitempty"`
}

type fileDelivery struct {
	Recipient string     `json:"recipient"`
	Action    Action     `json:"action"`
	Reason    string     `json:"reason"`
	Prior     *filePrior `json:"prior,omitempty"`
}

// filePrior is what a plan keeps of the state record a change was compared
// with: enough to explain the action, not the whole record (the state file
// holds that).
type filePrior struct {
	Status states.Status `json:"status"`
	// Digest and Address are absent when they equal the delivery's, as
	// they do for nearly every record.
	Digest    *delivery.Digest `json:"digest,omitempty"`
	Address   *string          `json:"address,omitempty"`
	ErrorCode string           `json:"error_code,omitempty"`
	ErrorText string           `json:"error_text,omitempty"`
}

// WriteFile saves p to path atomically, with mode 0600 (a plan holds
// phone numbers), so that a reader never sees half a plan. A path that is
// a symbolic link is written through: the link stays.
func WriteFile(path string, p *Plan) error {
	data, err := encodeFile(p)
	if err != nil {
		return err
	}
	err = atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("saving plan: %w", err)
	}
	return nil
}

// Write writes p in the saved-plan format to w.
func Write(w io.Writer, p *Plan) error {
	data, err := encodeFile(p)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// ReadFile reads a plan saved by WriteFile, refusing one whose checksum
// does not match, whose format is newer than this herald reads, or that is
// not a saved plan at all.
func ReadFile(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading saved plan: %w", err)
	}
	p, err := decodeFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Read reads a plan in the saved-plan format from r.
func Read(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading saved plan: %w", err)
	}
	return decodeFile(data)
}

func encodeFile(p *Plan) ([]byte, error) {
	fp := filePlan{
		Lineage:          p.Lineage,
		Serial:           p.Serial,
		Backend:          p.Backend,
		Targeted:         p.Targeted,
		Replace:          p.Replace,
		ReplaceUnknown:   p.ReplaceUnknown,
		Providers:        p.Providers,
		Variables:        make([]fileVariable, 0, len(p.Variables)),
		Contents:         make(map[delivery.Digest]delivery.Content),
		Runs:             []fileRun{},
		NoLongerDeclared: p.NoLongerDeclared,
	}
	if fp.NoLongerDeclared == nil {
		fp.NoLongerDeclared = []*states.Delivery{}
	}
	for _, v := range p.Variables {
		fv, err := encodeVariable(v)
		if err != nil {
			return nil, err
		}
		fp.Variables = append(fp.Variables, fv)
	}
	var run *fileRun
	var runOf *delivery.Delivery // the first delivery of run
	for i := range p.Changes {
		c := &p.Changes[i]
		d := &c.Delivery
		if run == nil || !sameRun(runOf, d) {
			fp.Runs = append(fp.Runs, newFileRun(d))
			run, runOf = &fp.Runs[len(fp.Runs)-1], d
			if !d.Sensitive {
				if _, seen := fp.Contents[d.Digest]; !seen {
					fp.Contents[d.Digest] = d.Content
				}
			}
		}
		fd := fileDelivery{Recipient: d.Key.Recipient, Action: c.Action, Reason: c.Reason}
		if pr := c.Prior; pr != nil {
			fd.Prior = &filePrior{Status: pr.Status, ErrorCode: pr.ErrorCode, ErrorText: pr.ErrorText}
			if pr.Digest != d.Digest {
				fd.Prior.Digest = &pr.Digest
			}
			if pr.Address != run.Address {
				fd.Prior.Address = &pr.Address
			}
		}
		run.Deliveries = append(run.Deliveries, fd)
	}
	payload, err := json.Marshal(fp)
	if err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	sum := sha256.Sum256(payload)
	header, err := json.Marshal(fileHeader{
		Kind:          fileKind,
		FormatVersion: FileFormatVersion,
		HeraldVersion: p.HeraldVersion,
		Checksum:      checksumPrefix + hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	out := make([]byte, 0, len(header)+len(payload)+2)
	out = append(out, header...)
	out = append(out, '\n')
	out = append(out, payload...)
	return append(out, '\n'), nil
}

func newFileRun(d *delivery.Delivery) fileRun {
	run := fileRun{
		Address:     d.Address.String(),
		Key:         fileRunKey{Channel: d.Key.Channel, Sender: d.Key.Sender, Ref: d.Key.Ref, Ref1: d.Key.Ref1, Ref2: d.Key.Ref2},
		Digest:      d.Digest,
		Sensitive:   d.Sensitive,
		CallbackURL: d.CallbackURL,
		Provider:    d.Provider,
		SenderName:  d.SenderName,
	}
	if d.Sensitive {
		run.ContentType = d.Content.Type
	}
	for _, m := range d.DependsOn {
		run.DependsOn = append(run.DependsOn, m.String())
	}
	return run
}

// sameRun reports whether b can join the run that a started: everything
// stored per run is equal.
func sameRun(a, b *delivery.Delivery) bool {
	ka, kb := a.Key, b.Key
	ka.Recipient, kb.Recipient = "", ""
	return a.Address == b.Address && ka == kb && a.Digest == b.Digest && a.Sensitive == b.Sensitive &&
		a.Content.Type == b.Content.Type && a.CallbackURL == b.CallbackURL && a.Provider == b.Provider &&
		a.SenderName == b.SenderName && slices.Equal(a.DependsOn, b.DependsOn)
}

func encodeVariable(v Variable) (fileVariable, error) {
	fv := fileVariable{Name: v.Name, Sensitive: v.Sensitive}
	if v.Sensitive || v.Value == cty.NilVal {
		return fv, nil
	}
	ty, err := ctyjson.MarshalType(v.Value.Type())
	if err != nil {
		return fileVariable{}, fmt.Errorf("encoding variable %q: %w", v.Name, err)
	}
	val, err := ctyjson.Marshal(v.Value, v.Value.Type())
	if err != nil {
		return fileVariable{}, fmt.Errorf("encoding variable %q: %w", v.Name, err)
	}
	fv.Type, fv.Value = ty, val
	return fv, nil
}

func decodeFile(data []byte) (*Plan, error) {
	headerLine, payload, _ := bytes.Cut(data, []byte("\n"))
	var h fileHeader
	if err := json.Unmarshal(headerLine, &h); err != nil {
		if bytes.HasPrefix(data, []byte(`{"kind":"herald plan"`)) {
			// It starts like a plan but does not parse: cut short or damaged.
			return nil, fmt.Errorf("%w (it is not complete); make a new plan", ErrCorrupt)
		}
		return nil, fmt.Errorf("%w (make one with \"herald plan -out=FILE\")", ErrNotPlan)
	}
	if h.Kind != fileKind {
		return nil, fmt.Errorf("%w (make one with \"herald plan -out=FILE\")", ErrNotPlan)
	}
	if h.FormatVersion != FileFormatVersion {
		if h.FormatVersion > FileFormatVersion {
			return nil, fmt.Errorf("the plan was saved by herald %s in plan format %d, which this herald (format %d) cannot read; apply it with that version or make a new plan",
				h.HeraldVersion, h.FormatVersion, FileFormatVersion)
		}
		return nil, fmt.Errorf("the plan uses plan format %d, which this herald no longer reads; make a new plan", h.FormatVersion)
	}
	payload = bytes.TrimSuffix(payload, []byte("\n"))
	sum := sha256.Sum256(payload)
	if h.Checksum != checksumPrefix+hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("%w (its checksum does not match its contents); make a new plan", ErrCorrupt)
	}

	var fp filePlan
	if err := json.Unmarshal(payload, &fp); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, err)
	}
	p, err := fp.plan()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, err)
	}
	p.HeraldVersion = h.HeraldVersion
	return p, nil
}

// plan turns the decoded payload back into a Plan, checking what the
// checksum cannot: that a writer with a bug did not store something
// inconsistent.
func (fp *filePlan) plan() (*Plan, error) {
	if fp.Lineage == "" {
		return nil, fmt.Errorf("it names no state lineage, which every plan records")
	}
	p := &Plan{
		Lineage:          fp.Lineage,
		Serial:           fp.Serial,
		Backend:          fp.Backend,
		Targeted:         fp.Targeted,
		Replace:          fp.Replace,
		ReplaceUnknown:   fp.ReplaceUnknown,
		Providers:        fp.Providers,
		NoLongerDeclared: fp.NoLongerDeclared,
	}
	if len(p.NoLongerDeclared) == 0 {
		p.NoLongerDeclared = nil
	}
	for _, fv := range fp.Variables {
		v, err := fv.variable()
		if err != nil {
			return nil, err
		}
		p.Variables = append(p.Variables, v)
	}
	for d, c := range fp.Contents {
		if c.Digest() != d {
			return nil, fmt.Errorf("the content stored under digest %s does not match it", d)
		}
	}

	n := 0
	for _, run := range fp.Runs {
		n += len(run.Deliveries)
	}
	if n > 0 {
		p.Changes = make([]Change, 0, n)
	}
	for _, run := range fp.Runs {
		d, err := run.delivery(fp.Contents)
		if err != nil {
			return nil, err
		}
		for _, fd := range run.Deliveries {
			if !validAction(fd.Action) {
				return nil, fmt.Errorf("a delivery of %s has an unknown action %q", run.Address, fd.Action)
			}
			c := Change{Delivery: d, Action: fd.Action, Reason: fd.Reason}
			c.Delivery.Key.Recipient = fd.Recipient
			if pr := fd.Prior; pr != nil {
				c.Prior = &states.Delivery{Key: c.Delivery.Key, Address: run.Address, Digest: d.Digest, Status: pr.Status, ErrorCode: pr.ErrorCode, ErrorText: pr.ErrorText}
				if pr.Digest != nil {
					c.Prior.Digest = *pr.Digest
				}
				if pr.Address != nil {
					c.Prior.Address = *pr.Address
				}
			}
			p.Changes = append(p.Changes, c)
		}
	}
	return p, nil
}

// delivery is the run's deliveries without a recipient.
func (run *fileRun) delivery(contents map[delivery.Digest]delivery.Content) (delivery.Delivery, error) {
	addr, err := addrs.ParseMessageInstance(run.Address)
	if err != nil {
		return delivery.Delivery{}, err
	}
	d := delivery.Delivery{
		Address:     addr,
		Key:         delivery.Key{Channel: run.Key.Channel, Sender: run.Key.Sender, Ref: run.Key.Ref, Ref1: run.Key.Ref1, Ref2: run.Key.Ref2},
		Digest:      run.Digest,
		Sensitive:   run.Sensitive,
		CallbackURL: run.CallbackURL,
		Provider:    run.Provider,
		SenderName:  run.SenderName,
	}
	if run.Sensitive {
		d.Content = delivery.Content{Type: run.ContentType}
	} else {
		content, ok := contents[run.Digest]
		if !ok {
			return delivery.Delivery{}, fmt.Errorf("no content is stored for %s (digest %s)", run.Address, run.Digest)
		}
		d.Content = content
	}
	for _, s := range run.DependsOn {
		name, ok := strings.CutPrefix(s, "message.")
		if !ok || name == "" {
			return delivery.Delivery{}, fmt.Errorf("invalid depends_on address %q", s)
		}
		d.DependsOn = append(d.DependsOn, addrs.Message{Name: name})
	}
	return d, nil
}

func (fv fileVariable) variable() (Variable, error) {
	v := Variable{Name: fv.Name, Sensitive: fv.Sensitive, Value: cty.NilVal}
	if fv.Sensitive || fv.Type == nil {
		return v, nil
	}
	ty, err := ctyjson.UnmarshalType(fv.Type)
	if err != nil {
		return Variable{}, fmt.Errorf("variable %q: %s", fv.Name, err)
	}
	val, err := ctyjson.Unmarshal(fv.Value, ty)
	if err != nil {
		return Variable{}, fmt.Errorf("variable %q: %s", fv.Name, err)
	}
	v.Value = val
	return v, nil
}

func validAction(a Action) bool {
	switch a {
	case Send, Retry, None, Changed, Unknown, Resend:
		return true
	}
	return false
}
