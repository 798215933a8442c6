package statefile

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
)

func receiptLines(t *testing.T, events ...receipts.Event) []byte {
	t.Helper()
	var out []byte
	for i := range events {
		var err error
		if out, err = AppendReceipt(out, &events[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestParseReceipts(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := receipts.Event{Kind: receipts.StatusKind, MessageID: "m-1", Status: states.Read, Recipient: "+12025550123", Ref: `wave "1"`, At: at, Received: at}
	b := receipts.Event{Kind: receipts.InboundKind, Sender: "+12025550100", Recipient: "+12025550123", At: at, Received: at}
	whole := receiptLines(t, a, b)
	first := bytes.IndexByte(whole, '\n') + 1
	flip := func(data []byte, i int) []byte {
		out := bytes.Clone(data)
		out[i] ^= 0x01
		return out
	}
	tests := []struct {
		name     string
		data     []byte
		want     []receipts.Event
		tornLine int
		err      string
	}{
		{name: "Empty", data: nil},
		{name: "Whole", data: whole, want: []receipts.Event{a, b}},
		{name: "TornNoNewline", data: whole[:len(whole)-1], want: []receipts.Event{a}, tornLine: 2},
		{name: "TornHalf", data: whole[:first+10], want: []receipts.Event{a}, tornLine: 2},
		{name: "TornZeros", data: append(bytes.Clone(whole), make([]byte, 100)...), want: []receipts.Event{a, b}, tornLine: 3},
		{name: "TornLastChecksum", data: flip(whole, len(whole)-10), want: []receipts.Event{a}, tornLine: 2},
		{name: "DamagedMiddle", data: flip(whole, first-10), err: "line 1, column 1: the line's checksum does not match its event, and whole lines follow it"},
		{name: "OtherVersion", data: append([]byte(`{"receipt":2,"x":1}`+"\n"), whole...), err: "line 1, column 1: the line is not of receipts journal format version 1"},
		{name: "NotAJournal", data: append([]byte("hello\n"), whole...), err: "line 1, column 1: the line is not a receipts journal line"},
		{name: "EmptyLine", data: append(append(bytes.Clone(whole[:first]), '\n'), whole[first:]...), err: "line 2, column 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseReceipts(tt.data)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v; want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, r.Events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if r.TornLine != tt.tornLine {
				t.Errorf("torn line %d; want %d", r.TornLine, tt.tornLine)
			}
			if tt.tornLine == 0 && r.Complete != len(tt.data) {
				t.Errorf("complete %d of %d bytes with no torn line", r.Complete, len(tt.data))
			}
		})
	}
}
