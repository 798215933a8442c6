package statefile

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statestest"
)

// deliveriesList is the deliveries list of s as Write writes it, from its
// "[" to its "]", and the records' lines.
func deliveriesList(t *testing.T, s *states.State) (list []byte, lines [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	from := bytes.Index(doc, []byte(`"deliveries": [`)) + len(`"deliveries": `)
	to := bytes.Index(doc[from:], []byte("\n  ]")) + from + len("\n  ]")
	list = doc[from:to]
	return list, bytes.Split(list[len("[\n"):len(list)-len("\n  ]")], []byte("\n"))
}

// decodeListInParallel runs deliveriesInParallel over list, streamed from
// a file, and checks that the decoder stops just after the list.
func decodeListInParallel(t *testing.T, list []byte) (*states.DeliverySet, error) {
	t.Helper()
	const after = `, "rest": 1}`
	d := newStreamDecoder(streamFile(t, append(bytes.Clone(list), after...)))
	set := states.NewDeliverySet(0)
	if err := d.deliveriesInParallel(set); err != nil {
		return nil, err
	}
	if d.readErr != nil {
		t.Fatal(d.readErr)
	}
	if got := string(d.data[d.pos:]); got != after {
		t.Fatalf("after the list the decoder is at %q, want %q", got, after)
	}
	return set, nil
}

// decodeList is the one-goroutine decode of list, for comparison.
func decodeList(list []byte) (*states.DeliverySet, error) {
	d := newDecoder(list)
	set := states.NewDeliverySet(0)
	var recs []states.Delivery
	err := d.array("a list of deliveries", func() error {
		recs = append(recs, states.Delivery{})
		if err := d.delivery(&recs[len(recs)-1], storedStatus); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range recs {
		if !set.PutNew(&recs[i]) {
			return nil, fmt.Errorf("%s twice", recs[i].Key)
		}
	}
	return set, nil
}

// The parallel decode gives what the one-goroutine decode gives for the
// lists herald writes, and refuses, for Read to decode from memory, every
// list it does not read so, whether that list is good or bad JSON. A
// refusal it should not make costs only time; an acceptance it should not
// make, or a record that differs, is the bug this looks for.
func TestDeliveriesInParallel(t *testing.T) {
	s := campaign(3, 6_000) // several windows
	withReceipts(s)
	list, lines := deliveriesList(t, s)
	if len(list) < 2*windowSize {
		t.Fatalf("the list is %d bytes, not several windows of %d", len(list), windowSize)
	}
	join := func(ls ...[]byte) []byte {
		return append(append([]byte("[\n"), bytes.Join(ls, []byte("\n"))...), "\n  ]"...)
	}
	// with returns the lines with line i replaced by repl (nil drops it).
	with := func(i int, repl ...[]byte) [][]byte {
		out := append([][]byte{}, lines[:i]...)
		out = append(out, repl...)
		return append(out, lines[i+1:]...)
	}
	last := len(lines) - 1
	middle := len(lines) / 2
	split := bytes.Index(lines[middle], []byte(`,"address"`))

	tests := []struct {
		name   string
		list   []byte
		accept bool // whether the parallel decode must accept it
	}{
		{"as written", list, true},
		{"one record", join(bytes.TrimSuffix(lines[0], []byte(","))), true},
		{"empty, over lines", []byte("[\n  ]"), true},
		{"a record written twice, windows apart", join(with(last, lines[last-1], lines[1][:len(lines[1])-1])...), false},
		{"a record over two lines", join(with(middle, lines[middle][:split], append([]byte("    "), lines[middle][split+1:]...))...), false},
		{"a comma missing", join(with(middle, bytes.TrimSuffix(lines[middle], []byte(",")))...), false},
		{"a comma after the last", join(with(last, append(bytes.Clone(lines[last]), ','))...), false},
		{"two records on a line", join(with(middle, append(bytes.Clone(lines[middle]), lines[middle+1][4:]...), lines[middle+2])...), false},
		{"an empty line", join(with(middle, lines[middle], nil)...), false},
		{"spaces after a comma", join(with(middle, append(bytes.Clone(lines[middle]), "  "...))...), false},
		{"a bad status late", join(with(last-1, bytes.Replace(lines[last-1], []byte(`"status":"sent"`), []byte(`"status":"sant"`), 1))...), false},
		{"cut inside the list", list[:len(list)-windowSize/2], false},
		{"closed by a brace", append(bytes.Clone(list[:len(list)-1]), '}'), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeListInParallel(t, tt.list)
			if err != nil {
				if tt.accept {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			want, wantErr := decodeList(tt.list)
			switch {
			case !tt.accept:
				t.Fatalf("accepted, want it refused (one goroutine: %v)", wantErr)
			case wantErr != nil:
				t.Fatalf("accepted what one goroutine refuses: %v", wantErr)
			default:
				sameState(t, &states.State{Lineage: "l", Deliveries: want}, &states.State{Lineage: "l", Deliveries: got})
			}
		})
	}
}

// Read takes the parallel path for a large state written by herald, and
// gives what Parse gives.
func TestReadLargeStateInParallel(t *testing.T) {
	s := campaign(4, 6_000)
	withReceipts(s)
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < parallelFrom {
		t.Fatalf("the state is %d bytes, under the %d the parallel decode starts at", buf.Len(), parallelFrom)
	}
	f := streamFile(t, buf.Bytes())
	// parse itself, which does not fall back to memory as Read does.
	got, err := parse(newStreamDecoder(f), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, s, got)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got, err = Read(f, int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
	sameState(t, s, got)
}

// sameState compares two states by what Write makes of them, which is
// exact and, for states of thousands of records, much faster than cmp.
func sameState(t *testing.T, want, got *states.State) {
	t.Helper()
	if !bytes.Equal(encodeForTest(t, want), encodeForTest(t, got)) {
		t.Errorf("states differ (-want +got):\n%s", cmp.Diff(want, got, statestest.Records))
	}
}
