// Package langtest writes configurations for tests and benchmarks of
// loading and of whole commands: large, valid and reproducible.
package langtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// areaCodes are US area codes whose 555 exchange numbers libphonenumber
// accepts as valid; each gives 10,000 numbers.
var areaCodes = []string{"202", "212", "312", "415", "650", "617", "303", "206", "404", "305", "713"}

// MaxRecipients is how many distinct numbers Number can produce.
var MaxRecipients = len(areaCodes) * 10000

// Number returns the i-th of MaxRecipients distinct valid E.164 numbers.
func Number(i int) string {
	return fmt.Sprintf("+1%s555%04d", areaCodes[i/10000], i%10000)
}

// WriteLargeConfig writes into dir a configuration of messages messages,
// each to the same recipients numbers read from recipients.csv with
// csvdecode(file(...)). Even messages are text, odd ones templates.
func WriteLargeConfig(dir string, messages, recipients int) error {
	return WriteLarge(dir, Large{Messages: messages, Recipients: recipients})
}

// Large shapes WriteLarge's configuration.
type Large struct {
	Messages, Recipients int
	// RecipientsPerRequest and MessagesPerSecond set the provider's
	// arguments of those names when not 0, so that a measurement of
	// herald is not one of the rate limit.
	RecipientsPerRequest, MessagesPerSecond int
}

// WriteLarge is WriteLargeConfig with the provider shaped as l says.
func WriteLarge(dir string, l Large) error {
	messages, recipients := l.Messages, l.Recipients
	if recipients > MaxRecipients {
		return fmt.Errorf("at most %d recipients", MaxRecipients)
	}
	var csv strings.Builder
	csv.WriteString("name,phone\n")
	for i := range recipients {
		fmt.Fprintf(&csv, "person%d,%s\n", i, Number(i))
	}
	if err := os.WriteFile(filepath.Join(dir, "recipients.csv"), []byte(csv.String()), 0o644); err != nil {
		return err
	}

	var b strings.Builder
	b.WriteString(`provider "kaleyra" {
  sid      = "HXBENCH0001IN"
  emulator = true
`)
	if l.RecipientsPerRequest > 0 {
		fmt.Fprintf(&b, "  recipients_per_request = %d\n", l.RecipientsPerRequest)
	}
	if l.MessagesPerSecond > 0 {
		fmt.Fprintf(&b, "  messages_per_second    = %d\n", l.MessagesPerSecond)
	}
	b.WriteString(`}

variable "release" {
  type    = string
  default = "v1.2.3"
}

sender "ops" {
  number = "+12025550100"
}

locals {
  people = csvdecode(file("recipients.csv"))
}

recipients "everyone" {
  numbers = [for p in local.people : p.phone]
}

template "notice" {
  name     = "release_announcement"
  language = "en"
  params   = ["version", "eta"]
}
`)
	for m := range messages {
		if m%2 == 0 {
			fmt.Fprintf(&b, `
message "m%d" {
  from = sender.ops
  to   = recipients.everyone
  body = "Release ${var.release}: note %d"
  ref  = "bench-%d-${var.release}"
}
`, m, m, m)
			continue
		}
		fmt.Fprintf(&b, `
message "m%d" {
  from     = sender.ops
  to       = recipients.everyone
  template = template.notice
  params   = { version = var.release, eta = "wave %d" }
  ref      = "bench-%d-${var.release}"
}
`, m, m, m)
	}
	return os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(b.String()), 0o644)
}
