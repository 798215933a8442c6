package statemgr

import (
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// The passwords of connection strings are found in every form they are
// written in, parsed or not, and cut from errors and log lines.
func TestConnSecrets(t *testing.T) {
	const pw = `p@ss:w/rd?#&=%+ 'q"\x`
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGSSLPASSWORD", "")
	for _, tt := range []struct{ name, connStr string }{
		{"URL", "postgres://u:" + url.PathEscape(pw) + "@db.example:5432/ledger"},
		{"URL, user info escaped", (&url.URL{Scheme: "postgresql", User: url.UserPassword("u", pw), Host: "db.example", Path: "/ledger"}).String()},
		{"URL, not escaped", "postgres://u:" + pw + "@db.example/ledger"},
		{"URL, password in the query", "postgres://u@db.example/ledger?password=" + url.QueryEscape(pw)},
		{"key=value, quoted", "host=db.example user=u password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw) + "' dbname=ledger"},
		{"key=value, quote not closed", "host=db.example password='" + pw},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := connSecrets(tt.connStr, "")
			for _, text := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw)} {
				if got := s.String("failed: " + text + " (x)"); strings.Contains(got, text) {
					t.Errorf("%q: the password is left in %q", tt.connStr, got)
				}
			}
		})
	}
	t.Run("PGPASSWORD", func(t *testing.T) {
		t.Setenv("PGPASSWORD", pw)
		if got := connSecrets("host=db.example", "").String(pw); got == pw {
			t.Errorf("PGPASSWORD is not cut: %q", got)
		}
	})
	t.Run("an error that echoes the connection string", func(t *testing.T) {
		connStr := "postgres://u:" + url.QueryEscape(pw) + "@db.example/ledger"
		p := NewPostgres(PostgresConfig{ConnStr: connStr}, nil)
		got := p.describe(errorString("cannot use `" + connStr + "`: password " + pw))
		if strings.Contains(got, url.QueryEscape(pw)) || strings.Contains(got, pw) {
			t.Errorf("describe left the password in %q", got)
		}
	})
	t.Run("logger", func(t *testing.T) {
		var buf strings.Builder
		l := newRedactingLogger(hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Trace}), connSecrets("", pw)).Named("state")
		l.Debug("connecting with "+pw, "error", errorString("dial "+url.QueryEscape(pw)), "dsn", "x"+pw)
		l.With("p", pw).Info("ok")
		if strings.Contains(buf.String(), pw) || strings.Contains(buf.String(), url.QueryEscape(pw)) {
			t.Errorf("the log shows the password:\n%s", buf.String())
		}
	})
}

type errorString string

func (e errorString) Error() string { return string(e) }
