package statefile

import (
	"encoding/binary"
	"math/rand"
	"testing"
	"time"
)

// TestPlainWord holds the eight-byte fast path to the byte table: every
// byte value at every position of an otherwise plain word, and random
// words.
func TestPlainWord(t *testing.T) {
	check := func(w [8]byte) {
		want := true
		for _, c := range w {
			want = want && plainASCII[c]
		}
		if got := plainWord(binary.LittleEndian.Uint64(w[:])); got != want {
			t.Fatalf("plainWord(%q) = %v; want %v", w[:], got, want)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			w := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
			w[pos] = byte(c)
			check(w)
		}
	}
	r := rand.New(rand.NewSource(1))
	for range 200000 {
		var w [8]byte
		for i := range w {
			w[i] = byte(0x20 + r.Intn(0x60)) // mostly plain, some '"' and '\\'
			if r.Intn(50) == 0 {
				w[i] = byte(r.Intn(256))
			}
		}
		check(w)
	}
}

// TestParseUTCAgreesWithTimeParse: every time the fast path reads, it
// reads as time.Parse does.
func TestParseUTCAgreesWithTimeParse(t *testing.T) {
	inputs := []string{
		"2026-01-02T15:04:05Z", "2026-01-02T15:04:05.1Z", "2026-01-02T15:04:05.123456789Z",
		"2026-01-02T15:04:05.000000000Z", "2024-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
		"2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
		"2026-01-00T00:00:00Z", "2026-01-02T24:00:00Z", "2026-01-02T15:60:05Z", "2026-01-02T15:04:60Z",
		"2026-01-02T15:04:05.Z", "2026-01-02T15:04:05.1234567890Z", "2026-01-02T15:04:05+01:00",
		"2026-01-02 15:04:05Z", "2026-1-02T15:04:05Z", "2026-01-02T15:04:05z", "2026-01-02T15:04:05.12a4Z",
		"+026-01-02T15:04:05Z", "2026-01-02T15:04:05", "",
	}
	fixed := len(inputs)
	r := rand.New(rand.NewSource(1))
	for range 20000 {
		ts := time.Unix(r.Int63n(1<<35), r.Int63n(1e9)).UTC()
		if r.Intn(4) == 0 {
			ts = ts.Truncate(time.Second)
		}
		inputs = append(inputs, ts.Format(time.RFC3339Nano))
	}
	// Every day of the years where calendars turn: year 0, the century
	// and 400-year leap rules, the epoch, the last years time.Parse reads.
	for _, from := range []int{0, 1896, 1968, 2096, 2396, 9996} {
		for d := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < from+4; d = d.AddDate(0, 0, 1) {
			inputs = append(inputs, d.Add(time.Duration(r.Int63n(int64(24*time.Hour)))).Format(time.RFC3339Nano))
		}
	}
	fast := 0
	for i, in := range inputs {
		got, ok := parseUTC([]byte(in))
		if !ok {
			continue
		}
		if i >= fixed {
			fast++
		}
		want, err := time.Parse(time.RFC3339Nano, in)
		if err != nil {
			t.Errorf("parseUTC(%q) took what time.Parse refuses: %v", in, err)
		} else if got != want {
			t.Errorf("parseUTC(%q) = %v; time.Parse says %v", in, got, want)
		}
	}
	if want := len(inputs) - fixed; fast != want {
		t.Errorf("the fast path read %d of the times herald writes; want all %d", fast, want)
	}
}

func BenchmarkParseUTC(b *testing.B) {
	in := []byte("2026-12-03T11:14:19.364230072Z")
	for b.Loop() {
		if _, ok := parseUTC(in); !ok {
			b.Fatal("refused")
		}
	}
}
