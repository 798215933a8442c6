package arguments

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParseListen(t *testing.T) {
	env := func(token string) func(string) string {
		return func(name string) string {
			if name == ListenTokenEnv {
				return token
			}
			return ""
		}
	}
	for _, c := range []struct {
		name  string
		args  []string
		env   string
		want  Listen
		error string
	}{
		{"defaults", nil, "", Listen{Addr: "127.0.0.1:8788", Path: "/kaleyra"}, ""},
		{"all", []string{"-listen", "0.0.0.0:9000", "-path", "/cb", "-token", "t", "-json"}, "", Listen{Addr: "0.0.0.0:9000", Path: "/cb", Token: "t", JSON: true}, ""},
		{"token from the environment", []string{"-listen", "[::]:9000"}, "e", Listen{Addr: "[::]:9000", Path: "/kaleyra", Token: "e"}, ""},
		{"-token wins", []string{"-token", "flag"}, "e", Listen{Addr: "127.0.0.1:8788", Path: "/kaleyra", Token: "flag"}, ""},
		{"open without a token", []string{"-listen", "0.0.0.0:8788"}, "", Listen{}, "is not a loopback address, and without a token"},
		{"all interfaces without a token", []string{"-listen", ":8788"}, "", Listen{}, "is not a loopback address"},
		{"bad address", []string{"-listen", "8788"}, "", Listen{}, "is not host:port"},
		{"bad path", []string{"-path", "kaleyra"}, "", Listen{}, "must be a URL path"},
		{"healthz path", []string{"-path", "/healthz"}, "", Listen{}, "where the counters are served"},
		{"argument", []string{"extra"}, "", Listen{}, "takes only options"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := flag.NewFlagSet("listen", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			l, diags, err := ParseListen(fs, c.args, env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.error != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), c.error) {
					t.Fatalf("diagnostics %v, want %q", diags, c.error)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if *l != c.want {
				t.Errorf("got %+v, want %+v", *l, c.want)
			}
		})
	}
}
