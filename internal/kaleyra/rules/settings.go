package rules

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Settings is one evaluated provider "kaleyra" block: how to reach one
// Kaleyra account. It lives here rather than in package kaleyra so that
// lang can produce it without importing the client.
type Settings struct {
	// Address is "kaleyra" or "kaleyra.ALIAS".
	Address string
	SID     string
	// APIKey is secret: it must never be printed, logged or written to a file.
	APIKey   string
	Region   string // in | sg | eu | na
	Endpoint string // overrides Region when set
	Method   string // POST | GET
	Encoding string // form | multipart | json (POST only)
	Sandbox  bool
	// Emulator runs the built-in emulator for the command's duration.
	Emulator             bool
	MessagesPerSecond    float64
	RecipientsPerRequest int
	Timeout              time.Duration
}

// Defaults used when a provider block leaves an attribute unset.
const (
	DefaultRegion               = "in"
	DefaultMethod               = MethodPost
	DefaultEncoding             = EncodingForm
	DefaultMessagesPerSecond    = 80
	DefaultRecipientsPerRequest = 1
	DefaultTimeout              = 30 * time.Second
	// MaxRecipientsPerRequest is Kaleyra's limit on the recipients of one
	// request.
	MaxRecipientsPerRequest = 100
)

// Request methods, and the wire encodings of a POST request's fields.
const (
	MethodPost        = "POST"
	MethodGet         = "GET"
	EncodingForm      = "form"
	EncodingMultipart = "multipart"
	EncodingJSON      = "json"
)

// regions are Kaleyra's API regions and their base URLs, in the order
// messages list them.
var regions = []struct{ name, url string }{
	{"in", "https://api.in.kaleyra.io"},
	{"sg", "https://api.kaleyra.io"},
	{"eu", "https://api.eu.kaleyra.io"},
	{"na", "https://api.na.kaleyra.ai"},
}

// Regions lists the valid values of Region.
func Regions() []string {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.name
	}
	return names
}

// CheckRegion requires one of Kaleyra's regions.
func CheckRegion(region string) *Problem { return oneOf(FieldRegion, region, Regions()) }

// CheckMethod requires POST or GET, the methods the messages API takes.
func CheckMethod(method string) *Problem {
	return oneOf(FieldMethod, method, []string{MethodPost, MethodGet})
}

// CheckEncoding requires one of the encodings the messages API reads.
func CheckEncoding(encoding string) *Problem {
	return oneOf(FieldEncoding, encoding, []string{EncodingForm, EncodingMultipart, EncodingJSON})
}

// CheckRecipientsPerRequest requires a whole number from 1 to
// MaxRecipientsPerRequest.
func CheckRecipientsPerRequest(n float64) *Problem {
	if n == float64(int(n)) && n >= 1 && n <= MaxRecipientsPerRequest {
		return nil
	}
	return &Problem{Field: FieldRecipientsPerRequest, Index: -1, Kind: OutOfRange,
		reason: "The recipients_per_request must be a whole number from 1 to " + strconv.Itoa(MaxRecipientsPerRequest) + "."}
}

// Check applies the rules on how a request is made: the region (unless an
// endpoint replaces it), the endpoint, the method and the encoding. Unset
// values take their defaults.
func (s Settings) Check() Problems {
	var ps Problems
	if s.Endpoint != "" {
		ps.add(CheckEndpoint(s.Endpoint))
	} else if s.Region != "" {
		ps.add(CheckRegion(s.Region))
	}
	if s.Method != "" {
		ps.add(CheckMethod(s.Method))
	}
	if s.Encoding != "" {
		ps.add(CheckEncoding(s.Encoding))
	}
	return ps
}

// BaseURL is the API's base URL: Endpoint when set, else the region's.
func (s Settings) BaseURL() (string, error) {
	if s.Endpoint != "" {
		return s.Endpoint, nil
	}
	region := s.Region
	if region == "" {
		region = DefaultRegion
	}
	for _, r := range regions {
		if r.name == region {
			return r.url, nil
		}
	}
	return "", fmt.Errorf("unknown region %q; valid regions are in, sg, eu and na", region)
}

// GoString keeps the key out of %#v.
func (s Settings) GoString() string {
	s.APIKey = redacted(s.APIKey)
	type plain Settings
	return fmt.Sprintf("%#v", plain(s))
}

// String keeps the key out of %v.
func (s Settings) String() string { return s.GoString() }

func redacted(key string) string {
	if key == "" {
		return ""
	}
	return "(sensitive)"
}

// Destination describes where and how these settings send, without the
// key: two settings with the same Destination reach the same account the
// same way. A saved plan records it so that apply can tell when it changed.
func (s Settings) Destination() string {
	if s.Emulator {
		return "emulator sid=" + s.SID
	}
	base, err := s.BaseURL()
	if err != nil {
		base = "region=" + s.Region
	}
	return fmt.Sprintf("%s sid=%s method=%s encoding=%s sandbox=%t recipients_per_request=%d",
		base, s.SID, s.Method, s.Encoding, s.Sandbox, s.RecipientsPerRequest)
}

// CheckAPIKey says what makes key unusable in the api-key header: a line
// break (a key read from a file with its newline, say) or another control
// character. Go's HTTP client refuses such a header before anything is
// sent, which would otherwise look like a network failure, and be retried.
func CheckAPIKey(key string) error {
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '\r' || c == '\n':
			return errors.New("holds a line break (a key read from a file or a variable may keep its final newline; trim it with trimspace)")
		case c < ' ' && c != '\t' || c == 0x7f:
			return fmt.Errorf("holds the control character %q, which an HTTP header cannot carry", c)
		}
	}
	return nil
}
