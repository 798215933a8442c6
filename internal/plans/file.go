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
	// Format 3 adds the failed_after_send reason, a change's warning and
	// the receipt of its prior record; format 2 stores a plan by message
	// instance, each with its recipients' actions and reasons as tokens,
	// and reads as a format 3 plan without them; format 1 stored runs of
	// deliveries with a sentence per recipient.
	FileFormatVersion = 3
	// oldestFormatVersion is the oldest format this herald still reads.
	oldestFormatVersion = 2
	checksumPrefix      = "sha256:"
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
	// instances that say the same thing store it once.
	Contents  map[delivery.Digest]delivery.Content `json:"contents"`
	Instances []fileInstance                       `json:"instances"`
	// PriorContents is Plan.PriorContents: what changed deliveries sent
	// before. Older readers, which do not know it, lose only the diff.
	PriorContents    map[delivery.Digest]delivery.Content `json:"prior_contents,omitempty"`
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

// fileInstance is one InstanceChange: what its deliveries share once, then
// a short entry per planned recipient.
type fileInstance struct {
	Address   string          `json:"address"`
	Key       fileKey         `json:"key"`
	Digest    delivery.Digest `json:"digest"`
	Sensitive bool            `json:"sensitive,omitempty"`
	// ContentType is the only part of a sensitive instance's content that
	// is stored; a non-sensitive one's content is in filePlan.Contents.
	ContentType delivery.Type `json:"content_type,omitempty"`
	CallbackURL string        `json:"callback_url,omitempty"`
	Provider    string        `json:"provider"`
	SenderName  string        `json:"sender_name"`
	DependsOn   []string      `json:"depends_on,omitempty"`
	Changes     []fileChange  `json:"changes"`
}

// fileKey is a delivery key without its recipient.
type fileKey struct {
	Channel string `json:"channel"`
	Sender  string `json:"sender"`
	Ref     string `json:"ref"`
	Ref1    string `json:"ref1,omitempty"`
	Ref2    string `json:"ref2,omitempty"`
}

type fileChange struct {
	Recipient string     `json:"recipient"`
	Action    Action     `json:"action"`
	Reason    Reason     `json:"reason"`
	Warning   Warning    `json:"warning,omitempty"`
	Prior     *filePrior `json:"prior,omitempty"`
}

// filePrior is what a plan keeps of the state record a change was compared
// with: enough to explain the action, not the whole record (the state file
// holds that).
type filePrior struct {
	Status states.Status `json:"status"`
	// Digest and Address are absent when they equal the instance's, as
	// they do for nearly every record.
	Digest    *delivery.Digest `json:"digest,omitempty"`
	Address   *string          `json:"address,omitempty"`
	ErrorCode string           `json:"error_code,omitempty"`
	ErrorText string           `json:"error_text,omitempty"`
	// Receipt is what delivery callbacks reported of the earlier send.
	Receipt *states.Receipt `json:"receipt,omitempty"`
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
		PriorContents:    p.PriorContents,
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
	fp.Instances = make([]fileInstance, len(p.Instances))
	for i := range p.Instances {
		ic := &p.Instances[i]
		fp.Instances[i] = newFileInstance(ic)
		if in := ic.Instance; !in.Sensitive {
			if _, seen := fp.Contents[in.Digest]; !seen {
				fp.Contents[in.Digest] = in.Content
			}
		}
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

func newFileInstance(ic *InstanceChange) fileInstance {
	in := ic.Instance
	fi := fileInstance{
		Address:     in.Address.String(),
		Key:         fileKey{Channel: in.Channel, Sender: in.Sender, Ref: in.Ref, Ref1: in.Ref1, Ref2: in.Ref2},
		Digest:      in.Digest,
		Sensitive:   in.Sensitive,
		CallbackURL: in.CallbackURL,
		Provider:    in.Provider,
		SenderName:  in.SenderName,
		Changes:     make([]fileChange, len(ic.Changes)),
	}
	if in.Sensitive {
		fi.ContentType = in.Content.Type
	}
	for _, m := range in.DependsOn {
		fi.DependsOn = append(fi.DependsOn, m.String())
	}
	for i := range ic.Changes {
		c := &ic.Changes[i]
		fc := fileChange{Recipient: c.Recipient, Action: c.Action, Reason: c.Reason, Warning: c.Warning}
		if pr := c.Prior; pr != nil {
			fc.Prior = &filePrior{Status: pr.Status, ErrorCode: pr.ErrorCode, ErrorText: pr.ErrorText, Receipt: pr.Receipt}
			if pr.Digest != in.Digest {
				fc.Prior.Digest = &pr.Digest
			}
			if pr.Address != fi.Address {
				fc.Prior.Address = &pr.Address
			}
		}
		fi.Changes[i] = fc
	}
	return fi
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
	if h.FormatVersion < oldestFormatVersion || h.FormatVersion > FileFormatVersion {
		if h.FormatVersion > FileFormatVersion {
			return nil, fmt.Errorf("the plan was saved by herald %s in plan format %d, which this herald (format %d) cannot read; apply it with that version or make a new plan",
				h.HeraldVersion, h.FormatVersion, FileFormatVersion)
		}
		return nil, fmt.Errorf("the plan was saved by herald %s in plan format %d, which this herald (format %d) no longer reads; run \"herald plan -out=FILE\" again to make a new one",
			h.HeraldVersion, h.FormatVersion, FileFormatVersion)
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
	for _, contents := range []map[delivery.Digest]delivery.Content{fp.Contents, fp.PriorContents} {
		for d, c := range contents {
			if c.Digest() != d {
				return nil, fmt.Errorf("the content stored under digest %s does not match it", d)
			}
		}
	}
	if len(fp.PriorContents) > 0 {
		p.PriorContents = fp.PriorContents
	}

	if len(fp.Instances) > 0 {
		p.Instances = make([]InstanceChange, len(fp.Instances))
	}
	for i := range fp.Instances {
		ic, err := fp.Instances[i].change(fp.Contents)
		if err != nil {
			return nil, err
		}
		p.Instances[i] = ic
	}
	return p, nil
}

// change is the InstanceChange fi stores; its instance's recipients are
// the planned ones.
func (fi *fileInstance) change(contents map[delivery.Digest]delivery.Content) (InstanceChange, error) {
	addr, err := addrs.ParseMessageInstance(fi.Address)
	if err != nil {
		return InstanceChange{}, err
	}
	in := &delivery.Instance{
		Address:     addr,
		Provider:    fi.Provider,
		SenderName:  fi.SenderName,
		Channel:     fi.Key.Channel,
		Sender:      fi.Key.Sender,
		Ref:         fi.Key.Ref,
		Ref1:        fi.Key.Ref1,
		Ref2:        fi.Key.Ref2,
		Digest:      fi.Digest,
		Sensitive:   fi.Sensitive,
		CallbackURL: fi.CallbackURL,
		Recipients:  make([]string, len(fi.Changes)),
	}
	if fi.Sensitive {
		in.Content = delivery.Content{Type: fi.ContentType}
	} else {
		content, ok := contents[fi.Digest]
		if !ok {
			return InstanceChange{}, fmt.Errorf("no content is stored for %s (digest %s)", fi.Address, fi.Digest)
		}
		in.Content = content
	}
	for _, s := range fi.DependsOn {
		name, ok := strings.CutPrefix(s, "message.")
		if !ok || name == "" {
			return InstanceChange{}, fmt.Errorf("invalid depends_on address %q", s)
		}
		in.DependsOn = append(in.DependsOn, addrs.Message{Name: name})
	}
	ic := InstanceChange{Instance: in, Changes: make([]Change, len(fi.Changes))}
	for i, fc := range fi.Changes {
		if fc.Action == 0 || fc.Reason == 0 {
			return InstanceChange{}, fmt.Errorf("a change of %s has no action or no reason", fi.Address)
		}
		in.Recipients[i] = fc.Recipient
		c := Change{Recipient: fc.Recipient, Action: fc.Action, Reason: fc.Reason, Warning: fc.Warning}
		if pr := fc.Prior; pr != nil {
			c.Prior = &states.Delivery{Key: in.Key(fc.Recipient), Address: fi.Address, Digest: fi.Digest, Status: pr.Status, ErrorCode: pr.ErrorCode, ErrorText: pr.ErrorText, Receipt: pr.Receipt}
			if pr.Digest != nil {
				c.Prior.Digest = *pr.Digest
			}
			if pr.Address != nil {
				c.Prior.Address = *pr.Address
			}
		}
		ic.Changes[i] = c
	}
	return ic, nil
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
