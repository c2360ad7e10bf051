package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// streamWorld is a world serving on a socket (streams need one), with a
// deployment of ann's that is still provisioning.
type streamWorld struct {
	*world
	addr string
	dep  uuid.UUID
}

func newStreamWorld(t *testing.T) *streamWorld {
	t.Helper()
	w := newWorld(t)
	w.h.srv.SetStreamSessionCheck(100 * time.Millisecond)
	owner := ownerDB(t, w.h.db)
	dep := seedProvisioning(t, owner, w.alpha.ID, "ann@alpha.test")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go w.h.srv.Serve(ctx, ln, time.Second)
	return &streamWorld{world: w, addr: ln.Addr().String(), dep: dep}
}

// progressStream is an open GET /api/deployments/{id}/events.
type progressStream struct {
	status int
	header http.Header
	body   string        // the answer's body when it is not a stream
	ended  chan struct{} // closed when the server ends the stream
	cancel context.CancelFunc
}

func (sw *streamWorld) open(t *testing.T, b *browser) *progressStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+sw.addr+"/api/deployments/"+sw.dep.String()+"/events", nil)
	req.Host = "alpha.localhost"
	var cs []string
	for k, v := range b.cookies {
		cs = append(cs, k+"="+v)
	}
	req.Header.Set("Cookie", strings.Join(cs, "; "))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	s := &progressStream{status: res.StatusCode, header: res.Header, ended: make(chan struct{}), cancel: cancel}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		s.body = string(raw)
		close(s.ended)
		return s
	}
	go func() {
		defer close(s.ended)
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
	}()
	return s
}

func (s *progressStream) endsWithin(d time.Duration) bool {
	select {
	case <-s.ended:
		return true
	case <-time.After(d):
		return false
	}
}

// sessionOf is the session id in the browser's access token.
func sessionOf(t *testing.T, b *browser) string {
	t.Helper()
	parts := strings.Split(b.cookies["fd_access"], ".")
	if len(parts) != 3 {
		t.Fatalf("no access token: %q", b.cookies["fd_access"])
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &c); err != nil || c.SID == "" {
		t.Fatalf("access token claims %s: %v", raw, err)
	}
	return c.SID
}

// TestProgressStreamsAreCappedPerSession: a session holds at most four
// progress streams at once; the fifth is a 429 JSON answer with
// Retry-After; another session is not affected; a closed stream frees its
// place.
func TestProgressStreamsAreCappedPerSession(t *testing.T) {
	sw := newStreamWorld(t)
	b := sw.h.browser(t, "alpha.localhost")
	b.login("ann@alpha.test", pw)
	var open []*progressStream
	for i := 0; i < 4; i++ {
		s := sw.open(t, b)
		if s.status != 200 || s.body != "" {
			t.Fatalf("stream %d = %d %s; want 200 and a stream", i+1, s.status, s.body)
		}
		open = append(open, s)
	}
	fifth := sw.open(t, b)
	if fifth.status != 429 || fifth.header.Get("Retry-After") == "" || !strings.Contains(fifth.body, `"error"`) {
		t.Errorf("the fifth stream of a session = %d (Retry-After %q) %s; want 429 JSON with Retry-After", fifth.status, fifth.header.Get("Retry-After"), fifth.body)
	}
	other := sw.h.browser(t, "alpha.localhost")
	other.login("ann@alpha.test", pw)
	if s := sw.open(t, other); s.status != 200 {
		t.Errorf("a stream of another session = %d %s; want 200", s.status, s.body)
	}
	// The client leaves one stream; the server notices and frees its place.
	open[0].cancel()
	eventually(t, "a closed stream frees its place", func() bool {
		s := sw.open(t, b)
		if s.status == 200 {
			s.cancel()
		}
		return s.status == 200
	})
}

// TestProgressStreamsEndWithTheSession: signing out ends the session's open
// streams at once; a session ended elsewhere (another instance: only its
// revocation mark is seen) ends them within the check interval; signing out
// everywhere ends every session's streams.
func TestProgressStreamsEndWithTheSession(t *testing.T) {
	sw := newStreamWorld(t)
	b := sw.h.browser(t, "alpha.localhost")
	b.login("ann@alpha.test", pw)
	s := sw.open(t, b)
	if s.status != 200 {
		t.Fatalf("stream = %d %s", s.status, s.body)
	}
	if s.endsWithin(300 * time.Millisecond) {
		t.Fatal("the stream ended by itself")
	}
	b.must(204, "POST", "/api/auth/logout", nil)
	if !s.endsWithin(2 * time.Second) {
		t.Error("the stream is still open 2 s after its session signed out")
	}

	// Revoked on another instance: this one sees only the revocation mark.
	c := sw.h.browser(t, "alpha.localhost")
	c.login("ann@alpha.test", pw)
	s = sw.open(t, c)
	if s.status != 200 {
		t.Fatalf("stream = %d %s", s.status, s.body)
	}
	if err := sw.h.rdb.Set(context.Background(), "fd:session:revoked:"+sessionOf(t, c), 1, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if !s.endsWithin(2 * time.Second) {
		t.Error("the stream is still open 2 s after its session was revoked elsewhere")
	}

	// Signing out everywhere ends the streams of every session.
	d1 := sw.h.browser(t, "alpha.localhost")
	d1.login("ann@alpha.test", pw)
	d2 := sw.h.browser(t, "alpha.localhost")
	d2.login("ann@alpha.test", pw)
	s1, s2 := sw.open(t, d1), sw.open(t, d2)
	if s1.status != 200 || s2.status != 200 {
		t.Fatalf("streams = %d, %d", s1.status, s2.status)
	}
	d1.must(204, "POST", "/api/auth/logout-all", nil)
	if !s1.endsWithin(2*time.Second) || !s2.endsWithin(2*time.Second) {
		t.Error("streams are still open 2 s after signing out everywhere")
	}
}
