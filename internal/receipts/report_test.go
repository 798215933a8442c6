package receipts

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald/internal/states"
)

func TestReadReport(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	report := "\ufeffwhatsapp_id,Mobile,SENT_AT,DELIVERED_AT,SEEN_AT,FAILED_AT,REASON_FOR_FAILURE\n" +
		"m1,+12025550101,2026-12-01 09:00:00,2026-12-01 09:00:05,2026-12-01T09:10:00Z,,\n" +
		"m2,+12025550102,1764579600,,,2026-12-01 09:01:00,131026 - Message undeliverable\n" +
		",,,,,,\n" +
		"m3,+12025550103,,,,,WAV2101: daily limit reached\n"
	got, errs := ReadReport(strings.NewReader(report), now)
	if errs != nil {
		t.Fatalf("errors: %v", errs)
	}
	ev := func(id string, s states.ReceiptStatus, when time.Time) Event {
		return Event{Kind: StatusKind, MessageID: id, Status: s, At: when, Received: now}
	}
	failed := ev("m2", states.ReceiptFailed, at("2026-12-01T09:01:00Z"))
	failed.ErrorCode, failed.ErrorText = "131026", "Message undeliverable"
	limit := ev("m3", states.ReceiptFailed, now)
	limit.ErrorCode, limit.ErrorText = "WAV2101", "daily limit reached"
	want := []Event{
		ev("m1", states.Accepted, at("2026-12-01T09:00:00Z")),
		ev("m1", states.Delivered, at("2026-12-01T09:00:05Z")),
		ev("m1", states.Read, at("2026-12-01T09:10:00Z")),
		ev("m2", states.Accepted, time.Unix(1764579600, 0).UTC()),
		failed,
		limit,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestReadReportErrors(t *testing.T) {
	tests := []struct {
		name, report string
		want         []string
	}{
		{"empty", "", []string{"the report is empty"}},
		{"no id column", "MOBILE,SENT_AT\n+1,2026-01-01 00:00:00\n", []string{"row 1: the header has no WHATSAPP_ID column"}},
		{"empty id", "WHATSAPP_ID,SENT_AT\n,2026-01-01 00:00:00\n", []string{"row 2: WHATSAPP_ID is empty"}},
		{"bad time", "WHATSAPP_ID,SENT_AT\nm1,yesterday\nm2,2026-01-01 00:00:00\nm3,01/02/2026\n", []string{
			`row 2: SENT_AT "yesterday" is not a time herald can read`,
			`row 4: SENT_AT "01/02/2026" is not a time herald can read`,
		}},
		{"nothing to say", "WHATSAPP_ID,SENT_AT\nm1,\n", []string{"row 2: the row gives no status time"}},
		{"bad quoting", "WHATSAPP_ID,SENT_AT\n\"m1,2026\n", []string{"row 2: extraneous or missing \" in quoted-field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, errs := ReadReport(strings.NewReader(tt.report), time.Now())
			if events != nil {
				t.Errorf("got %d events from a bad report, want none", len(events))
			}
			var got []string
			for _, err := range errs {
				got = append(got, err.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got errors %q, want %d", got, len(tt.want))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("error %d: got %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadReportCapsErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("WHATSAPP_ID,SENT_AT\n")
	for i := 0; i < 1000; i++ {
		b.WriteString(",x\n")
	}
	_, errs := ReadReport(strings.NewReader(b.String()), time.Now())
	if len(errs) != maxReportErrors+1 || !strings.Contains(errs[len(errs)-1].Error(), "and 980 more bad rows") {
		t.Errorf("got %d errors ending %v, want %d and a count of the rest", len(errs), errs[len(errs)-1], maxReportErrors+1)
	}
}
