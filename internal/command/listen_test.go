package command

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/delivery"
	"github.com/heraldhq/herald/internal/listen"
	"github.com/heraldhq/herald/internal/states"
	"github.com/heraldhq/herald/internal/states/statemgr"
)

const listenConfig = `
provider "kaleyra" {
  sid      = "HXLISTEN01"
  emulator = true
}
sender "ops" {
  number = "+12025550100"
}
message "hello" {
  from = sender.ops
  to   = ["+12025550123"]
  body = "Hello"
  ref  = "r"
}
`

// startListen runs "herald listen" in dir until the test interrupts it,
// returning the callback URL it prints, its output and its exit status.
func startListen(t *testing.T, dir string, args ...string) (url string, stdout, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	interrupt := make(chan struct{}, 1)
	env := &Env{Stdout: stdout, Stderr: stderr, Logger: hclog.NewNullLogger(), Dir: dir, Interrupt: interrupt}
	exit := make(chan int, 1)
	go func() { exit <- Lookup("listen").Run(env, append([]string{"-listen", "127.0.0.1:0"}, args...)) }()
	re := regexp.MustCompile(`at (http://\S+) `)
	waitFor(t, "the listening line", func() bool {
		select {
		case code := <-exit:
			t.Fatalf("listen exited %d:\n%s", code, stderr.String())
		default:
		}
		return re.MatchString(stderr.String())
	})
	url = re.FindStringSubmatch(stderr.String())[1]
	stop = func() int {
		interrupt <- struct{}{}
		select {
		case code := <-exit:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("listen did not stop on interrupt")
			return -1
		}
	}
	return url, stdout, stderr, stop
}

func TestListenRecordsAndStops(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.herald.hcl"), []byte(listenConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	backend := statemgr.NewFilesystem(filepath.Join(dir, "herald.state"), nil)
	st := states.New("lineage-listen")
	st.Set(&states.Delivery{Key: delivery.Key{Sender: "+12025550100", Recipient: "+12025550123", Ref: "r"}, Address: "message.hello", Status: states.Sent, MessageID: "m-1", Attempts: 1})
	st.Serial = 1
	if err := backend.Write(st); err != nil {
		t.Fatal(err)
	}
	const token = "listen-cmd-token"
	t.Setenv("HERALD_LISTEN_TOKEN", token)
	url, stdout, stderr, stop := startListen(t, dir, "-json")
	if !strings.HasSuffix(url, listen.DefaultPath) || !strings.Contains(stderr.String(), "token required; 1 message ids") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
	for _, c := range []struct {
		body   string
		bearer string
		want   int
	}{
		{`{"id":"m-1","status":"delivered","mobile":"12025550123"}`, token, 200},
		{`{"id":"m-9","status":"read","mobile":"12025550123"}`, token, 200},
		{`{"id":"m-1","status":"read"}`, "wrong", 401},
		{`{"id":`, token, 400},
	} {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.body, resp.StatusCode, c.want)
		}
	}
	resp, err := http.Get(strings.TrimSuffix(url, listen.DefaultPath) + listen.HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	var counts listen.Counts
	json.NewDecoder(resp.Body).Decode(&counts)
	resp.Body.Close()
	if counts.Recorded != 2 || counts.Unmatched != 1 || counts.Rejected != 2 {
		t.Errorf("counts %+v", counts)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "Stopped: 4 callbacks received, 2 events recorded (1 unmatched), 2 refused.") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if lines := strings.Split(strings.TrimSpace(stdout.String()), "\n"); len(lines) != 2 || !json.Valid([]byte(lines[0])) {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, token) || strings.Contains(out, "12025550123") {
		t.Errorf("the output holds the token or a number:\n%s", out)
	}
	st, err = statemgr.NewFilesystem(filepath.Join(dir, "herald.state"), nil).Read()
	if err != nil {
		t.Fatal(err)
	}
	d := st.Get(delivery.Key{Sender: "+12025550100", Recipient: "+12025550123", Ref: "r"})
	if d.Receipt == nil || d.Receipt.Status != states.Delivered || d.Status != states.Sent {
		t.Errorf("the delivery after listen: %+v, receipt %+v", d, d.Receipt)
	}
}

func TestListenPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr lockedBuffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: t.TempDir(), Interrupt: make(chan struct{})}
	if code := Lookup("listen").Run(env, []string{"-listen", ln.Addr().String()}); code != ExitError {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), "is in use by another program") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestListenArguments(t *testing.T) {
	t.Setenv("HERALD_LISTEN_TOKEN", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-listen", "0.0.0.0:8788"}, "without a token"},
		{[]string{"-path", "nope"}, "Invalid -path"},
		{[]string{"-json", "-listen", ":1"}, `"summary":"Invalid -listen"`},
		{[]string{"-bogus"}, "Flag provided but not defined"},
	} {
		var stdout, stderr lockedBuffer
		env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Dir: t.TempDir(), Interrupt: make(chan struct{})}
		if code := Lookup("listen").Run(env, c.args); code != ExitError || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", c.args, code, stderr.String(), c.want)
		}
	}
}
