package lang

import (
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
