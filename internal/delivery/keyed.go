package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// A digest of sensitive content is keyed: an HMAC-SHA-256 under a secret
// that each ledger keeps apart from its state and that plan files never
// hold. An unkeyed digest of a one-time code or a short PIN can be
// reversed by hashing every candidate, in milliseconds; without the secret,
// a keyed one cannot. It is written
//
//	hmac-sha256:KEYID:HEX
//
// where KEYID names the secret (it is derived from it, and reveals nothing
// of the content) so that a plan can tell content that changed from
// content digested under a secret since lost or replaced.
const keyedPrefix = "hmac-sha256:"

// DigestSecretSize is the length in bytes of a ledger's digest secret.
const DigestSecretSize = 32

// DigestKey is a ledger's digest secret, ready to key digests. Its String
// never shows the secret.
type DigestKey struct {
	secret []byte
	id     string
}

// NewDigestKey returns the key for secret, which must be
// DigestSecretSize random bytes.
func NewDigestKey(secret []byte) (*DigestKey, error) {
	if len(secret) != DigestSecretSize {
		return nil, fmt.Errorf("a digest secret is %d bytes, not %d", DigestSecretSize, len(secret))
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("herald.digest-key.id"))
	return &DigestKey{secret: append([]byte(nil), secret...), id: hex.EncodeToString(m.Sum(nil)[:8])}, nil
}

// Secret is the secret itself, for the state backend that stores it
// and nothing else.
func (k *DigestKey) Secret() []byte { return append([]byte(nil), k.secret...) }

// ID names the secret without revealing it.
func (k *DigestKey) ID() string { return k.id }

// String shows the key's ID only, so that a key passed to a log or a
// format verb by mistake leaks nothing.
func (k *DigestKey) String() string { return "digest key " + k.id }

// GoString is String, for %#v.
func (k *DigestKey) GoString() string { return k.String() }

// KeyedDigest is c's digest under k: the same canonical encoding as
// Digest, through HMAC-SHA-256.
func (c Content) KeyedDigest(k *DigestKey) Digest {
	m := hmac.New(sha256.New, k.secret)
	writeContent(m, "herald.delivery.keyed.v1", c, true)
	return Digest(keyedPrefix + k.id + ":" + hex.EncodeToString(m.Sum(nil)))
}

// KeyID is the ID of the secret a keyed digest was made with, and false
// for an unkeyed digest.
func (d Digest) KeyID() (string, bool) {
	rest, ok := strings.CutPrefix(string(d), keyedPrefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, ":")
	return id, ok
}

// Valid reports whether d is written as a digest: 64 hex digits, or a
// keyed digest.
func (d Digest) Valid() bool {
	s := string(d)
	if rest, ok := strings.CutPrefix(s, keyedPrefix); ok {
		id, sum, ok := strings.Cut(rest, ":")
		return ok && len(id) == 16 && isHex(id) && len(sum) == 64 && isHex(sum)
	}
	return len(s) == 64 && isHex(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// KeyDigest sets the Digest of a sensitive instance to its keyed digest
// under k; a non-sensitive instance keeps its unkeyed one, so that
// deliveries sent before keyed digests existed still match. It must be
// called before a sensitive instance is planned or compared.
func (in *Instance) KeyDigest(k *DigestKey) {
	if !in.Sensitive {
		return
	}
	in.Digest = in.Content.KeyedDigest(k)
}

// Matches reports whether a recorded digest d is that of in's content: its
// Digest, or, for sensitive content, the unkeyed digest that records made
// before herald keyed such digests hold.
// Only such old records pay for computing the unkeyed digest.
func (in *Instance) Matches(d Digest) bool {
	if d == in.Digest {
		return true
	}
	if _, keyed := d.KeyID(); keyed || !in.Sensitive {
		return false
	}
	return d == in.Content.Digest()
}

// ForeignKey reports whether in is sensitive and d is a keyed digest made
// under a secret other than the one in's digest is keyed with: the ledger's
// secret was lost or replaced since d was recorded, so whether the content
// changed cannot be told.
func (in *Instance) ForeignKey(d Digest) bool {
	if !in.Sensitive {
		return false
	}
	was, ok := d.KeyID()
	now, ok2 := in.Digest.KeyID()
	return ok && ok2 && was != now
}
