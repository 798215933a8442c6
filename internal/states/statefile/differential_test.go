package statefile

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// The streamed read (windows, the parallel decode of the deliveries) must
// agree with Parse, which reads the file whole, on every input: the same
// state, or the same error. These tests shrink the windows to a few
// kilobytes, so that their edges fall everywhere in small files, and
// compare the two on states herald wrote and then damaged.

// shrinkWindows makes the parallel decode's windows pw bytes and the
// streaming window 4pw, until t ends. Tests that call it must not run in
// parallel.
func shrinkWindows(t testing.TB, pw int) {
	saved := [...]int{windowSize, refillAt, parallelFrom, parallelWindow}
	t.Cleanup(func() {
		windowSize, refillAt, parallelFrom, parallelWindow = saved[0], saved[1], saved[2], saved[3]
	})
	parallelWindow, windowSize, refillAt = pw, 4*pw, pw
	parallelFrom = 2 * windowSize
}

// TestStreamedReadAgreesWithParse compares Read with Parse on 300 states
// herald wrote, most of them damaged; a failure names the seed of its
// input.
func TestStreamedReadAgreesWithParse(t *testing.T) {
	parallel := 0
	for seed := int64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewSource(seed))
		pw := []int{700, 1024, 1536, 3000}[rng.Intn(4)]
		data := encodeForTest(t, randomState(rng, 20+rng.Intn(120)))
		if seed%10 != 0 {
			for k := 1 + rng.Intn(3); k > 0; k-- {
				data = damage(rng, data, 4*pw)
			}
		}
		if len(data) >= 2*4*pw {
			parallel++
		}
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			shrinkWindows(t, pw)
			readAgrees(t, rng, data)
		})
	}
	// Most inputs are long enough for the parallel decode; if none were,
	// this test would not be testing it.
	if parallel < 200 {
		t.Errorf("only %d of 300 inputs were long enough for the parallel decode", parallel)
	}
}

// FuzzStreamedReadAgreesWithParse is TestStreamedReadAgreesWithParse for
// go test -fuzz, with the window's size among its inputs. Minimising an
// input of a few kilobytes by the default time took the whole run, hence
// -fuzzminimizetime:
//
//	go test -run '^$' -fuzz FuzzStreamedReadAgreesWithParse -fuzztime 3m -fuzzminimizetime 50x ./internal/states/statefile/
func FuzzStreamedReadAgreesWithParse(f *testing.F) {
	rng := rand.New(rand.NewSource(1))
	for i := range 6 {
		f.Add(encodeForTest(f, randomState(rng, 30+10*i)), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		shrinkWindows(t, 512+8*int(size))
		readAgrees(t, rand.New(rand.NewSource(int64(len(data)))), data)
	})
}

// readAgrees reads data with Read, and with the streaming decoder itself
// (which must not accept what Parse refuses, even where Read would then
// fall back to Parse), from a whole reader and from one of short reads,
// and compares each with Parse.
func readAgrees(t *testing.T, rng *rand.Rand, data []byte) {
	t.Helper()
	want, wantErr := Parse(data)
	var wantBytes []byte
	if wantErr == nil {
		wantBytes = encodeForTest(t, want)
	}
	readers := map[string]func() io.ReadSeeker{
		"whole reads": func() io.ReadSeeker { return bytes.NewReader(data) },
		"short reads": func() io.ReadSeeker { return &shortReader{bytes.NewReader(data), rng} },
	}
	for name, reader := range readers {
		d := newStreamDecoder(reader())
		if got, err := parse(d, int64(len(data))); err == nil && d.readErr == nil {
			if wantErr != nil {
				t.Fatalf("%s: the streaming decoder accepted what Parse refuses (%v):\n%q", name, wantErr, data)
			}
			if !bytes.Equal(encodeForTest(t, got), wantBytes) {
				t.Fatalf("%s: the streaming decoder read another state than Parse:\n%q", name, data)
			}
		}
		got, err := Read(reader(), int64(len(data)))
		switch {
		case wantErr == nil && err != nil:
			t.Fatalf("%s: Read refused what Parse accepts: %v\n%q", name, err, data)
		case wantErr != nil && err == nil:
			t.Fatalf("%s: Read accepted what Parse refuses (%v):\n%q", name, wantErr, data)
		case wantErr != nil && err.Error() != wantErr.Error():
			t.Fatalf("%s: Read said %q where Parse said %q:\n%q", name, err, wantErr, data)
		case wantErr == nil && !bytes.Equal(encodeForTest(t, got), wantBytes):
			t.Fatalf("%s: Read read another state than Parse:\n%q", name, data)
		}
	}
}

// shortReader returns fewer bytes than asked at random, and sometimes
// io.EOF with the last of them.
type shortReader struct {
	r   *bytes.Reader
	rng *rand.Rand
}

func (s *shortReader) Read(p []byte) (int, error) {
	if len(p) > 1 && s.rng.Intn(2) == 0 {
		p = p[:1+s.rng.Intn(len(p))]
	}
	n, err := s.r.Read(p)
	if err == nil && s.r.Len() == 0 && s.rng.Intn(2) == 0 {
		err = io.EOF
	}
	return n, err
}

func (s *shortReader) Seek(offset int64, whence int) (int64, error) {
	return s.r.Seek(offset, whence)
}

func encodeForTest(t testing.TB, s *states.State) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// awkward are texts that JSON must escape, or that look like the lines
// and separators the decoders cut at.
var awkward = []string{"", "E", `quote " here`, `back\slash`, "new\nline", "tab\there",
	"ü non-ascii", "\u2028sep", `\"\n`, strings.Repeat("x", 300), "}", "},\n    {", "\r\n"}

// randomState is a state of n deliveries over three messages, some failed
// with awkward texts, some with receipts, contents and an inbound entry.
func randomState(rng *rand.Rand, n int) *states.State {
	s := states.New("5f0c8e1a-7d2b-4c3e-9f4a-1b2c3d4e5f60")
	s.Serial = uint64(rng.Intn(100))
	pick := func() string { return awkward[rng.Intn(len(awkward))] }
	for i := range n {
		m := rng.Intn(3)
		d := record(m, i)
		switch rng.Intn(4) {
		case 0:
			d.Status, d.ErrorCode, d.ErrorText = states.Failed, pick(), pick()+pick()
		case 1:
			d.Receipt = &states.Receipt{Status: states.Delivered, At: t0.Add(time.Minute), ErrorText: pick()}
		}
		if rng.Intn(5) == 0 {
			d.Key.Ref2 = pick()
		}
		s.Set(d)
		if rng.Intn(10) == 0 {
			c := delivery.Content{Type: delivery.Text, Body: fmt.Sprintf("body %d", m)}
			s.KeepContent(c.Digest(), c)
		}
	}
	if rng.Intn(2) == 0 {
		s.Inbound = map[states.InboundKey]time.Time{{Sender: "+12025550100", Recipient: "+12020000001"}: t0}
	}
	return s
}

// tokens are what damage inserts: JSON's punctuation, line ends, a byte
// order mark, and the starts and ends of records and lists.
var tokens = []string{"\n", "\r", ",", " ", `"`, `\`, "{", "}", "[", "]", "\t", "\r\n",
	"\n    ", "\n  ]", "\xef\xbb\xbf", "0", `\n`, `\"`, "\n    {}"}

// edits change a file so that it stays JSON, or nearly: other spacing
// and line ends, escapes where herald writes none, repeated fields,
// values herald never writes.
var edits = [][2]string{
	{`,"address"`, `, "address"`},
	{`"whatsapp"`, `"wh\u0061tsapp"`},
	{`"rollout"`, `"roll\/out"`},
	{`"receipt":{`, "\"receipt\":\n    {"},
	{`},"address"`, "},\n    \"address\""},
	{`"attempts":1`, `"attempts":1 `},
	{`"attempts":1`, `"attempts":01`},
	{`"attempts":1`, `"attempts":1.0`},
	{`{"key":`, `{ "key":`},
	{"},\n    {", "}\n    ,{"},
	{"},\n    {", "},\n\n    {"},
	{"},\n    {", "},    \n    {"},
	{"},\n    {", "},\n    {}"},
	{"},\n    {", "},{"},
	{`"ref1":"rollout"`, `"ref1":"rollout","ref2":"x"`},
	{`"ref1":"rollout"`, `"ref1":"rollout","ref1":"x"`},
	{`"+12025550100"`, `"+12025550101"`},
	{`"+1202`, `"+0202`},
	{`"sent"`, `"sant"`},
	{`Z"`, `+00:00"`},
}

// damage makes one change to data, a state file: a byte or a line added,
// dropped or moved, a cut, line ends, runs of space up to a few windows
// long, or one of edits. window is the streaming window's size.
func damage(rng *rand.Rand, data []byte, window int) []byte {
	data = bytes.Clone(data)
	at := rng.Intn(len(data) + 1)
	insert := func(b []byte) []byte { return append(data[:at:at], append(b, data[at:]...)...) }
	lines := bytes.SplitAfter(data, []byte("\n"))
	line := rng.Intn(len(lines))
	switch rng.Intn(14) {
	case 0:
		if at < len(data) {
			return append(data[:at], data[at+1:]...)
		}
	case 1:
		return insert([]byte(tokens[rng.Intn(len(tokens))]))
	case 2:
		if at < len(data) {
			data[at] = tokens[rng.Intn(len(tokens))][0]
		}
	case 3:
		return data[:at]
	case 4: // a line again elsewhere: a delivery twice, or a stray bracket
		copyAt := rng.Intn(len(lines))
		lines = append(lines[:copyAt], append([][]byte{bytes.Clone(lines[line])}, lines[copyAt:]...)...)
		return bytes.Join(lines, nil)
	case 5:
		return bytes.Join(append(lines[:line], lines[line+1:]...), nil)
	case 6:
		other := rng.Intn(len(lines))
		lines[line], lines[other] = lines[other], lines[line]
		return bytes.Join(lines, nil)
	case 7:
		return bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	case 8: // space, up to six windows of it
		return insert(bytes.Repeat([]byte{" \n\t\r"[rng.Intn(4)]}, rng.Intn(6*window)))
	case 9: // more than a window of space, and then something
		return append(append(data, bytes.Repeat([]byte("\n"), window+rng.Intn(2*window))...), 'x')
	case 10: // a line cut in two, the second looking like a record
		if l := lines[line]; len(l) > 10 {
			k := rng.Intn(len(l))
			lines[line] = append(append(bytes.Clone(l[:k]), "\n    "...), l[k:]...)
			return bytes.Join(lines, nil)
		}
	case 11: // two lines joined
		if k := bytes.IndexByte(data[at:], '\n'); k >= 0 {
			return append(data[:at+k], data[at+k+1:]...)
		}
	case 12: // a line longer than a window
		if k := bytes.LastIndexByte(lines[line], '}'); k >= 0 {
			l := lines[line]
			lines[line] = append(append(bytes.Clone(l[:k]), bytes.Repeat([]byte(" "), rng.Intn(window/2))...), l[k:]...)
			return bytes.Join(lines, nil)
		}
	default:
		e := edits[rng.Intn(len(edits))]
		if n := bytes.Count(data, []byte(e[0])); n > 0 {
			return bytes.Replace(data, []byte(e[0]), []byte(e[1]), 1+rng.Intn(n))
		}
	}
	return data
}
