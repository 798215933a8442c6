package kaleyra

import (
	"fmt"
	"time"
)

// Settings is one evaluated provider "kaleyra" block.
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
	DefaultMethod               = "POST"
	DefaultEncoding             = "form"
	DefaultMessagesPerSecond    = 80
	DefaultRecipientsPerRequest = 1
	DefaultTimeout              = 30 * time.Second
	MaxRecipientsPerRequest     = 100
)

var regionURLs = map[string]string{
	"in": "https://api.in.kaleyra.io",
	"sg": "https://api.kaleyra.io",
	"eu": "https://api.eu.kaleyra.io",
	"na": "https://api.na.kaleyra.ai",
}

// Regions lists the valid values of Region.
func Regions() []string { return []string{"in", "sg", "eu", "na"} }

// BaseURL is the API's base URL: Endpoint when set, else the region's.
func (s Settings) BaseURL() (string, error) {
	if s.Endpoint != "" {
		return s.Endpoint, nil
	}
	region := s.Region
	if region == "" {
		region = DefaultRegion
	}
	u, ok := regionURLs[region]
	if !ok {
		return "", fmt.Errorf("unknown region %q; valid regions are in, sg, eu and na", region)
	}
	return u, nil
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
