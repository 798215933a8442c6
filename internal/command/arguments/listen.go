package arguments

import (
	"flag"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/heraldhq/herald/internal/listen"
)

// ListenTokenEnv names the environment variable that holds the listen
// token, which keeps it out of the process list that -token shows it in.
const ListenTokenEnv = "HERALD_LISTEN_TOKEN"

// Listen is herald listen's command line.
type Listen struct {
	// Addr is -listen, host:port.
	Addr string
	// Path is where callbacks are served.
	Path string
	// Token is -token, or else HERALD_LISTEN_TOKEN; "" for none.
	Token string
	// JSON logs recorded events as JSON lines.
	JSON bool
}

// DefaultListenAddr is where herald listen serves unless told otherwise.
const DefaultListenAddr = "127.0.0.1:8788"

// ParseListen parses herald listen's command line; getenv reads
// HERALD_LISTEN_TOKEN.
func ParseListen(fs *flag.FlagSet, args []string, getenv func(string) string) (l *Listen, diags hcl.Diagnostics, err error) {
	l = &Listen{}
	fs.StringVar(&l.Addr, "listen", DefaultListenAddr, "serve on `ADDR`, host:port; without a token only a loopback address")
	fs.StringVar(&l.Path, "path", listen.DefaultPath, "serve callbacks at `PATH`")
	fs.StringVar(&l.Token, "token", "", "require `TOKEN` with every callback (default $"+ListenTokenEnv+")")
	fs.BoolVar(&l.JSON, "json", false, "log each recorded event as a JSON line")
	if err := parse(fs, args); err != nil {
		return l, nil, err
	}
	if fs.NArg() > 0 {
		diags = append(diags, errorf("Unexpected argument", "The listen command takes only options, not %q.", fs.Arg(0)))
	}
	if l.Token == "" && getenv != nil {
		l.Token = strings.TrimSpace(getenv(ListenTokenEnv))
	}
	if !strings.HasPrefix(l.Path, "/") || l.Path == listen.HealthPath || strings.ContainsAny(l.Path, " ?#{}") {
		diags = append(diags, errorf("Invalid -path", "The -path value %q must be a URL path starting with /, without spaces, ? or #, and other than %s, where the counters are served.", l.Path, listen.HealthPath))
	}
	if err := listen.CheckAddress(l.Addr, l.Token); err != nil {
		diags = append(diags, errorf("Invalid -listen", "%s.", capitalFirst(err.Error())))
	}
	return l, diags, nil
}
