// Package stripemock runs stripe-mock, Stripe's own mock API server (pinned
// as a tool in go.mod), for development and tests. It is never used when a
// real Stripe key is configured.
package stripemock

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running stripe-mock.
type Server struct {
	// URL is its HTTP API base, e.g. http://127.0.0.1:41234.
	URL string
	cmd *exec.Cmd
}

// Binary returns the path of the stripe-mock binary: FD_STRIPE_MOCK_BIN when
// set, else the one `go tool` builds (and caches) from go.mod's tool line.
func Binary(ctx context.Context) (string, error) {
	if b := os.Getenv("FD_STRIPE_MOCK_BIN"); b != "" {
		return b, nil
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "-n", "stripe-mock").Output()
	if err != nil {
		return "", fmt.Errorf("stripe-mock: `go tool -n stripe-mock` failed (run from inside the repository): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Start runs stripe-mock with both listeners on 127.0.0.1 free ports and
// waits until it answers. The process dies with its parent.
func Start(ctx context.Context) (*Server, error) {
	bin, err := Binary(ctx)
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort), "-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("stripe-mock: start: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort), cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/v1/balance", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("stripe-mock did not answer at %s within 30s", s.URL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the server.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		}
	}
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
)

// ForTest returns the stripe-mock shared by every test of this test binary,
// starting it on first use; it dies with the test binary. stripe-mock keeps
// no state, so sharing it cannot couple tests.
func ForTest(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start(context.Background()) })
	if sharedErr != nil {
		t.Fatalf("stripemock: %v", sharedErr)
	}
	return shared
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
