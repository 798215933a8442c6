package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/lang/langtest"
)

// BenchmarkLoad loads and evaluates 10 messages to 10,000 recipients read
// with csvdecode(file(...)): 100,000 deliveries, each with its key and
// digest. The target is under 150 ms and 64 MiB.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	if err := langtest.WriteLargeConfig(dir, 10, 10000); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, _, diags := Load(Options{Dir: dir, LookupEnv: func(string) (string, bool) { return "", false }})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if n := res.DeliveryCount(); n != 100000 {
			b.Fatalf("got %d deliveries", n)
		}
	}
}

// BenchmarkDistinctCSV is the README's idiom over a 10,000-row CSV file:
// distinct and toset over a for expression's tuple of numbers.
func BenchmarkDistinctCSV(b *testing.B) {
	for _, fn := range []string{"distinct", "toset", "tolist"} {
		b.Run(fn, func(b *testing.B) {
			dir := b.TempDir()
			var csv strings.Builder
			csv.WriteString("name,phone\n")
			for i := range 10000 {
				fmt.Fprintf(&csv, "person%d,%s\n", i, langtest.Number(i))
			}
			src := `
locals {
  people = csvdecode(file("people.csv"))
  phones = ` + fn + `([for p in local.people : p.phone])
}

recipients "all" {
  numbers = tolist(local.phones)
}
`
			if err := os.WriteFile(filepath.Join(dir, "people.csv"), []byte(csv.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "m.herald.hcl"), []byte(src), 0o644); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, _, diags := Load(Options{Dir: dir, LookupEnv: func(string) (string, bool) { return "", false }}); diags.HasErrors() {
					b.Fatal(diags.Error())
				}
			}
		})
	}
}
