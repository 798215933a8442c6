package statemgr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lock implements Backend with a session advisory lock on this value's one
// connection, held until Unlock or until the connection ends (however
// herald ends), and a row in SCHEMA.locks naming the holder for the
// others to read.
func (p *Postgres) Lock(ctx context.Context, operation string, timeout time.Duration) (*LockInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lockInfo != nil {
		return nil, fmt.Errorf("the state lock of the %s is already held by this process (lock ID %s)", p.Where(), p.lockInfo.ID)
	}
	deadline := time.Now().Add(timeout)
	for {
		info, holder, err := p.tryLock(ctx, operation)
		if err != nil || info != nil {
			return info, err
		}
		if !time.Now().Before(deadline) {
			return nil, &LockError{Holder: holder, Err: fmt.Errorf("the state lock of the %s is held by another herald, whose lock row is not written yet", p.Where())}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(lockRetryDelay, time.Until(deadline)+time.Millisecond)):
		}
	}
}

// tryLock makes one attempt; when the lock is held elsewhere, it returns
// the holder's row (nil when there is none yet).
func (p *Postgres) tryLock(ctx context.Context, operation string) (*LockInfo, *LockInfo, error) {
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	conn, err := p.connLocked(octx)
	if err != nil {
		return nil, nil, err
	}
	var ok bool
	if err := conn.QueryRow(octx, "SELECT pg_try_advisory_lock($1)", p.lockKey).Scan(&ok); err != nil {
		return nil, nil, p.fail("taking the state lock", err)
	}
	if !ok {
		holder, err := p.readLockRow(octx, conn)
		return nil, holder, err
	}
	info := &LockInfo{
		ID:        NewLineage(),
		Operation: operation,
		Who:       whoAmI(),
		Created:   time.Now().UTC().Truncate(time.Second),
		Path:      p.Where(),
	}
	// Holding the advisory lock, any row there is one a dead holder left.
	_, err = conn.Exec(octx, "INSERT INTO "+p.table("locks")+` (state_name, id, who, operation, created, backend_pid)
		VALUES ($1, $2, $3, $4, $5, pg_backend_pid())
		ON CONFLICT (state_name) DO UPDATE SET id = EXCLUDED.id, who = EXCLUDED.who, operation = EXCLUDED.operation, created = EXCLUDED.created, backend_pid = EXCLUDED.backend_pid`,
		p.cfg.StateName, info.ID, info.Who, info.Operation, info.Created)
	if err != nil {
		err = p.fail("writing the state lock", err)
		if p.conn != nil {
			p.conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", p.lockKey)
		}
		return nil, nil, err
	}
	p.lockInfo = info
	p.logger.Debug("took the state lock", "where", p.Where(), "id", info.ID, "operation", operation)
	return info, nil, nil
}

func (p *Postgres) readLockRow(ctx context.Context, conn *pgx.Conn) (*LockInfo, error) {
	var info LockInfo
	err := conn.QueryRow(ctx, "SELECT id, who, operation, created FROM "+p.table("locks")+" WHERE state_name = $1", p.cfg.StateName).
		Scan(&info.ID, &info.Who, &info.Operation, &info.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, p.fail("reading the state lock", err)
	}
	info.Created = info.Created.UTC()
	info.Path = p.Where()
	return &info, nil
}

// Unlock implements Backend.
func (p *Postgres) Unlock(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lockInfo == nil || p.lockInfo.ID != id {
		return fmt.Errorf("cannot release lock %s of the %s: this process does not hold it", id, p.Where())
	}
	return p.unlockLocked()
}

func (p *Postgres) unlockLocked() error {
	ctx, cancel := opContext()
	defer cancel()
	id := p.lockInfo.ID
	p.lockInfo = nil
	conn, err := p.connLocked(ctx)
	if err != nil {
		return err
	}
	// The row goes first, while the lock is still held, so that no one
	// reads it after the lock is gone.
	if _, err := conn.Exec(ctx, "DELETE FROM "+p.table("locks")+" WHERE state_name = $1 AND id = $2", p.cfg.StateName, id); err != nil {
		return p.fail("releasing the state lock", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", p.lockKey); err != nil {
		return p.fail("releasing the state lock", err)
	}
	return nil
}

// ForceUnlock implements Backend. A lock row whose holder's connection is
// gone is simply removed. One whose holder is still connected (a herald
// that hangs, or one on the far side of a split network) is removed and
// that holder's session ended, which releases its advisory lock and makes
// it stop sending; claims keep two runs from sending one delivery even
// then.
func (p *Postgres) ForceUnlock(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lockInfo != nil && p.lockInfo.ID == id {
		return p.unlockLocked()
	}
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		return err
	}
	holder, err := p.readLockRow(ctx, conn)
	if err != nil {
		return err
	}
	if holder == nil {
		return fmt.Errorf("there is no lock to release: the %s has no lock row", p.Where())
	}
	if holder.ID != id {
		return fmt.Errorf("the lock of the %s has ID %s, not %s; nothing was released", p.Where(), holder.ID, id)
	}
	rows, err := conn.Query(ctx, `WITH gone AS (DELETE FROM `+p.table("locks")+` WHERE state_name = $1 AND id = $2 RETURNING backend_pid)
		SELECT backend_pid, pg_terminate_backend(backend_pid) FROM gone
		WHERE backend_pid <> pg_backend_pid() AND `+p.holdsLock("gone.backend_pid"),
		p.cfg.StateName, id)
	if err != nil {
		return p.fail("releasing the state lock", err)
	}
	var ended []int32
	var pid int32
	var signalled bool
	_, err = pgx.ForEachRow(rows, []any{&pid, &signalled}, func() error {
		if signalled {
			ended = append(ended, pid)
		}
		return nil
	})
	if err != nil {
		return p.fail("releasing the state lock", err)
	}
	// pg_terminate_backend only signals the session; its advisory lock is
	// released when it has exited, and a lock taken at once could still
	// find it held. (Waiting in pg_terminate_backend itself needs
	// PostgreSQL 14.)
	for _, pid := range ended {
		for {
			var held bool
			if err := conn.QueryRow(ctx, "SELECT "+p.holdsLock("$1::int4"), pid).Scan(&held); err != nil {
				return p.fail("waiting for the lock holder's session to end", err)
			}
			if !held {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the session of the lock holder of the %s was told to end, but still holds the lock", p.Where())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}

// LockHolder returns the lock row's holder; nil when there is none or it
// cannot be read.
func (p *Postgres) LockHolder() *LockInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		return nil
	}
	info, err := p.readLockRow(ctx, conn)
	if err != nil {
		return nil
	}
	return info
}

// holdsLock is an SQL condition: the session whose backend pid is pid
// holds this state's advisory lock. A lock row left behind names a pid
// the server may since have given to another session, so holding some
// advisory lock is not enough. A bigint key shows in pg_locks as its high
// and low 32 bits (classid, objid) with objsubid 1.
func (p *Postgres) holdsLock(pid string) string {
	key := uint64(p.lockKey)
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.pid = %s
		AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND k.classid::bigint = %d AND k.objid::bigint = %d AND k.objsubid = 1)`, pid, key>>32, key&0xffffffff)
}
