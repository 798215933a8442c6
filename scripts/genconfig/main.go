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
	if err := langtest.WriteLargeConfig(*out, *messages, *recipients); err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
}
