package statefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/states/statestest"
)

// streamFile writes data to a file and returns it open, for Read's
// streaming path, which needs a reader that can seek.
func streamFile(t *testing.T, data []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "herald.state")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// A state several windows long reads the same streamed as from memory.
func TestReadStreamsAStateLongerThanTheWindow(t *testing.T) {
	s := campaign(4, 6_000)
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 2*windowSize {
		t.Fatalf("the state is %d bytes, not several windows of %d", buf.Len(), windowSize)
	}
	// The decoder itself, not Read, which could fall back to memory.
	d := newStreamDecoder(streamFile(t, buf.Bytes()))
	got, err := parse(d, int64(buf.Len()))
	if err != nil || d.readErr != nil {
		t.Fatal(err, d.readErr)
	}
	if cap(d.data) != windowSize {
		t.Errorf("the window after the deliveries is %d bytes, want %d", cap(d.data), windowSize)
	}
	if diff := cmp.Diff(s, got, statestest.Records); diff != "" {
		t.Errorf("streamed state differs (-written +read):\n%s", diff)
	}
}

// What fails streamed is read again from memory, so errors say the line
// and column, and an element longer than the window still reads.
func TestReadStreamedFallsBackToMemory(t *testing.T) {
	s := campaign(2, 6_000)
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()

	t.Run("a record longer than the window", func(t *testing.T) {
		big := campaign(1, 3)
		for d := range big.Deliveries.All() {
			d.Status, d.ErrorCode, d.ErrorText = "failed", "E1", strings.Repeat("x", 2*refillAt)
			break
		}
		var b bytes.Buffer
		if err := Write(&b, big); err != nil {
			t.Fatal(err)
		}
		got, err := Read(streamFile(t, b.Bytes()), 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(big, got, statestest.Records); diff != "" {
			t.Errorf("state differs (-written +read):\n%s", diff)
		}
	})

	// The last record's status, so that the streamed decode meets it in a
	// later window than the first.
	sent := []byte(`"status":"sent"`)
	i := bytes.LastIndex(good, sent)
	badLate := append(append(bytes.Clone(good[:i]), `"status":"sant"`...), good[i+len(sent):]...)
	// The first record again before the last, windows apart.
	first := good[bytes.Index(good, []byte("\n    {")) : bytes.Index(good, []byte("},\n"))+2]
	lastLine := bytes.LastIndex(good, []byte("\n    {"))
	twice := append(append(bytes.Clone(good[:lastLine]), first...), good[lastLine:]...)
	for name, data := range map[string][]byte{
		"a bad record late in the file": badLate,
		"a delivery twice, far apart":   twice,
		"something after the state":     append(bytes.Clone(good), "{}"...),
		// More space than a window, so that the space alone reaches the
		// window's end and what follows comes in the next one.
		"something after a window of space": append(append(bytes.Clone(good), bytes.Repeat([]byte(" "), windowSize+refillAt)...), "garbage"...),
		"a cut file":                        good[:len(good)-windowSize/3],
	} {
		t.Run(name, func(t *testing.T) {
			_, want := Parse(data)
			var se *SyntaxError
			if !errors.As(want, &se) {
				t.Fatalf("Parse: %v, want a syntax error", want)
			}
			_, got := Read(streamFile(t, data), int64(len(data)))
			if got == nil || got.Error() != want.Error() {
				t.Errorf("streamed: %v\nfrom memory: %v", got, want)
			}
		})
	}
}

// BenchmarkReadStreamed is BenchmarkRead from a file through the window.
func BenchmarkReadStreamed(b *testing.B) {
	_, data := benchmarkState(b)
	path := filepath.Join(b.TempDir(), "herald.state")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Read(f, int64(len(data))); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	reportCPU(b, cpu)
}
