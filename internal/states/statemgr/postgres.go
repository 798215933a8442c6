package statemgr

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/receipts"
	"github.com/heraldhq/herald/internal/redact"
	"github.com/heraldhq/herald/internal/states"
)

// PostgresConfig says where a Postgres backend keeps its state.
type PostgresConfig struct {
	// ConnStr is a libpq connection string or URL. Empty: libpq's PG*
	// environment variables alone. It may hold a password, so it is never
	// printed, logged or put in an error.
	ConnStr string
	// Schema holds herald's tables; created when missing. Default "herald".
	Schema string
	// StateName tells apart several states in one database. Default
	// "default".
	StateName string
}

// PostgresSchemaVersion is the version of the tables this herald creates
// and understands. A database at a newer version is refused: an older
// herald could lose what a newer one records. Version 2 adds the
// digest_secrets table, version 3 the contents table, version 4 the
// events table; older tables migrate by creating them.
const PostgresSchemaVersion = 4

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Postgres keeps state in PostgreSQL, one row per delivery, so that an
// apply's work in the database grows with what it sends, not with the
// history:
//
//	SCHEMA.schema_version  one row: the version of these tables
//	SCHEMA.states          per state name: lineage, serial, and whether an
//	                       apply's records were written since the last Write
//	SCHEMA.deliveries      one row per delivery key and state name; rev
//	                       counts its changes, claim names the lock of the
//	                       apply that last recorded it in flight
//	SCHEMA.locks           per state name: the holder of the lock
//	SCHEMA.digest_secrets  per state name: the digest secret (DigestSecret)
//	SCHEMA.contents        per state name and digest: what a non-sensitive
//	                       message rendered when sent (postgres_contents.go)
//	SCHEMA.events          per state name: receipts and incoming messages
//	                       from Kaleyra's callbacks (postgres_receipts.go)
//
// All of its work goes through one connection, opened on first use and
// kept until Close: the session advisory lock lives on that connection and
// dies with it, so a pool (which may hand out another connection) would
// not do. Its methods are safe for concurrent use.
type Postgres struct {
	cfg    PostgresConfig
	pgcfg  *pgx.ConnConfig
	cfgErr error
	logger hclog.Logger
	// lockKey is the advisory lock key of this schema and state name.
	lockKey int64

	mu   sync.Mutex
	conn *pgx.Conn
	// broken is set when the connection was lost: nothing more is done
	// on it, and what was in flight is recorded by the next run.
	broken   error
	lockInfo *LockInfo
	// known holds, for each row as this value last read or wrote it, its
	// rev and a hash of it: Write sends only what differs, and claims
	// expect the rev read.
	known map[delivery.Key]knownRow
	// knownContents are the digests the contents table holds.
	knownContents map[delivery.Digest]bool
	hasRow        bool // the states row exists
	lineage       string
	serial        uint64 // in the states row
	// readSerial is the serial Read last returned, folded or not.
	readSerial uint64
	read       bool
	journal    *pgJournal
	// seed is the seed of known's hashes.
	seed maphash.Seed
	// recordSQLs are recordSQL's statements for the deliveries table,
	// for rows that do not and that do share their columns; made at
	// first use, and guarded by mu like the connection they run on.
	recordSQLs [2]string
	// secrets are the database passwords, cut from every message that
	// quotes a library or the server.
	secrets *redact.Secrets

	// recorder records receipts on a connection of its own.
	recorder receiptRecorder
	// eventsRead are the ids of the events Read folded, and
	// pendingEvents those of them that matched nothing: Write compacts
	// the events read, keeping pendingEvents.
	eventsRead    []string
	pendingEvents []receipts.Event
}

var _ Backend = (*Postgres)(nil)

// NewPostgres returns the backend for cfg. It connects on first use.
func NewPostgres(cfg PostgresConfig, logger hclog.Logger) *Postgres {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if cfg.Schema == "" {
		cfg.Schema = "herald"
	}
	if cfg.StateName == "" {
		cfg.StateName = "default"
	}
	p := &Postgres{cfg: cfg, logger: logger.Named("state"), seed: maphash.MakeSeed()}
	if !identifier.MatchString(cfg.Schema) {
		p.cfgErr = fmt.Errorf("the PostgreSQL schema name %q is not a plain lower-case SQL identifier (letters, digits and _, at most 63)", cfg.Schema)
	}
	pgcfg, err := pgx.ParseConfig(cfg.ConnStr)
	parsed := ""
	if pgcfg != nil {
		parsed = pgcfg.Password
	}
	p.secrets = connSecrets(cfg.ConnStr, parsed)
	p.logger = newRedactingLogger(p.logger, p.secrets)
	if err != nil {
		// The parse error may quote the connection string, password and
		// all; say only what kind of problem it is.
		p.cfgErr = errors.New("the PostgreSQL connection string (conn_str, PG_CONN_STR or the PG* variables) could not be parsed; check its form: postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=... or key=value pairs")
	} else {
		p.pgcfg = pgcfg
	}
	h := fnv.New64a()
	h.Write([]byte("herald\x00" + cfg.Schema + "\x00" + cfg.StateName))
	p.lockKey = int64(h.Sum64())
	return p
}

// Where names the database, schema and state, without credentials: for
// messages and for saved plans.
func (p *Postgres) Where() string {
	host, db := "?", "?"
	if p.pgcfg != nil {
		host = fmt.Sprintf("%s:%d", p.pgcfg.Host, p.pgcfg.Port)
		db = p.pgcfg.Database
	}
	return fmt.Sprintf("PostgreSQL database %q on %s, schema %s, state %q", db, host, p.cfg.Schema, p.cfg.StateName)
}

// Identity names the database, schema and state name as a URL without
// user or password, for a saved plan to be bound to.
func (p *Postgres) Identity() string {
	host, port, db := "", uint16(0), ""
	if p.pgcfg != nil {
		host, port, db = p.pgcfg.Host, p.pgcfg.Port, p.pgcfg.Database
	}
	return fmt.Sprintf("pg://%s:%d/%s?schema=%s&state=%s", host, port, url.PathEscape(db), url.QueryEscape(p.cfg.Schema), url.QueryEscape(p.cfg.StateName))
}

// Close releases the lock, if held, and closes the connection.
func (p *Postgres) Close() error {
	p.closeRecorder()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close(context.Background())
	p.conn, p.lockInfo = nil, nil
	if err != nil {
		return fmt.Errorf("closing the connection to the %s: %s", p.Where(), p.describe(err))
	}
	return nil
}

// opTimeout bounds each database operation, so that a server that stops
// answering stops herald rather than hanging it.
const opTimeout = 30 * time.Second

func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// connLocked returns the connection, connecting and creating or checking
// the tables on first use. p.mu is held.
func (p *Postgres) connLocked(ctx context.Context) (*pgx.Conn, error) {
	if p.cfgErr != nil {
		return nil, p.cfgErr
	}
	if p.broken != nil {
		return nil, p.broken
	}
	if p.conn != nil {
		return p.conn, nil
	}
	conn, err := pgx.ConnectConfig(ctx, p.pgcfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the %s: %s", p.Where(), p.describe(err))
	}
	if err := p.migrate(ctx, conn); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	p.conn = conn
	return conn, nil
}

// describe says what went wrong talking to the server, without the
// connection string.
func (p *Postgres) describe(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return "the server refused the user name or password (" + p.secrets.String(pgErr.Message) + ")"
		case "3D000":
			return "the database does not exist (" + p.secrets.String(pgErr.Message) + ")"
		}
		return p.secrets.String(pgErr.Message) + " (SQLSTATE " + pgErr.Code + ")"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if inner := errors.Unwrap(ce); inner != nil {
			err = inner
		}
	}
	return p.secrets.String(err.Error())
}

// fail turns err into the error of a database operation; a lost
// connection breaks the backend for good, so that nothing more is sent.
// p.mu is held.
func (p *Postgres) fail(what string, err error) error {
	if p.conn != nil && (p.conn.IsClosed() || pgconn.SafeToRetry(err) || isConnLoss(err)) {
		p.broken = fmt.Errorf("the connection to the %s was lost while %s: %s; nothing more is sent, and what was in flight becomes unknown when the next run reads the state", p.Where(), what, p.describe(err))
		p.conn.Close(context.Background())
		p.conn, p.lockInfo = nil, nil
		return p.broken
	}
	return fmt.Errorf("%s in the %s: %s", what, p.Where(), p.describe(err))
}

func isConnLoss(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 57: operator intervention (terminated, shutdown);
		// class 08: connection exception.
		return len(pgErr.Code) == 5 && (pgErr.Code[:2] == "57" || pgErr.Code[:2] == "08")
	}
	return !errors.Is(err, context.Canceled)
}

func (p *Postgres) table(name string) string {
	return pgx.Identifier{p.cfg.Schema, name}.Sanitize()
}

// migrate creates herald's tables when missing and checks their version.
// Two herald processes creating the same schema at once are kept apart by
// a transaction-scoped advisory lock of that schema alone.
func (p *Postgres) migrate(ctx context.Context, conn *pgx.Conn) error {
	h := fnv.New64a()
	h.Write([]byte("herald-schema\x00" + p.cfg.Schema))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("preparing the %s: %s", p.Where(), p.describe(err))
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("preparing the %s: %s", p.Where(), p.describe(err))
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", p.table("schema_version")).Scan(&exists); err != nil {
		return fmt.Errorf("preparing the %s: %s", p.Where(), p.describe(err))
	}
	if exists {
		var v int
		if err := tx.QueryRow(ctx, "SELECT version FROM "+p.table("schema_version")).Scan(&v); err != nil {
			return fmt.Errorf("reading the version of herald's tables in the %s: %s", p.Where(), p.describe(err))
		}
		if v > PostgresSchemaVersion {
			return fmt.Errorf("herald's tables in the %s are at version %d, newer than this herald understands (version %d): a newer herald uses this database; upgrade herald to use it", p.Where(), v, PostgresSchemaVersion)
		}
		if v == PostgresSchemaVersion {
			return nil
		}
	}
	ddl := []string{
		"CREATE SCHEMA IF NOT EXISTS " + pgx.Identifier{p.cfg.Schema}.Sanitize(),
		"CREATE TABLE IF NOT EXISTS " + p.table("schema_version") + ` (version integer NOT NULL)`,
		"CREATE TABLE IF NOT EXISTS " + p.table("states") + ` (
			state_name text PRIMARY KEY,
			lineage text NOT NULL,
			serial bigint NOT NULL,
			journaled boolean NOT NULL DEFAULT false)`,
		// The key's columns are in the order that tells rows apart
		// soonest: the keys of a state share their channel and mostly
		// their sender, and each comparison in the index walks the
		// columns up to the first that differs. In the order of the key's
		// fields (which tables made by an older herald keep, and which
		// work the same) the comparisons were a fifth of the server's
		// work for each row written.
		//
		// The key's columns compare bytes (collation "C"): the key is
		// only ever looked up, never sorted for people, and a database's
		// own collation (en-US, say) makes each comparison a locale's,
		// which cost an eighth more of the server's work a row written.
		//
		// Every row is written twice, in flight and then with its
		// outcome, whose ids make it longer. Pages filled only to 40%
		// keep room for each row's second version beside it, so that the
		// outcome is a heap-only update, which leaves the index alone: at
		// 60%, half the outcomes moved to another page and added an index
		// entry, and writing them took 1.8 times as long.
		"CREATE TABLE IF NOT EXISTS " + p.table("deliveries") + ` (
			state_name text COLLATE "C" NOT NULL,
			channel text COLLATE "C" NOT NULL,
			sender text COLLATE "C" NOT NULL,
			recipient text COLLATE "C" NOT NULL,
			ref text COLLATE "C" NOT NULL,
			ref1 text COLLATE "C" NOT NULL,
			ref2 text COLLATE "C" NOT NULL,
			address text NOT NULL,
			digest text NOT NULL,
			status text NOT NULL,
			request_id text NOT NULL,
			message_id text NOT NULL,
			error_code text NOT NULL,
			error_text text NOT NULL,
			attempts integer NOT NULL,
			first_attempt_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL,
			rev bigint NOT NULL,
			claim text NOT NULL,
			PRIMARY KEY (state_name, recipient, ref, ref1, ref2, sender, channel)) WITH (fillfactor = 40)`,
		"CREATE TABLE IF NOT EXISTS " + p.table("locks") + ` (
			state_name text PRIMARY KEY,
			id text NOT NULL,
			who text NOT NULL,
			operation text NOT NULL,
			created timestamptz NOT NULL,
			backend_pid integer NOT NULL)`,
		// The digest secret has its own table, so that a database
		// administrator can grant the deliveries to a reader without it.
		"CREATE TABLE IF NOT EXISTS " + p.table("digest_secrets") + ` (
			state_name text PRIMARY KEY,
			secret bytea NOT NULL,
			created_at timestamptz NOT NULL)`,
		"CREATE TABLE IF NOT EXISTS " + p.table("contents") + ` (
			state_name text NOT NULL,
			digest text NOT NULL,
			content text NOT NULL,
			PRIMARY KEY (state_name, digest))`,
		"CREATE TABLE IF NOT EXISTS " + p.table("events") + ` (
			state_name text NOT NULL,
			id text NOT NULL,
			seq bigserial NOT NULL,
			kind text NOT NULL,
			message_id text NOT NULL,
			status text NOT NULL,
			recipient text NOT NULL,
			sender text NOT NULL,
			ref text NOT NULL,
			ref1 text NOT NULL,
			ref2 text NOT NULL,
			error_code text NOT NULL,
			error_text text NOT NULL,
			at timestamptz NOT NULL,
			received timestamptz NOT NULL,
			PRIMARY KEY (state_name, id))`,
		"DELETE FROM " + p.table("schema_version"),
		fmt.Sprintf("INSERT INTO %s VALUES (%d)", p.table("schema_version"), PostgresSchemaVersion),
	}
	for _, q := range ddl {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("creating herald's tables in the %s: %s", p.Where(), p.describe(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("creating herald's tables in the %s: %s", p.Where(), p.describe(err))
	}
	p.logger.Info("created herald's tables", "schema", p.cfg.Schema, "version", PostgresSchemaVersion)
	return nil
}

const deliveryColumns = "channel, sender, recipient, ref, ref1, ref2, address, digest, status, request_id, message_id, error_code, error_text, attempts, first_attempt_at, updated_at"

// Read implements Backend. Rows an apply left in flight become Unknown in
// the state returned (Running while that apply still holds the lock); the
// database keeps them as they are until the next Write.
func (p *Postgres) Read() (*states.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readLocked()
}

func (p *Postgres) readLocked() (*states.State, error) {
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		return nil, err
	}
	// The states row, the lock's running holder and the number of rows
	// (to size the maps the rows go into) in one round trip.
	var (
		lineage   string
		serial    int64
		journaled bool
		running   string
		count     int64
	)
	batch := &pgx.Batch{}
	batch.Queue("SELECT lineage, serial, journaled FROM "+p.table("states")+" WHERE state_name = $1", p.cfg.StateName).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&lineage, &serial, &journaled)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			p.hasRow = false
			p.lineage, p.serial = NewLineage(), 0
		case err != nil:
			return err
		default:
			p.hasRow = true
			p.lineage, p.serial = lineage, uint64(serial)
		}
		return nil
	})
	if p.lockInfo == nil {
		// The running holder of the lock, when it is not this process:
		// its in-flight rows are awaiting their answers.
		batch.Queue(`SELECT l.id FROM `+p.table("locks")+` l
			WHERE l.state_name = $1 AND `+p.holdsLock("l.backend_pid"), p.cfg.StateName).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&running); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			return nil
		})
	}
	batch.Queue("SELECT count(*) FROM "+p.table("deliveries")+" WHERE state_name = $1", p.cfg.StateName).QueryRow(func(row pgx.Row) error {
		return row.Scan(&count)
	})
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return nil, p.fail("reading the state", err)
	}
	st := states.New(p.lineage)
	st.Deliveries = states.NewDeliverySet(int(count))
	known := make(map[delivery.Key]knownRow, count)
	inFlight, err := p.readDeliveries(ctx, conn, running, st, known)
	if err != nil {
		return nil, err
	}
	if err := p.readContents(ctx, conn, st); err != nil {
		return nil, err
	}
	if err := p.readEvents(ctx, conn, st); err != nil {
		return nil, err
	}
	st.Serial = p.serial
	if journaled || inFlight {
		// An apply recorded sends since the last Write: the state differs
		// from the one that Write left, so its serial must too, or a plan
		// saved before that apply would not be seen as stale.
		if st.Serial, err = nextSerial(p.Where(), st.Serial); err != nil {
			return nil, err
		}
	}
	p.known = known
	p.read = true
	p.readSerial = st.Serial
	return st, nil
}

// Write implements Backend: in one transaction, it upserts the rows that
// differ from what this value last read or wrote and deletes those no
// longer in s, then moves the serial on. It keeps no backup: the database
// is the team's to back up.
func (p *Postgres) Write(s *states.State) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.journal != nil {
		return fmt.Errorf("cannot replace the state in the %s while its journal is open: close the journal first", p.Where())
	}
	if !p.read {
		if _, err := p.readLocked(); err != nil {
			return err
		}
	}
	return p.writeLocked(s, 0, false)
}

// Replace makes s the state, whatever the lineage and serial of the
// state it replaces: for "herald state push -force". Its serial is still
// moved past the replaced state's, so that plans saved against that one
// are stale.
func (p *Postgres) Replace(s *states.State) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.journal != nil {
		return fmt.Errorf("cannot replace the state in the %s while its journal is open: close the journal first", p.Where())
	}
	if _, err := p.readLocked(); err != nil {
		return err
	}
	return p.writeLocked(s, 0, true)
}

// writeLocked writes s at serial exact, or when exact is 0 at the larger
// of s.Serial and one past any serial this value has read or written.
// With anyLineage, s may have another lineage than the state it replaces.
func (p *Postgres) writeLocked(s *states.State, exact uint64, anyLineage bool) error {
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return p.fail("writing the state", err)
	}
	defer tx.Rollback(context.Background())
	var (
		lineage string
		serial  int64
	)
	err = tx.QueryRow(ctx, "SELECT lineage, serial FROM "+p.table("states")+" WHERE state_name = $1 FOR UPDATE", p.cfg.StateName).Scan(&lineage, &serial)
	hasRow := true
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		hasRow = false
	case err != nil:
		return p.fail("writing the state", err)
	}
	if hasRow && lineage != s.Lineage && !anyLineage {
		return fmt.Errorf("refusing to replace the state in the %s, of lineage %s, with a state of lineage %s", p.Where(), lineage, s.Lineage)
	}
	if hasRow && uint64(serial) != p.serial && p.lockInfo == nil {
		p.logger.Debug("the state moved on since it was read", "read", p.serial, "now", serial)
	}
	next := exact
	if next == 0 {
		n, err := nextSerial(p.Where(), max(p.readSerial, p.serial, uint64(max(serial, 0))))
		if err != nil {
			return err
		}
		next = max(n, s.Serial)
	}

	var written []states.Delivery
	for d := range s.Deliveries.All() {
		rec := normalise(*d)
		if old, ok := p.known[d.Key]; ok && old.sum == hashRow(p.seed, &rec) {
			continue
		}
		written = append(written, rec)
	}
	revs, err := upsertMany(ctx, tx, p.table("deliveries"), p.cfg.StateName, written, "")
	if err != nil {
		return p.fail("writing the state", err)
	}
	heldContents, err := p.writeContents(ctx, tx, s)
	if err != nil {
		return err
	}
	if err := p.compactEvents(ctx, tx, s); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	var gone []delivery.Key
	for k := range p.known {
		if s.Get(k) == nil {
			batch.Queue("DELETE FROM "+p.table("deliveries")+" WHERE state_name = $1 AND channel = $2 AND sender = $3 AND recipient = $4 AND ref = $5 AND ref1 = $6 AND ref2 = $7",
				p.cfg.StateName, k.Channel, k.Sender, k.Recipient, k.Ref, k.Ref1, k.Ref2)
			gone = append(gone, k)
		}
	}
	batch.Queue("INSERT INTO "+p.table("states")+" (state_name, lineage, serial, journaled) VALUES ($1, $2, $3, false) ON CONFLICT (state_name) DO UPDATE SET lineage = EXCLUDED.lineage, serial = EXCLUDED.serial, journaled = false",
		p.cfg.StateName, s.Lineage, int64(next))
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return p.fail("writing the state", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return p.fail("writing the state", err)
	}
	for i := range written {
		d := &written[i]
		p.known[d.Key] = knownRow{rev: revs[d.Key], sum: hashRow(p.seed, d)}
	}
	for _, k := range gone {
		delete(p.known, k)
	}
	s.Serial = next
	p.knownContents = heldContents
	p.hasRow, p.lineage, p.serial, p.readSerial = true, s.Lineage, next, next
	p.logger.Debug("wrote the state", "serial", next, "rows_written", len(written), "rows_deleted", len(gone))
	return nil
}

// normalise gives d's times the database's precision, so that a row read
// back compares equal to the row written.
func normalise(d states.Delivery) states.Delivery {
	d.FirstSent = d.FirstSent.Truncate(time.Microsecond).UTC()
	d.UpdatedAt = d.UpdatedAt.Truncate(time.Microsecond).UTC()
	return d
}

// upsertChunk is how many rows one upsert statement carries.
const upsertChunk = 1000

// querier is a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// upsertMany writes ds unconditionally, upsertChunk rows to a statement
// (their columns sent as arrays, so the server plans and runs one
// statement per chunk rather than one per row), and returns each row's
// new rev. When a key comes twice, its last record is the one written.
func upsertMany(ctx context.Context, q querier, table, state string, ds []states.Delivery, claim string) (map[delivery.Key]int64, error) {
	last := make(map[delivery.Key]int, len(ds))
	for i := range ds {
		last[ds[i].Key] = i
	}
	rows := ds
	if len(last) < len(ds) {
		rows = make([]states.Delivery, 0, len(last))
		for i := range ds {
			if last[ds[i].Key] == i {
				rows = append(rows, ds[i])
			}
		}
	}
	revs := make(map[delivery.Key]int64, len(rows))
	for from := 0; from < len(rows); from += upsertChunk {
		chunk := rows[from:min(from+upsertChunk, len(rows))]
		got, err := readRevs(ctx, q, chunk, upsertSQL(table), upsertArgs(state, chunk, claim))
		if err != nil {
			return nil, err
		}
		for i := range chunk {
			revs[chunk[i].Key] = got[i]
		}
	}
	return revs, nil
}

// upsertSQL is the unconditional write of rows over arrays, returning
// each row's key and new rev.
func upsertSQL(table string) string {
	return "INSERT INTO " + table + " (state_name, " + deliveryColumns + `, rev, claim)
		SELECT $1, u.*, 1, $18 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
			$15::int4[], $16::timestamptz[], $17::timestamptz[]) AS u
		ON CONFLICT (state_name, channel, sender, recipient, ref, ref1, ref2) DO UPDATE SET
			address = EXCLUDED.address, digest = EXCLUDED.digest, status = EXCLUDED.status,
			request_id = EXCLUDED.request_id, message_id = EXCLUDED.message_id,
			error_code = EXCLUDED.error_code, error_text = EXCLUDED.error_text,
			attempts = EXCLUDED.attempts, first_attempt_at = EXCLUDED.first_attempt_at,
			updated_at = EXCLUDED.updated_at, rev = ` + table + `.rev + 1, claim = EXCLUDED.claim
		RETURNING channel, sender, recipient, ref, ref1, ref2, rev`
}

func upsertArgs(state string, rows []states.Delivery, claim string) []any {
	return append(columnArgs(state, rows), claim)
}

// columnArgs is state and the columns of rows as arrays, in the order of
// deliveryColumns.
func columnArgs(state string, rows []states.Delivery) []any {
	n := len(rows)
	cols := make([][]string, 13)
	for c := range cols {
		cols[c] = make([]string, n)
	}
	attempts := make([]int32, n)
	first := make([]time.Time, n)
	updated := make([]time.Time, n)
	for r := range rows {
		d := &rows[r]
		cols[0][r], cols[1][r], cols[2][r] = d.Key.Channel, d.Key.Sender, d.Key.Recipient
		cols[3][r], cols[4][r], cols[5][r] = d.Key.Ref, d.Key.Ref1, d.Key.Ref2
		cols[6][r], cols[7][r], cols[8][r] = d.Address, string(d.Digest), string(d.Status)
		cols[9][r], cols[10][r] = d.RequestID, d.MessageID
		cols[11][r], cols[12][r] = d.ErrorCode, d.ErrorText
		attempts[r], first[r], updated[r] = int32(d.Attempts), d.FirstSent, d.UpdatedAt
	}
	args := make([]any, 0, 19)
	args = append(args, state)
	for _, c := range cols {
		args = append(args, c)
	}
	return append(args, attempts, first, updated)
}

// readRevs runs an upsert of rows and returns their new revs in the
// order of rows. The server returns rows in the order written, which is
// theirs; each returned key is compared with its row's without copying
// it, and looked up only if the order ever differs.
func readRevs(ctx context.Context, q querier, rows []states.Delivery, sql string, args []any) ([]int64, error) {
	res, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	revs := make([]int64, len(rows))
	var index map[delivery.Key]int
	n := 0
	for res.Next() {
		v := res.RawValues()
		if len(v) != 7 {
			return nil, fmt.Errorf("an upsert returned %d columns, want 7", len(v))
		}
		rev, err := int64Value(v[6], res.FieldDescriptions()[6].Format)
		if err != nil {
			return nil, err
		}
		i := n
		if i >= len(rows) || !sameKey(&rows[i].Key, v) {
			if index == nil {
				index = make(map[delivery.Key]int, len(rows))
				for j := range rows {
					index[rows[j].Key] = j
				}
			}
			k := delivery.Key{Channel: string(v[0]), Sender: string(v[1]), Recipient: string(v[2]), Ref: string(v[3]), Ref1: string(v[4]), Ref2: string(v[5])}
			j, ok := index[k]
			if !ok {
				return nil, fmt.Errorf("an upsert returned the row of %s, which it was not given", k)
			}
			i = j
		}
		revs[i] = rev
		n++
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if n != len(rows) {
		return nil, fmt.Errorf("an upsert of %d rows returned %d", len(rows), n)
	}
	return revs, nil
}

func sameKey(k *delivery.Key, v [][]byte) bool {
	return string(v[0]) == k.Channel && string(v[1]) == k.Sender && string(v[2]) == k.Recipient &&
		string(v[3]) == k.Ref && string(v[4]) == k.Ref1 && string(v[5]) == k.Ref2
}

// int64Value decodes an int8 column in either format.
func int64Value(b []byte, format int16) (int64, error) {
	if format == pgx.BinaryFormatCode {
		if n, ok := beInt64(b); ok {
			return n, nil
		}
		return 0, fmt.Errorf("an int8 column of %d bytes", len(b))
	}
	return strconv.ParseInt(string(b), 10, 64)
}
