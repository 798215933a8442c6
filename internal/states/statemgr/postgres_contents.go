package statemgr

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/states"
)

// The contents table keeps, per state name, what each non-sensitive
// message rendered when it was sent, once per digest, as the JSON of a
// delivery.Content: a plan shows what changed since from it. Its rows are
// few (one per distinct message sent, not per recipient), so Read reads
// them all and Write sends only those this value has not seen.

// readContents reads the contents kept for this state into st, and
// remembers which the table holds.
func (p *Postgres) readContents(ctx context.Context, conn *pgx.Conn, st *states.State) error {
	rows, err := conn.Query(ctx, "SELECT digest, content FROM "+p.table("contents")+" WHERE state_name = $1", p.cfg.StateName)
	if err != nil {
		return p.fail("reading the state", err)
	}
	known := map[delivery.Digest]bool{}
	var digest, text string
	_, err = pgx.ForEachRow(rows, []any{&digest, &text}, func() error {
		var c delivery.Content
		if err := json.Unmarshal([]byte(text), &c); err != nil || c.Digest() != delivery.Digest(digest) {
			return fmt.Errorf("the contents row of digest %q in the %s does not hold that content; delete the row (only the plan's diff of it is lost)", digest, p.Where())
		}
		st.KeepContent(delivery.Digest(digest), c)
		known[delivery.Digest(digest)] = true
		return nil
	})
	if err != nil {
		return p.fail("reading the state", err)
	}
	p.knownContents = known
	return nil
}

// writeContents, within tx, makes the table hold the contents s keeps
// that some delivery of s still records, and no others. It returns the
// digests the table then holds, for the caller to remember once tx
// commits.
func (p *Postgres) writeContents(ctx context.Context, tx pgx.Tx, s *states.State) (map[delivery.Digest]bool, error) {
	used := usedContents(s)
	held := make(map[delivery.Digest]bool, len(used))
	for d := range used {
		held[d] = true
	}
	batch := &pgx.Batch{}
	for d, c := range used {
		if p.knownContents[d] {
			continue
		}
		text, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("writing the state: %w", err)
		}
		batch.Queue("INSERT INTO "+p.table("contents")+" (state_name, digest, content) VALUES ($1, $2, $3) ON CONFLICT (state_name, digest) DO NOTHING", p.cfg.StateName, string(d), string(text))
	}
	for d := range p.knownContents {
		if _, ok := used[d]; !ok {
			batch.Queue("DELETE FROM "+p.table("contents")+" WHERE state_name = $1 AND digest = $2", p.cfg.StateName, string(d))
		}
	}
	if batch.Len() == 0 {
		return held, nil
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, p.fail("writing the state", err)
	}
	return held, nil
}

// usedContents is what s keeps of the contents its deliveries record:
// contents no delivery records any longer (its records removed) are not
// kept.
func usedContents(s *states.State) map[delivery.Digest]delivery.Content {
	used := make(map[delivery.Digest]delivery.Content, len(s.Contents))
	if len(s.Contents) == 0 {
		return used
	}
	for d := range s.Deliveries.All() {
		if c, ok := s.Contents[d.Digest]; ok {
			used[d.Digest] = c
		}
	}
	return used
}
