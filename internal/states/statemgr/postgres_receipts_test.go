package statemgr_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

var receiptT0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func receiptKey(recipient string) delivery.Key {
	return delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: recipient, Ref: "release-v1"}
}

// sentState writes a state holding one delivery sent as message "m1".
func sentState(t *testing.T, b statemgr.Backend) {
	t.Helper()
	st, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	st.Set(&states.Delivery{Key: receiptKey("+12025550101"), Address: "message.a", Digest: delivery.Digest("d"),
		Status: states.Sent, MessageID: "m1", Attempts: 1, FirstSent: receiptT0, UpdatedAt: receiptT0})
	if err := b.Write(st); err != nil {
		t.Fatal(err)
	}
}

func readEvent(id string, s states.ReceiptStatus, minute int) receipts.Event {
	at := receiptT0.Add(time.Duration(minute) * time.Minute)
	return receipts.Event{Kind: receipts.StatusKind, MessageID: id, Status: s, At: at, Received: time.Now().UTC()}
}

func countEvents(t *testing.T, dsn, schema string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{schema, "events"}.Sanitize()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPostgresReceipts(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	schema := newSchema()
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}
	applier := newPostgres(t, cfg)
	sentState(t, applier)

	// The applier holds the lock, as a running apply does; a listener
	// records all the same, at once.
	if _, err := applier.Lock(context.Background(), "apply", 0); err != nil {
		t.Fatal(err)
	}
	listener := newPostgres(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	events := []receipts.Event{
		readEvent("m1", states.Delivered, 1),
		readEvent("m1", states.Read, 2),
		readEvent("m1", states.Read, 2), // Kaleyra's retry of a callback
		readEvent("later", states.Delivered, 1),
		{Kind: receipts.InboundKind, Sender: "+12025550100", Recipient: "+12025550101", At: receiptT0, Received: receiptT0},
	}
	if err := listener.RecordReceipts(ctx, events); err != nil {
		t.Fatalf("recording while an apply holds the lock: %v", err)
	}
	if n := countEvents(t, dsn, schema); n != 4 {
		t.Errorf("the events table holds %d rows, want 4: a duplicate callback inserts nothing", n)
	}

	st, err := applier.Read()
	if err != nil {
		t.Fatal(err)
	}
	d := st.Get(receiptKey("+12025550101"))
	if d.Receipt == nil || d.Receipt.Status != states.Read {
		t.Fatalf("receipt %+v, want read", d.Receipt)
	}
	if got := st.Inbound[states.InboundKey{Sender: "+12025550100", Recipient: "+12025550101"}]; !got.Equal(receiptT0) {
		t.Errorf("last inbound %v, want %v", got, receiptT0)
	}

	// A receipt recorded between the lock holder's Read and Write
	// survives the Write's compaction; the one for "later" stays pending
	// and matches once its delivery is recorded.
	if err := listener.RecordReceipts(ctx, []receipts.Event{readEvent("m1", states.ReceiptFailed, 3)}); err != nil {
		t.Fatal(err)
	}
	st.Set(&states.Delivery{Key: receiptKey("+12025550102"), Address: "message.a", Digest: delivery.Digest("d"),
		Status: states.Sent, MessageID: "later", Attempts: 1, FirstSent: receiptT0, UpdatedAt: receiptT0})
	if err := applier.Write(st); err != nil {
		t.Fatal(err)
	}
	// Compacted: one event per receipt, one per conversation, the one
	// that matched nothing at the Read, and the one recorded after it.
	if n := countEvents(t, dsn, schema); n != 4 {
		t.Errorf("after Write the events table holds %d rows, want 4 (m1's receipt, the conversation, the pending one, the failure recorded since)", n)
	}
	fresh := newPostgres(t, cfg)
	st, err = fresh.Read()
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Get(receiptKey("+12025550101")).Receipt; r == nil || r.Status != states.Read {
		t.Errorf("m1's receipt after the compaction is %+v, want read (a failure loses to read)", r)
	}
	if r := st.Get(receiptKey("+12025550102")).Receipt; r == nil || r.Status != states.Delivered {
		t.Errorf("the pending receipt did not match its delivery once recorded: %+v", r)
	}
	if len(st.Inbound) != 1 {
		t.Errorf("conversations %v, want one", st.Inbound)
	}
}

func TestPostgresReceiptsSettleUnknown(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: newSchema()}
	b := newPostgres(t, cfg)
	st, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	st.Set(&states.Delivery{Key: receiptKey("+12025550103"), Address: "message.a", Digest: delivery.Digest("d"),
		Status: states.Unknown, ErrorCode: "STOPPED_IN_FLIGHT", Attempts: 1, FirstSent: receiptT0, UpdatedAt: receiptT0})
	if err := b.Write(st); err != nil {
		t.Fatal(err)
	}
	e := readEvent("m9", states.Delivered, 1)
	e.Recipient, e.Ref = "+12025550103", "release-v1"
	if err := b.RecordReceipts(context.Background(), []receipts.Event{e}); err != nil {
		t.Fatal(err)
	}
	st, err = b.Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(st); err != nil {
		t.Fatal(err)
	}
	st, err = newPostgres(t, cfg).Read()
	if err != nil {
		t.Fatal(err)
	}
	d := st.Get(receiptKey("+12025550103"))
	if d.Status != states.Sent || d.MessageID != "m9" || d.Receipt == nil || d.Receipt.Status != states.Delivered {
		t.Errorf("the unknown delivery is %s, message %q, receipt %+v; want sent as m9, delivered", d.Status, d.MessageID, d.Receipt)
	}
}

func TestPostgresSchemaUpgradesToEvents(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	schema := newSchema()
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}
	sentState(t, newPostgres(t, cfg))
	// Take the tables back to version 3, before the events table.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range []string{
		"DROP TABLE " + pgx.Identifier{schema, "events"}.Sanitize(),
		"UPDATE " + pgx.Identifier{schema, "schema_version"}.Sanitize() + " SET version = 3",
	} {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	b := newPostgres(t, cfg)
	if err := b.RecordReceipts(context.Background(), []receipts.Event{readEvent("m1", states.Read, 1)}); err != nil {
		t.Fatalf("recording on tables of version 3: %v", err)
	}
	st, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Get(receiptKey("+12025550101")).Receipt; r == nil || r.Status != states.Read {
		t.Errorf("receipt %+v after the upgrade, want read", r)
	}
	var v int
	if err := conn.QueryRow(context.Background(), "SELECT version FROM "+pgx.Identifier{schema, "schema_version"}.Sanitize()).Scan(&v); err != nil || v != statemgr.PostgresSchemaVersion {
		t.Errorf("schema version %d (%v), want %d", v, err, statemgr.PostgresSchemaVersion)
	}
}

func TestPostgresEventRowNotE164(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	schema := newSchema()
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}
	b := newPostgres(t, cfg)
	e := receipts.Event{Kind: receipts.InboundKind, Sender: "+12025550100", Recipient: "0044 7700 900123", At: receiptT0, Received: receiptT0}
	if err := b.RecordReceipts(context.Background(), []receipts.Event{e}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Read()
	if err == nil || !strings.Contains(err.Error(), `the recipient "0044 7700 900123", which is not an E.164 number`) {
		t.Errorf("reading an event row with a number herald never writes: %v", err)
	}
}
