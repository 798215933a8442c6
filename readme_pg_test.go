package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/states/statemgr"
	"github.com/heraldhq/herald/internal/states/statemgr/statemgrtest"
)

// TestReadmeNamesEveryTable: the README and the GitHub Actions example
// tell a team what its database holds, since the phone numbers in it are
// personal data. Each table herald creates must be named there, so that a
// table added later (say, of incoming messages) is not left out.
func TestReadmeNamesEveryTable(t *testing.T) {
	dsn := statemgrtest.PostgresURL(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	p := statemgr.NewPostgres(statemgr.PostgresConfig{ConnStr: dsn, Schema: schema}, hclog.NewNullLogger())
	defer p.Close()
	if _, err := p.Read(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	defer conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	rows, err := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("tables of schema %s: %v %v", schema, tables, err)
	}
	paragraph := regexp.MustCompile(`(?s)\*\*What the database holds\.\*\*(.*?)\n\n`)
	for _, path := range []string{"README.md", "examples/github-actions/README.md"} {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := paragraph.FindSubmatch(text)
		if m == nil {
			t.Errorf("%s has no paragraph \"What the database holds.\"", path)
			continue
		}
		for _, table := range tables {
			if !strings.Contains(string(m[1]), "`"+table+"`") {
				t.Errorf("%s: \"What the database holds\" does not name the table `%s`", path, table)
			}
		}
	}
}
