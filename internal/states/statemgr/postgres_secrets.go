package statemgr

import (
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/redact"
)

// connSecrets finds the passwords a connection string and libpq's
// variables hold, so that they can be cut from what a library or the
// server says: the parsed password (which may come from PGPASSWORD or a
// password file), and what the string itself seems to hold in a password
// position. The string is read as leniently as can be, since one that
// does not parse is the one whose error is likeliest to quote it.
func connSecrets(connStr, parsed string) *redact.Secrets {
	found := []string{parsed, os.Getenv("PGPASSWORD"), os.Getenv("PGSSLPASSWORD")}
	add := func(s string) {
		found = append(found, s)
		if u, err := url.PathUnescape(s); err == nil {
			found = append(found, u)
		}
		if u, err := url.QueryUnescape(s); err == nil {
			found = append(found, u)
		}
	}
	if rest, ok := cutScheme(connStr); ok {
		// USER:PASSWORD@HOST: a password holding an unescaped "@" makes
		// the end of the user part ambiguous, so every "@" before the
		// path is a candidate end.
		authority, query := rest, ""
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			authority, query = rest[:i], rest[i+1:]
		}
		if user, pass, ok := strings.Cut(authority, ":"); ok && !strings.Contains(user, "@") {
			for i := 0; i < len(pass); i++ {
				if pass[i] == '@' {
					add(pass[:i])
				}
			}
		}
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if k, _ := url.QueryUnescape(k); k == "password" || k == "sslpassword" {
				add(v)
			}
		}
	} else {
		for _, m := range kvPassword.FindAllStringSubmatch(connStr, -1) {
			v := m[1]
			if strings.HasPrefix(v, "'") {
				v = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
				found = append(found, v)
				v = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v)
			}
			found = append(found, v)
		}
	}
	return redact.New(found...)
}

// kvPassword finds password and sslpassword in libpq's key=value form,
// quoted or not.
var kvPassword = regexp.MustCompile(`(?:^|\s)(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'?|\S+)`)

func cutScheme(s string) (string, bool) {
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		if rest, ok := strings.CutPrefix(s, scheme); ok {
			return rest, true
		}
	}
	return "", false
}

// redactingLogger cuts secrets from a logger's messages and string
// values, so that no log line of the backend, whatever it quotes, shows
// the database password.
type redactingLogger struct {
	hclog.Logger
	secrets *redact.Secrets
}

func newRedactingLogger(l hclog.Logger, s *redact.Secrets) hclog.Logger {
	return &redactingLogger{Logger: l, secrets: s}
}

func (l *redactingLogger) args(args []interface{}) []interface{} {
	out := make([]interface{}, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = l.secrets.String(v)
		case error:
			out[i] = l.secrets.String(v.Error())
		case interface{ String() string }:
			out[i] = l.secrets.String(v.String())
		default:
			out[i] = a
		}
	}
	return out
}

func (l *redactingLogger) Log(level hclog.Level, msg string, args ...interface{}) {
	l.Logger.Log(level, l.secrets.String(msg), l.args(args)...)
}
func (l *redactingLogger) Trace(msg string, args ...interface{}) { l.Log(hclog.Trace, msg, args...) }
func (l *redactingLogger) Debug(msg string, args ...interface{}) { l.Log(hclog.Debug, msg, args...) }
func (l *redactingLogger) Info(msg string, args ...interface{})  { l.Log(hclog.Info, msg, args...) }
func (l *redactingLogger) Warn(msg string, args ...interface{})  { l.Log(hclog.Warn, msg, args...) }
func (l *redactingLogger) Error(msg string, args ...interface{}) { l.Log(hclog.Error, msg, args...) }

func (l *redactingLogger) With(args ...interface{}) hclog.Logger {
	return newRedactingLogger(l.Logger.With(l.args(args)...), l.secrets)
}

func (l *redactingLogger) Named(name string) hclog.Logger {
	return newRedactingLogger(l.Logger.Named(name), l.secrets)
}

func (l *redactingLogger) ResetNamed(name string) hclog.Logger {
	return newRedactingLogger(l.Logger.ResetNamed(name), l.secrets)
}
