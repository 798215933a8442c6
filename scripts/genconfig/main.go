// Command genconfig writes a large herald configuration for measuring
// whole commands, e.g.:
//
//	go run ./scripts/genconfig -messages 10 -recipients 10000 -out /tmp/big
//	/usr/bin/time -v go run . -chdir=/tmp/big validate
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/heraldhq/herald/internal/lang/langtest"
)

func main() {
	messages := flag.Int("messages", 10, "number of message blocks")
	recipients := flag.Int("recipients", 10000, "number of recipients, each message to all of them")
	perRequest := flag.Int("recipients-per-request", 0, "the provider's recipients_per_request (unset when 0)")
	perSecond := flag.Int("messages-per-second", 0, "the provider's messages_per_second (unset when 0)")
	out := flag.String("out", "", "folder to write the configuration into (created if missing)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genconfig: -out DIR is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
	l := langtest.Large{Messages: *messages, Recipients: *recipients, RecipientsPerRequest: *perRequest, MessagesPerSecond: *perSecond}
	if err := langtest.WriteLarge(*out, l); err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
}
