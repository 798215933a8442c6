package command

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/heraldhq/herald/internal/emulator"
)

// lockedBuffer collects a command's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until cond holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestEmulatorCommand runs "herald emulator" as a user would: it prints
// its URL first, accepts a delivery, prints it and appends it to the
// outbox, and stops on an interrupt.
func TestEmulatorCommand(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	var stdout, stderr lockedBuffer
	interrupt := make(chan struct{}, 1)
	env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Interrupt: interrupt}
	exit := make(chan int, 1)
	go func() {
		exit <- Lookup("emulator").Run(env, []string{"-listen", "127.0.0.1:0", "-sid", "HXCMD", "-api-key", "cmd-key", "-outbox", outbox})
	}()

	waitFor(t, "the URL line", func() bool { return strings.Contains(stdout.String(), "\n") })
	url := strings.SplitN(stdout.String(), "\n", 2)[0]
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q is not the URL", url)
	}
	body := "to=%2B12025550123&type=text&channel=whatsapp&from=%2B12025550100&body=Hello&ref=cmd-test"
	req, _ := http.NewRequest("POST", url+"/v1/HXCMD/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("api-key", "cmd-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, want 202", resp.StatusCode)
	}
	waitFor(t, "the delivery line", func() bool {
		return strings.Contains(stdout.String(), `+12025550100 -> +12025550123 text "Hello" ref="cmd-test"`)
	})

	interrupt <- struct{}{}
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit status %d, stderr:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the emulator did not stop on interrupt")
	}
	if !strings.Contains(stderr.String(), "Stopping after 1 requests.") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	data, err := os.ReadFile(outbox)
	if err != nil || strings.Count(string(data), "\n") != 1 || !strings.Contains(string(data), `"ref":"cmd-test"`) {
		t.Errorf("outbox = %q, %v", data, err)
	}
	if strings.Contains(stdout.String()+stderr.String(), "cmd-key") {
		t.Errorf("the emulator printed its api key")
	}
}

func TestEmulatorArguments(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"-listen", "0.0.0.0:8787"}, "not a loopback address"},
		{[]string{"-listen", "8787"}, "not a host:port address"},
		{[]string{"-status-every", "3"}, "-status-every and -status go together"},
		{[]string{"-status", "429"}, "-status-every and -status go together"},
		{[]string{"-status-every", "2", "-status", "42"}, "not an HTTP status code"},
		{[]string{"-hang-every", "-1"}, "must be a positive number"},
		{[]string{"-latency", "-1s"}, "must not be negative"},
		{[]string{"-retry-after", "1"}, "only applies with -status-every"},
		{[]string{"extra"}, `Unexpected argument "extra"`},
		{[]string{"-receipt-delay", "-1s"}, "-receipt-delay must not be negative"},
		{[]string{"-receipt-delay", "5"}, "needs its unit"},
		{[]string{"-fail-to", "+12025550123"}, "The -fail-to value is wrong: \"+12025550123\" is not NUMBER:CODE"},
		{[]string{"-fail-to", "12025550123:131026"}, "E.164"},
		{[]string{"-inbound-url", "https://hooks.example.com/in"}, "is not an http URL on a"},
		{[]string{"-inbound-url", "ftp://127.0.0.1/x"}, "is not an http URL on a"},
	}
	for _, tt := range tests {
		var stdout, stderr lockedBuffer
		env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger()}
		if _, status, ok := parseEmulatorArguments(env, tt.args); ok || status != ExitError || !strings.Contains(stderr.String(), tt.err) {
			t.Errorf("%q: ok=%v status=%d stderr=%q; want %q", tt.args, ok, status, stderr.String(), tt.err)
		}
	}
}

// TestEmulatorFaultFlags: each fault option reaches the emulator as the
// fault it names (what each fault does is the kaleyra contract tests').
func TestEmulatorFaultFlags(t *testing.T) {
	var stdout, stderr lockedBuffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger()}
	a, _, ok := parseEmulatorArguments(env, []string{
		"-latency", "250ms", "-status-every", "2", "-status", "429", "-retry-after", "3",
		"-hang-every", "5", "-reset-every", "7", "-accept-500-every", "11",
	})
	if !ok {
		t.Fatalf("options refused: %s", stderr.String())
	}
	want := emulator.Faults{
		Latency: 250 * time.Millisecond, StatusEvery: 2, Status: 429, RetryAfter: "3",
		HangEvery: 5, ResetEvery: 7, Accept500Every: 11,
	}
	if a.options.Faults != want {
		t.Errorf("faults = %+v, want %+v", a.options.Faults, want)
	}
	if a.options.ReceiptDelay != emulator.DefaultReceiptDelay {
		t.Errorf("receipt delay %s by default", a.options.ReceiptDelay)
	}
}

func TestEmulatorReceiptFlags(t *testing.T) {
	var stdout, stderr lockedBuffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger()}
	a, _, ok := parseEmulatorArguments(env, []string{
		"-receipt-delay", "1s", "-fail-to", "+12025550123:131026,+12025550124:131047", "-inbound-url", "http://127.0.0.1:8788/kaleyra",
	})
	if !ok {
		t.Fatalf("options refused: %s", stderr.String())
	}
	if a.options.ReceiptDelay != time.Second || a.options.InboundURL != "http://127.0.0.1:8788/kaleyra" ||
		a.options.FailTo["+12025550123"] != "131026" || a.options.FailTo["+12025550124"] != "131047" {
		t.Errorf("options %+v", a.options)
	}
}

func TestEmulatorPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr lockedBuffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Logger: hclog.NewNullLogger(), Interrupt: make(chan struct{})}
	if code := Lookup("emulator").Run(env, []string{"-listen", ln.Addr().String()}); code != ExitError {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), "is in use by another program") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
