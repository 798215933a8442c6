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
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/heraldhq/herald/internal/addrs"
	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// A saved plan file is one JSON object: a small envelope that says what the
// file is, which format it uses and the SHA-256 of its payload, then the
// payload itself, written as compact JSON so that the checksum covers exactly
// the bytes on disk.
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

type fileEnvelope struct {
	Kind          string          `json:"kind"`
	FormatVersion int             `json:"format_version"`
	HeraldVersion string          `json:"herald_version"`
	Checksum      string          `json:"checksum"`
	Plan          json.RawMessage `json:"plan"`
}

type filePlan struct {
	Lineage   string         `json:"lineage"`
	Serial    uint64         `json:"serial"`
	Targeted  bool           `json:"targeted"`
	Variables []fileVariable `json:"variables"`
	// Contents holds each distinct non-sensitive content once, by digest:
	// a message to 10,000 recipients stores its body once, not 10,000 times.
	Contents         map[delivery.Digest]delivery.Content `json:"contents"`
	Changes          []fileChange                         `json:"changes"`
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

type fileChange struct {
	Address   string          `json:"address"`
	Key       delivery.Key    `json:"key"`
	Action    Action          `json:"action"`
	Reason    string          `json:"reason"`
	Digest    delivery.Digest `json:"digest"`
	Sensitive bool            `json:"sensitive,omitempty"`
	// ContentType is the only part of a sensitive delivery's content that is
	// stored; a non-sensitive one's content is in filePlan.Contents.
	ContentType delivery.Type `json:"content_type,omitempty"`
	CallbackURL string        `json:"callback_url,omitempty"`
	Provider    string        `json:"provider"`
	SenderName  string        `json:"sender_name"`
	DependsOn   []string      `json:"depends_on,omitempty"`
	Prior       *filePrior    `json:"prior,omitempty"`
}

// filePrior is what a plan keeps of the state record a change was compared
// with: enough to explain the action, not the whole record (the state file
// holds that).
type filePrior struct {
	Address   string          `json:"address"`
	Digest    delivery.Digest `json:"digest"`
	Status    states.Status   `json:"status"`
	ErrorCode string          `json:"error_code,omitempty"`
	ErrorText string          `json:"error_text,omitempty"`
}

// WriteFile saves p to path atomically: it writes a temporary file in the
// same folder with mode 0600 (a plan holds phone numbers), syncs it and
// renames it over path, so that a reader never sees half a plan.
func WriteFile(path string, p *Plan) error {
	data, err := encodeFile(p)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving plan: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("saving plan: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("saving plan: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving plan: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving plan: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving plan: %w", err)
	}
	// Sync the folder so the rename itself survives a crash. Some file
	// systems refuse to sync a directory; the plan is written either way.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
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
		Targeted:         p.Targeted,
		Variables:        make([]fileVariable, 0, len(p.Variables)),
		Contents:         make(map[delivery.Digest]delivery.Content),
		Changes:          make([]fileChange, len(p.Changes)),
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
	for i := range p.Changes {
		c := &p.Changes[i]
		d := &c.Delivery
		fc := fileChange{
			Address:     d.Address.String(),
			Key:         d.Key,
			Action:      c.Action,
			Reason:      c.Reason,
			Digest:      d.Digest,
			Sensitive:   d.Sensitive,
			CallbackURL: d.CallbackURL,
			Provider:    d.Provider,
			SenderName:  d.SenderName,
		}
		if d.Sensitive {
			fc.ContentType = d.Content.Type
		} else if _, seen := fp.Contents[d.Digest]; !seen {
			fp.Contents[d.Digest] = d.Content
		}
		for _, m := range d.DependsOn {
			fc.DependsOn = append(fc.DependsOn, m.String())
		}
		if pr := c.Prior; pr != nil {
			fc.Prior = &filePrior{Address: pr.Address, Digest: pr.Digest, Status: pr.Status, ErrorCode: pr.ErrorCode, ErrorText: pr.ErrorText}
		}
		fp.Changes[i] = fc
	}
	payload, err := json.Marshal(fp)
	if err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	sum := sha256.Sum256(payload)

	// The envelope is written by hand around the payload so that the
	// payload's bytes on disk are exactly the ones summed.
	head, err := json.Marshal(struct {
		Kind          string `json:"kind"`
		FormatVersion int    `json:"format_version"`
		HeraldVersion string `json:"herald_version"`
		Checksum      string `json:"checksum"`
	}{fileKind, FileFormatVersion, p.HeraldVersion, checksumPrefix + hex.EncodeToString(sum[:])})
	if err != nil {
		return nil, fmt.Errorf("encoding plan: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(head) + len(payload) + 16)
	buf.Write(head[:len(head)-1])
	buf.WriteString(`,"plan":`)
	buf.Write(payload)
	buf.WriteString("}\n")
	return buf.Bytes(), nil
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
	var env fileEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		if bytes.HasPrefix(data, []byte(`{"kind":"herald plan"`)) {
			// It starts like a plan but does not parse: cut short or damaged.
			return nil, fmt.Errorf("%w (it is not complete JSON); make a new plan", ErrCorrupt)
		}
		return nil, fmt.Errorf("%w (make one with \"herald plan -out=FILE\")", ErrNotPlan)
	}
	if env.Kind != fileKind {
		return nil, fmt.Errorf("%w (make one with \"herald plan -out=FILE\")", ErrNotPlan)
	}
	if env.FormatVersion != FileFormatVersion {
		if env.FormatVersion > FileFormatVersion {
			return nil, fmt.Errorf("the plan was saved by herald %s in plan format %d, which this herald (format %d) cannot read; apply it with that version or make a new plan",
				env.HeraldVersion, env.FormatVersion, FileFormatVersion)
		}
		return nil, fmt.Errorf("the plan uses plan format %d, which this herald no longer reads; make a new plan", env.FormatVersion)
	}
	sum := sha256.Sum256(env.Plan)
	if env.Checksum != checksumPrefix+hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("%w (its checksum does not match its contents); make a new plan", ErrCorrupt)
	}

	var fp filePlan
	if err := json.Unmarshal(env.Plan, &fp); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, err)
	}
	p, err := fp.plan()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, err)
	}
	p.HeraldVersion = env.HeraldVersion
	return p, nil
}

// plan turns the decoded payload back into a Plan, checking what the
// checksum cannot: that a writer with a bug did not store something
// inconsistent.
func (fp *filePlan) plan() (*Plan, error) {
	p := &Plan{
		Lineage:          fp.Lineage,
		Serial:           fp.Serial,
		Targeted:         fp.Targeted,
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

	// Addresses repeat once per recipient; parse each distinct one once.
	instances := make(map[string]addrs.MessageInstance)
	if len(fp.Changes) > 0 {
		p.Changes = make([]Change, len(fp.Changes))
	}
	for i := range fp.Changes {
		fc := &fp.Changes[i]
		if !validAction(fc.Action) {
			return nil, fmt.Errorf("delivery %d has an unknown action %q", i, fc.Action)
		}
		addr, ok := instances[fc.Address]
		if !ok {
			var err error
			if addr, err = addrs.ParseMessageInstance(fc.Address); err != nil {
				return nil, err
			}
			instances[fc.Address] = addr
		}
		d := delivery.Delivery{
			Address:     addr,
			Key:         fc.Key,
			Digest:      fc.Digest,
			Sensitive:   fc.Sensitive,
			CallbackURL: fc.CallbackURL,
			Provider:    fc.Provider,
			SenderName:  fc.SenderName,
		}
		if fc.Sensitive {
			d.Content = delivery.Content{Type: fc.ContentType}
		} else {
			content, ok := fp.Contents[fc.Digest]
			if !ok {
				return nil, fmt.Errorf("no content is stored for %s (digest %s)", fc.Address, fc.Digest)
			}
			d.Content = content
		}
		for _, s := range fc.DependsOn {
			name, ok := strings.CutPrefix(s, "message.")
			if !ok || name == "" {
				return nil, fmt.Errorf("invalid depends_on address %q", s)
			}
			d.DependsOn = append(d.DependsOn, addrs.Message{Name: name})
		}
		c := Change{Delivery: d, Action: fc.Action, Reason: fc.Reason}
		if pr := fc.Prior; pr != nil {
			c.Prior = &states.Delivery{Key: fc.Key, Address: pr.Address, Digest: pr.Digest, Status: pr.Status, ErrorCode: pr.ErrorCode, ErrorText: pr.ErrorText}
		}
		p.Changes[i] = c
	}
	return p, nil
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
