package statemgr_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

// newSchema returns a schema name of this test's own.
func newSchema() string {
	var b [6]byte
	rand.Read(b[:])
	return "t_" + hex.EncodeToString(b[:])
}

func newPostgres(t *testing.T, cfg statemgr.PostgresConfig) *statemgr.Postgres {
	t.Helper()
	p := statemgr.NewPostgres(cfg, hclog.NewNullLogger())
	t.Cleanup(func() { p.Close() })
	return p
}

// madeTables has herald make its tables in a new schema, and returns the
// schema and a connection of the test's own to look at them or change
// them behind herald's back.
func madeTables(t *testing.T, dsn string) (string, *pgx.Conn) {
	t.Helper()
	schema := newSchema()
	if _, err := newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}).Read(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return schema, conn
}

func TestPostgresConformance(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	var mu sync.Mutex
	schemas := map[*testing.T]string{}
	statemgrtest.Run(t, func(t *testing.T) statemgr.Backend {
		mu.Lock()
		schema, ok := schemas[t]
		if !ok {
			schema = newSchema()
			schemas[t] = schema
		}
		mu.Unlock()
		return newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema})
	})
}

// Tables an older herald made, whose deliveries are keyed in the old
// order of the key's fields, pass the same suite.
func TestPostgresConformanceOldKeyOrder(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	var mu sync.Mutex
	schemas := map[*testing.T]string{}
	statemgrtest.Run(t, func(t *testing.T) statemgr.Backend {
		mu.Lock()
		defer mu.Unlock()
		schema, ok := schemas[t]
		if !ok {
			var conn *pgx.Conn
			schema, conn = madeTables(t, dsn)
			schemas[t] = schema
			table := pgx.Identifier{schema, "deliveries"}.Sanitize()
			if _, err := conn.Exec(context.Background(), "ALTER TABLE "+table+" DROP CONSTRAINT deliveries_pkey, ADD PRIMARY KEY (state_name, channel, sender, recipient, ref, ref1, ref2)"); err != nil {
				t.Fatal(err)
			}
		}
		return newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema})
	})
}

// The key's columns compare bytes whatever the database's collation, so
// that finding a row costs no locale's comparisons.
func TestPostgresKeyColumnsCompareBytes(t *testing.T) {
	schema, conn := madeTables(t, statemgrtest.PostgresURL(t))
	rows, err := conn.Query(context.Background(), `SELECT column_name, coalesce(collation_name, 'the database default')
		FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'deliveries'
		AND column_name IN ('state_name', 'channel', 'sender', 'recipient', 'ref', 'ref1', 'ref2')`, schema)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var column, collation string
		if err := rows.Scan(&column, &collation); err != nil {
			t.Fatal(err)
		}
		n++
		if collation != "C" {
			t.Errorf("key column %s has collation %s, want C", column, collation)
		}
	}
	if err := rows.Err(); err != nil || n != 7 {
		t.Errorf("found %d key columns (%v), want 7", n, err)
	}
}

func TestPostgresStatesApart(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	schema := newSchema()
	a := newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema, StateName: "a"})
	b := newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema, StateName: "b"})
	sa, err := a.Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Write(sa); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lock(context.Background(), "apply", 0); err != nil {
		t.Fatal(err)
	}
	// Another state name has its own lineage and its own lock.
	sb, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	if sb.Lineage == sa.Lineage || sb.Serial != 0 {
		t.Errorf("state b reads lineage %s serial %d; want a new, empty state apart from a (%s)", sb.Lineage, sb.Serial, sa.Lineage)
	}
	if _, err := b.Lock(context.Background(), "apply", 0); err != nil {
		t.Errorf("locking state b while a is locked: %v", err)
	}
}

func TestPostgresNewerSchemaRefused(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	schema, conn := madeTables(t, dsn)
	if _, err := conn.Exec(context.Background(), "UPDATE "+schema+".schema_version SET version = version + 1"); err != nil {
		t.Fatal(err)
	}
	_, err := newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}).Read()
	if err == nil || !strings.Contains(err.Error(), "newer than this herald understands") || !strings.Contains(err.Error(), "upgrade herald") {
		t.Errorf("reading a newer schema: got %v, want a refusal that says to upgrade herald", err)
	}
}

func TestPostgresConnectErrorsHideThePassword(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cret-not-this-one"
	wrong := *u
	wrong.User = url.UserPassword(u.User.Username(), secret)
	unreachable := wrong
	unreachable.Host = "127.0.0.1:1"
	for _, tt := range []struct {
		name, dsn, want string
	}{
		{"wrong password", wrong.String(), "password"},
		{"unreachable", unreachable.String(), "127.0.0.1:1"},
		{"key=value form", "host=127.0.0.1 port=1 dbname=ledger password=" + secret + " connect_timeout=5", `"ledger"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newPostgres(t, statemgr.PostgresConfig{ConnStr: tt.dsn}).Read()
			if err == nil {
				t.Skip("the server accepted the connection (it trusts every password)")
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, secret) {
				t.Errorf("error shows the password: %s", msg)
			}
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "database") {
				t.Errorf("error %q does not name %s and the database", msg, tt.want)
			}
		})
	}
}

// Two runs that both hold journals over one state (after a mistaken
// force-unlock, say) never both record one delivery in flight: the second
// claim fails whole, and writes nothing.
func TestPostgresClaims(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	schema := newSchema()
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}
	a, b := newPostgres(t, cfg), newPostgres(t, cfg)
	sa, err := a.Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Write(sa); err != nil {
		t.Fatal(err)
	}
	sa, _ = a.Read()
	sb, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	ja, err := a.OpenJournal(sa)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := b.OpenJournal(sb)
	if err != nil {
		t.Fatal(err)
	}
	one, two := record(1, statemgr.InFlight), record(2, statemgr.InFlight)
	if err := ja.Record(one); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	err = jb.Record(two, one)
	var ce *statemgr.ClaimError
	if !errors.As(err, &ce) || len(ce.Keys) != 1 || ce.Keys[0] != one.Key {
		t.Fatalf("second run's claim of a claimed key: got %v, want a ClaimError naming %s", err, one.Key)
	}
	if !strings.Contains(err.Error(), "does not send") {
		t.Errorf("claim error %q does not say the delivery is not sent", err)
	}
	// Delivery 2 was not claimed either: the call is all or nothing.
	if err := ja.Record(two); err != nil {
		t.Errorf("claiming a key whose failed claim was rolled back: %v", err)
	}
	// An outcome, then a claim by the other run, which read before it.
	sent := record(1, states.Sent)
	if err := ja.Record(sent); err != nil {
		t.Fatal(err)
	}
	if err := jb.Record(one); !errors.As(err, &ce) {
		t.Errorf("claiming a key another run has sent since: got %v, want a ClaimError", err)
	}
}

func record(n int, status states.Status) states.Delivery {
	return states.Delivery{
		Key:       delivery.Key{Channel: "whatsapp", Sender: "+12025550100", Recipient: fmt.Sprintf("+1202555%04d", n), Ref: "r"},
		Address:   "message.m",
		Status:    status,
		FirstSent: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	}
}

// A row edited by hand into a form herald never writes is refused on
// read, naming the row, as the state file refuses such a record: a
// number in another form would match no delivery and be sent to again.
func TestPostgresHandEditedRowsRefused(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	for _, tt := range []struct {
		name, set, want string
	}{
		{"recipient with spaces", "recipient = '+1 202 555 0001'", `has the recipient "+1 202 555 0001", which is not an E.164 number`},
		{"recipient without +", "recipient = '12025550001'", `has the recipient "12025550001", which is not an E.164 number`},
		{"sender with a letter", "sender = '+1202555O100'", `has the sender "+1202555O100", which is not an E.164 number`},
		{"unknown status", "status = 'delivered'", `has the status "delivered", which herald never writes`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			schema := newSchema()
			cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}
			p := newPostgres(t, cfg)
			s, err := p.Read()
			if err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= 3; n++ {
				r := record(n, states.Sent)
				s.Set(&r)
			}
			if err := p.Write(s); err != nil {
				t.Fatal(err)
			}
			conn, err := pgx.Connect(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), "UPDATE "+schema+".deliveries SET "+tt.set+" WHERE recipient = '+12025550001'"); err != nil {
				t.Fatal(err)
			}
			_, err = newPostgres(t, cfg).Read()
			if err == nil {
				t.Fatal("reading a hand-edited row succeeded")
			}
			msg := err.Error()
			for _, want := range []string{tt.want, schema + ".deliveries", `ref "r"`, `channel "whatsapp"`} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
		})
	}
}

// Records from many goroutines share commits; a claim lost among them
// fails its own call only, and the others' records are written.
func TestPostgresLostClaimAmongConcurrentRecords(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: newSchema()}
	a, b := newPostgres(t, cfg), newPostgres(t, cfg)
	sa, err := a.Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Write(sa); err != nil {
		t.Fatal(err)
	}
	sa, _ = a.Read()
	sb, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	ja, err := a.OpenJournal(sa)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := b.OpenJournal(sb)
	if err != nil {
		t.Fatal(err)
	}
	const taken = 7
	if err := ja.Record(record(taken, statemgr.InFlight)); err != nil {
		t.Fatal(err)
	}
	const workers = 16
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 5 {
				n := round*workers + w
				if errs[w] = jb.Record(record(n, statemgr.InFlight)); errs[w] != nil {
					return
				}
				if errs[w] = jb.Record(record(n, states.Sent)); errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for w, err := range errs {
		var ce *statemgr.ClaimError
		switch {
		case w == taken:
			if !errors.As(err, &ce) || len(ce.Keys) != 1 || ce.Keys[0] != record(taken, statemgr.InFlight).Key {
				t.Errorf("worker %d claiming a key the other run holds: got %v, want a ClaimError naming it", w, err)
			}
		case err != nil:
			t.Errorf("worker %d: %v", w, err)
		}
	}
	if err := jb.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := newPostgres(t, cfg).Read()
	if err != nil {
		t.Fatal(err)
	}
	for n := range 5 * workers {
		d := got.Get(record(n, states.Sent).Key)
		switch {
		case n == taken:
			if d == nil || d.ErrorCode != statemgr.Interrupted {
				t.Errorf("delivery %d: got %+v, want the other run's claim, read as interrupted", n, d)
			}
		case n%workers == taken:
			if d != nil {
				t.Errorf("delivery %d was recorded after its worker stopped: %+v", n, d)
			}
		case d == nil || d.Status != states.Sent:
			t.Errorf("delivery %d: got %+v, want sent", n, d)
		}
	}
}

// Claims of rows that exist (a failed delivery sent again) expect the rev
// read: a row another run has claimed since, or one removed since, is
// not claimed, and the call writes nothing.
func TestPostgresClaimsOfKnownRows(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: newSchema()}
	seed := newPostgres(t, cfg)
	s, err := seed.Read()
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		r := record(n, states.Failed)
		s.Set(&r)
	}
	if err := seed.Write(s); err != nil {
		t.Fatal(err)
	}
	a, b := newPostgres(t, cfg), newPostgres(t, cfg)
	sa, err := a.Read()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	ja, err := a.OpenJournal(sa)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := b.OpenJournal(sb)
	if err != nil {
		t.Fatal(err)
	}
	if err := ja.Record(record(1, statemgr.InFlight)); err != nil {
		t.Fatalf("claiming a failed delivery: %v", err)
	}
	var ce *statemgr.ClaimError
	if err := jb.Record(record(2, statemgr.InFlight), record(1, statemgr.InFlight)); !errors.As(err, &ce) || len(ce.Keys) != 1 || ce.Keys[0] != record(1, "").Key {
		t.Fatalf("claiming a row the other run claimed since: got %v, want a ClaimError naming delivery 1", err)
	}
	// Delivery 3 is removed (state rm) after b read it.
	s, err = seed.Read()
	if err != nil {
		t.Fatal(err)
	}
	s.Deliveries.Delete(record(3, "").Key)
	if err := seed.Write(s); err != nil {
		t.Fatal(err)
	}
	if err := jb.Record(record(3, statemgr.InFlight)); !errors.As(err, &ce) {
		t.Fatalf("claiming a row removed since it was read: got %v, want a ClaimError", err)
	}
	got, err := newPostgres(t, cfg).Read()
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Get(record(3, "").Key); d != nil {
		t.Errorf("the failed claim of a removed row left %+v", d)
	}
	if d := got.Get(record(2, "").Key); d == nil || d.Status != states.Failed {
		t.Errorf("delivery 2, whose call failed whole, is %+v; want it failed as before", d)
	}
	// b's own claims of rows no one touched still succeed.
	if err := jb.Record(record(2, statemgr.InFlight)); err != nil {
		t.Errorf("claiming an untouched failed delivery: %v", err)
	}
}

// TestPostgresForceUnlockSparesOtherSessions: a lock row left behind names
// its holder's backend pid, which the server may since have given to
// another session, one holding an advisory lock of its own (another
// state's herald, say). Force-unlocking the row ends only a session that
// holds this state's lock, never that other one.
func TestPostgresForceUnlockSparesOtherSessions(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	schema := newSchema()
	p := newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema})
	if _, err := p.Read(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	var pid int
	if err := other.QueryRow(ctx, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock(424242)) l").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, "INSERT INTO "+schema+".locks (state_name, id, who, operation, created, backend_pid) VALUES ('default', 'left-behind', 'ci@runner', 'apply', now(), $1)", pid); err != nil {
		t.Fatal(err)
	}
	if err := p.ForceUnlock("left-behind"); err != nil {
		t.Fatal(err)
	}
	if err := other.Ping(ctx); err != nil {
		t.Errorf("force-unlock of a row left behind ended another session that holds another advisory lock: %v", err)
	}
	if _, err := p.Lock(ctx, "apply", 0); err != nil {
		t.Errorf("locking after the force-unlock: %v", err)
	}

	// A holder still connected is ended, which frees its advisory lock.
	holder := newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema, StateName: "live"})
	info, err := holder.Lock(ctx, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	forcer := newPostgres(t, statemgr.PostgresConfig{ConnStr: dsn, Schema: schema, StateName: "live"})
	if err := forcer.ForceUnlock(info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := forcer.Lock(ctx, "apply", 0); err != nil {
		t.Errorf("locking after force-unlocking a live holder: %v", err)
	}
}

// A run's claims expect each row as the run itself last wrote it, claim
// after outcome after claim, in one Record call or in many, and in the
// next journal over the same read; a write by another run in between
// makes the next claim fail.
func TestPostgresClaimsFollowOwnWrites(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: newSchema()}
	a := newPostgres(t, cfg)
	s, err := a.Read()
	if err != nil {
		t.Fatal(err)
	}
	failed := record(1, states.Failed)
	s.Set(&failed)
	if err := a.Write(s); err != nil {
		t.Fatal(err)
	}
	j, err := a.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	for i, recs := range [][]states.Delivery{
		{record(1, statemgr.InFlight)},
		{record(1, states.Failed)},
		{record(1, statemgr.InFlight), record(1, states.Failed), record(1, statemgr.InFlight), record(2, statemgr.InFlight)},
		{record(2, states.Sent), record(1, states.Failed)},
		{record(1, statemgr.InFlight)},
	} {
		if err := j.Record(recs...); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if err := j.Record(record(1, states.Failed)); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = a.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(record(1, statemgr.InFlight)); err != nil {
		t.Fatalf("claiming in a second journal what the first left failed: %v", err)
	}
	if err := j.Record(record(1, states.Failed)); err != nil {
		t.Fatal(err)
	}
	// Another run (its lock forced, say) sends delivery 1, then this run
	// writes its outcome over it: this run no longer knows the row as
	// the other left it, so its next claim is refused rather than guessed.
	b := newPostgres(t, cfg)
	sb, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	jb, err := b.OpenJournal(sb)
	if err != nil {
		t.Fatal(err)
	}
	if err := jb.Record(record(1, statemgr.InFlight)); err != nil {
		t.Fatalf("the other run's claim: %v", err)
	}
	if err := j.Record(record(1, states.Failed)); err != nil {
		t.Fatalf("an outcome is written whatever the row holds: %v", err)
	}
	var ce *statemgr.ClaimError
	if err := j.Record(record(1, statemgr.InFlight)); !errors.As(err, &ce) {
		t.Fatalf("claiming a row another run wrote since this run last did: got %v, want a ClaimError", err)
	}
}

// A commit's rows that differ in any of the columns the records of one
// message share are written as they are, as are rows that share them.
func TestPostgresRecordsOfSeveralMessages(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	cfg := statemgr.PostgresConfig{ConnStr: dsn, Schema: newSchema()}
	a := newPostgres(t, cfg)
	s, err := a.Read()
	if err != nil {
		t.Fatal(err)
	}
	j, err := a.OpenJournal(s)
	if err != nil {
		t.Fatal(err)
	}
	differ := []func(d *states.Delivery){
		func(d *states.Delivery) {},
		func(d *states.Delivery) { d.Key.Channel = "sms" },
		func(d *states.Delivery) { d.Key.Sender = "+12025550199" },
		func(d *states.Delivery) { d.Key.Ref = "other" },
		func(d *states.Delivery) { d.Key.Ref1 = "a" },
		func(d *states.Delivery) { d.Key.Ref2 = "b" },
		func(d *states.Delivery) { d.Address = "message.other" },
		func(d *states.Delivery) { d.Digest = delivery.Content{Type: delivery.Text, Body: "other"}.Digest() },
	}
	var want []states.Delivery
	for i, change := range differ {
		// Two rows alike, then one that differs from them in one column.
		call := []states.Delivery{record(3*i, statemgr.InFlight), record(3*i+1, statemgr.InFlight), record(3*i+2, statemgr.InFlight)}
		for k := range call {
			call[k].Digest = delivery.Content{Type: delivery.Text, Body: "hello"}.Digest()
		}
		change(&call[2])
		if err := j.Record(call...); err != nil {
			t.Fatalf("claims %d: %v", i, err)
		}
		for k := range call {
			call[k].Status = states.Sent
			call[k].Attempts = 1
			call[k].MessageID = fmt.Sprintf("msg-%d-%d", i, k)
		}
		if err := j.Record(call...); err != nil {
			t.Fatalf("outcomes %d: %v", i, err)
		}
		want = append(want, call...)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := newPostgres(t, cfg).Read()
	if err != nil {
		t.Fatal(err)
	}
	if got.Deliveries.Len() != len(want) {
		t.Errorf("read %d deliveries, want %d", got.Deliveries.Len(), len(want))
	}
	for _, w := range want {
		d := got.Get(w.Key)
		if d == nil {
			t.Errorf("%s: not in the state read", w.Key)
			continue
		}
		if d.Address != w.Address || d.Digest != w.Digest || d.Status != w.Status || d.MessageID != w.MessageID {
			t.Errorf("%s: read address %q digest %q status %q message %q, want %q %q %q %q", w.Key,
				d.Address, d.Digest, d.Status, d.MessageID, w.Address, w.Digest, w.Status, w.MessageID)
		}
	}
}
