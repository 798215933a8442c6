package statemgr

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/heraldhq/herald/internal/atomicfile"
	"github.com/heraldhq/herald/internal/delivery"
)

// DigestSecrets is a backend that keeps its ledger's digest secret: the
// key of the digests of sensitive content (see delivery.DigestKey). It is
// kept apart from the state, and never in a plan, so that whoever reads
// the state or a saved plan cannot test guesses of a one-time code
// against its digest; a backup or a pull of the state does not carry it.
type DigestSecrets interface {
	// DigestSecret returns the ledger's secret, creating it when there is
	// none yet; created says that it did not exist before this call.
	DigestSecret() (key *delivery.DigestKey, created bool, err error)
	// AdoptDigestSecret makes k the ledger's secret when it has none yet,
	// as when a state file is pushed with the secret beside it, and
	// returns the secret the ledger keeps: k, or the one it had.
	AdoptDigestSecret(k *delivery.DigestKey) (*delivery.DigestKey, error)
}

// ReadDigestSecretFile reads the digest secret kept beside the local state
// file statePath; the error is fs.ErrNotExist when there is none.
func ReadDigestSecretFile(statePath string) (*delivery.DigestKey, error) {
	return readSecretFile(statePath + ".secret")
}

var (
	_ DigestSecrets = (*Filesystem)(nil)
	_ DigestSecrets = (*Postgres)(nil)
)

// secretFileHeader starts the local secret file, so that a person who
// opens it knows what it is and what losing it costs.
const secretFileHeader = "# herald digest secret: keys the digests of sensitive content in the state\n# beside this file. Keep it private; do not commit it. If it is lost,\n# sensitive deliveries already sent show as changed (never resent).\n"

// DigestSecret implements DigestSecrets: the secret is in PATH.secret,
// mode 0600, created on first need. It is created whole or not at all (a
// temporary file linked into place, which fails when another run made one
// first) and never opened through a link.
func (f *Filesystem) DigestSecret() (*delivery.DigestKey, bool, error) {
	secret := make([]byte, delivery.DigestSecretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, false, fmt.Errorf("making the digest secret: %w", err)
	}
	return f.keepSecret(secret)
}

// AdoptDigestSecret implements DigestSecrets.
func (f *Filesystem) AdoptDigestSecret(k *delivery.DigestKey) (*delivery.DigestKey, error) {
	kept, _, err := f.keepSecret(k.Secret())
	return kept, err
}

// keepSecret returns the secret in the secret file, first making the file
// hold secret when there is none.
func (f *Filesystem) keepSecret(secret []byte) (*delivery.DigestKey, bool, error) {
	if f.pathErr != nil {
		return nil, false, f.pathErr
	}
	path := f.path + ".secret"
	key, err := readSecretFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, false, fmt.Errorf("making the digest secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(secretFileHeader + hex.EncodeToString(secret) + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("making the digest secret: %w", err)
	}
	// A link does not replace anything at path, a symbolic link included:
	// the first run to link its file wins, and the others read it.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			key, err := readSecretFile(path)
			return key, false, err
		}
		return nil, false, fmt.Errorf("making the digest secret %s: %w", path, err)
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return nil, false, fmt.Errorf("making the digest secret %s: %w", path, err)
	}
	f.logger.Info("created the digest secret", "path", path)
	key, err = delivery.NewDigestKey(secret)
	return key, true, err
}

func readSecretFile(path string) (*delivery.DigestKey, error) {
	data, err := readNoFollow(path, "digest secret file")
	if err != nil {
		return nil, err
	}
	var line string
	for l := range strings.Lines(string(data)) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			line = l
			break
		}
	}
	secret, err := hex.DecodeString(line)
	if err == nil && len(secret) != delivery.DigestSecretSize {
		err = fmt.Errorf("it holds %d bytes, not %d", len(secret), delivery.DigestSecretSize)
	}
	if err != nil {
		return nil, fmt.Errorf("the digest secret file %s is damaged (%v); restore it from where it is kept safe, or move it away to start a new secret (sensitive deliveries already sent then show as changed)", path, err)
	}
	return delivery.NewDigestKey(secret)
}

// DigestSecret implements DigestSecrets: the secret is a row of the
// digest_secrets table, which a database administrator can restrict
// apart from the deliveries (a role that reads the state need not read
// it). The first run to insert the row wins.
func (p *Postgres) DigestSecret() (*delivery.DigestKey, bool, error) {
	fresh := make([]byte, delivery.DigestSecretSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, false, fmt.Errorf("making the digest secret: %w", err)
	}
	return p.keepSecret(fresh)
}

// AdoptDigestSecret implements DigestSecrets.
func (p *Postgres) AdoptDigestSecret(k *delivery.DigestKey) (*delivery.DigestKey, error) {
	kept, _, err := p.keepSecret(k.Secret())
	return kept, err
}

// keepSecret returns the ledger's secret, first inserting fresh when
// there is none.
func (p *Postgres) keepSecret(fresh []byte) (*delivery.DigestKey, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := opContext()
	defer cancel()
	conn, err := p.connLocked(ctx)
	if err != nil {
		return nil, false, err
	}
	tag, err := conn.Exec(ctx, "INSERT INTO "+p.table("digest_secrets")+" (state_name, secret, created_at) VALUES ($1, $2, now()) ON CONFLICT (state_name) DO NOTHING", p.cfg.StateName, fresh)
	if err != nil {
		return nil, false, p.fail("making the digest secret", err)
	}
	var secret []byte
	if err := conn.QueryRow(ctx, "SELECT secret FROM "+p.table("digest_secrets")+" WHERE state_name = $1", p.cfg.StateName).Scan(&secret); err != nil {
		return nil, false, p.fail("reading the digest secret", err)
	}
	key, err := delivery.NewDigestKey(secret)
	if err != nil {
		return nil, false, fmt.Errorf("the digest secret of the %s is damaged (%v); delete its row in digest_secrets to start a new one (sensitive deliveries already sent then show as changed)", p.Where(), err)
	}
	created := tag.RowsAffected() == 1
	if created {
		p.logger.Info("created the digest secret", "state_name", p.cfg.StateName)
	}
	return key, created, nil
}
