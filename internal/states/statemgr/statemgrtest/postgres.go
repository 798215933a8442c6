package statemgrtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresURLVar names the environment variable that gives the tests a
// PostgreSQL server to use (scripts/pg-test-server.sh starts one). The
// tests create schemas of their own in it and never touch others.
const PostgresURLVar = "HERALD_TEST_PG_URL"

// PostgresRequiredVar, when set (as .ci/run sets it) or under CI=true,
// makes a missing server a failure rather than a skip: in CI a skipped
// database test would hide a broken backend.
const PostgresRequiredVar = "HERALD_TEST_PG_REQUIRED"

// PostgresURL returns the test server's URL, or skips t, saying how to
// run it, when there is none; in CI it fails t instead.
func PostgresURL(t testing.TB) string {
	t.Helper()
	if url := os.Getenv(PostgresURLVar); url != "" {
		return url
	}
	msg := "no PostgreSQL server for this test: set " + PostgresURLVar + " (scripts/pg-test-server.sh start DIR prints one)"
	if os.Getenv(PostgresRequiredVar) != "" || os.Getenv("CI") == "true" {
		t.Fatal(msg + "; a skipped PostgreSQL test in CI is a failure")
	}
	t.Skip(msg)
	return ""
}

// BenchSchema returns the name of a new schema for a benchmark on the
// server at url, and drops it, with the tables herald made there, when
// tb ends. A benchmark's tables are large, and left behind they would
// have the server's autovacuum at work inside later measurements.
func BenchSchema(tb testing.TB, url string) string {
	tb.Helper()
	var r [6]byte
	rand.Read(r[:])
	schema := "bench_" + hex.EncodeToString(r[:])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("dropping the benchmark's schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("dropping the benchmark's schema %s: %v", schema, err)
		}
	})
	return schema
}
