package receipts

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/states"
)

// Kaleyra's WhatsApp report names the message by its WHATSAPP_ID (the
// message_id Kaleyra answered the send with) and gives a time for each
// status it reached. Its other columns are not needed and are ignored.
const (
	columnID      = "WHATSAPP_ID"
	columnReason  = "REASON_FOR_FAILURE"
	columnSent    = "SENT_AT"
	columnDeliver = "DELIVERED_AT"
	columnSeen    = "SEEN_AT"
	columnFailed  = "FAILED_AT"
)

// ReportError is a report that cannot be read, or one of its rows. Row is
// the line of the file, from 1 for the header; 0 when the whole file is
// at fault.
type ReportError struct {
	Row int
	Msg string
}

func (e *ReportError) Error() string {
	if e.Row == 0 {
		return e.Msg
	}
	return fmt.Sprintf("row %d: %s", e.Row, e.Msg)
}

// maxReportErrors bounds the rows a report's errors name: past it, one more
// error says how many more rows are bad.
const maxReportErrors = 20

// ReadReport reads Kaleyra's WhatsApp tabular report (CSV) as status
// events, one for each status time a row gives, received at now. Column
// names are matched in any case, and a leading byte-order mark, as
// spreadsheets write, is skipped. It returns every bad row's error, at
// most maxReportErrors of them, and no events when there is any.
func ReadReport(r io.Reader, now time.Time) ([]Event, []error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []error{err}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, []error{&ReportError{Msg: "the report is empty; expected a header row naming " + columnID + " and the status times"}}
	}
	if err != nil {
		return nil, []error{csvError(err)}
	}
	cols := map[string]int{}
	for i, name := range header {
		cols[strings.ToUpper(strings.TrimSpace(name))] = i
	}
	if _, ok := cols[columnID]; !ok {
		return nil, []error{&ReportError{Row: 1, Msg: fmt.Sprintf("the header has no %s column; is this Kaleyra's WhatsApp report? Its columns are %s", columnID, strings.Join(header, ", "))}}
	}
	var (
		events []Event
		errs   []error
		bad    int
	)
	fail := func(row int, format string, args ...any) {
		bad++
		if len(errs) < maxReportErrors {
			errs = append(errs, &ReportError{Row: row, Msg: fmt.Sprintf(format, args...)})
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, append(errs, csvError(err))
		}
		row, _ := cr.FieldPos(0)
		field := func(name string) string {
			if i, ok := cols[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if blank(rec) {
			continue
		}
		id := field(columnID)
		if id == "" {
			fail(row, "%s is empty; each row must name the message it reports", columnID)
			continue
		}
		reason := field(columnReason)
		n := len(events)
		for _, c := range []struct {
			column string
			status states.ReceiptStatus
		}{
			{columnSent, states.Accepted},
			{columnDeliver, states.Delivered},
			{columnSeen, states.Read},
			{columnFailed, states.ReceiptFailed},
		} {
			v := field(c.column)
			if v == "" {
				continue
			}
			at, err := parseReportTime(v)
			if err != nil {
				fail(row, "%s %q is not a time herald can read: %v", c.column, v, err)
				continue
			}
			e := Event{Kind: StatusKind, MessageID: id, Status: c.status, At: at, Received: now}
			if c.status == states.ReceiptFailed {
				e.ErrorCode, e.ErrorText = splitReason(reason)
			}
			events = append(events, e)
		}
		if len(events) == n && reason != "" {
			// A failure without its time: the report still says it failed.
			code, text := splitReason(reason)
			events = append(events, Event{Kind: StatusKind, MessageID: id, Status: states.ReceiptFailed, ErrorCode: code, ErrorText: text, At: now, Received: now})
		}
		if len(events) == n && !errorsAt(errs, row) {
			fail(row, "the row gives no status time (%s, %s, %s or %s) and no %s", columnSent, columnDeliver, columnSeen, columnFailed, columnReason)
		}
	}
	if bad > len(errs) {
		errs = append(errs, &ReportError{Msg: fmt.Sprintf("and %d more bad rows", bad-len(errs))})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return events, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func errorsAt(errs []error, row int) bool {
	for _, err := range errs {
		if re, ok := err.(*ReportError); ok && re.Row == row {
			return true
		}
	}
	return false
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ReportError{Row: pe.Line, Msg: pe.Err.Error()}
	}
	return err
}

// reportTimeLayouts are the forms a report's times come in: RFC 3339, and
// the spreadsheet form without a zone, read as UTC.
var reportTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
}

func parseReportTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range reportTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("expected a date and time such as 2026-01-02 15:04:05 (UTC), RFC 3339 or Unix seconds")
}

// leadingCode finds the error code a failure reason starts with, as in
// "131026 - Message undeliverable" or "WAV2101: daily limit reached".
var leadingCode = regexp.MustCompile(`^([A-Z]{0,4}[0-9]{3,6})\b[\s:\-–]*`)

// splitReason is a failure reason's code, when it starts with one, and its
// text.
func splitReason(reason string) (code, text string) {
	if m := leadingCode.FindStringSubmatchIndex(reason); m != nil {
		code = reason[m[2]:m[3]]
		text = strings.TrimSpace(reason[m[1]:])
		return code, text
	}
	return "", reason
}
