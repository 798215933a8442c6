package statemgrtest

import (
	"os"
	"testing"
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
