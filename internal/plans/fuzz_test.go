package plans_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/heraldhq/herald/internal/plans"
)

// FuzzRead feeds arbitrary bytes to the saved-plan reader, as a damaged or
// forged plan file: it must return a plan or an error, never panic, and a
// plan it returns must write and read back. The fuzzer's inputs are also
// given a valid checksum, so that it explores the payload's decoding
// rather than stopping at the checksum. Run with
//
//	go test -run XXX -fuzz FuzzRead -fuzzminimizetime 5s ./internal/plans
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := plans.Write(&buf, examplePlan()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	_, payload, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	f.Add(payload)
	f.Add([]byte(`{"lineage":"l","serial":1,"runs":[{"address":"message.x","deliveries":[{"recipient":"+1","action":"send"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, withChecksum(data)} {
			p, err := plans.Read(bytes.NewReader(in))
			if err != nil {
				continue
			}
			var out bytes.Buffer
			if err := plans.Write(&out, p); err != nil {
				t.Fatalf("a plan that was read does not write: %v", err)
			}
			if _, err := plans.Read(&out); err != nil {
				t.Fatalf("a plan that was read and written does not read back: %v", err)
			}
		}
	})
}

// withChecksum makes payload a saved plan with a checksum that matches it.
func withChecksum(payload []byte) []byte {
	payload = bytes.TrimSuffix(payload, []byte("\n"))
	sum := sha256.Sum256(payload)
	header := `{"kind":"herald plan","format_version":1,"herald_version":"fuzz","checksum":"sha256:` + hex.EncodeToString(sum[:]) + `"}`
	return append(append([]byte(header+"\n"), payload...), '\n')
}
