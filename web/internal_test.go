package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/web"
)

// TestMetricsOnTheInternalListenerAfterMixedTraffic proves /metrics answers
// 200 on the internal listener after traffic of every method, with method
// labels that are whole HTTP methods (Fiber reuses the buffer c.Method()
// points into: kept uncopied, labels read "OPT", "POS"…, and the registry
// then fails with "collected before with the same name and label values").
func TestMetricsOnTheInternalListenerAfterMixedTraffic(t *testing.T) {
	h := newHarness(t, nil)
	methods := []string{"GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD"}
	paths := []string{"/api/site", "/api/catalog", "/healthz", "/api/auth/login", "/api/deployments", "/nowhere"}
	for i := 0; i < 6; i++ {
		for _, m := range methods {
			for _, p := range paths {
				h.do(t, m, "console.localhost", p)
			}
		}
	}
	res, err := h.srv.Internal().Test(httptest.NewRequest("GET", "/metrics", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("internal /metrics = %d %s, want 200", res.StatusCode, b)
	}
	valid := map[string]bool{}
	for _, m := range methods {
		valid[m] = true
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`fd_http_requests_total\{method="([^"]*)"`).FindAllStringSubmatch(string(b), -1) {
		if !valid[m[1]] {
			t.Errorf("metrics carry a corrupted method label %q", m[1])
		}
		seen[m[1]] = true
	}
	for _, m := range methods {
		if !seen[m] {
			t.Errorf("metrics lack method %s", m)
		}
	}
}

// TestOperationsEndpointsAreNotPublic proves /metrics and /internal/tls-ask
// answer 404 on the public listener (console host, storefront host, bare
// IP) unless the peer is configured, and never on a storefront's host.
func TestOperationsEndpointsAreNotPublic(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.store.Create(context.Background(), tenant.NewTenant{Slug: "shop", Name: "Shop", Status: tenant.StatusActive}); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"shop.localhost", "console.localhost", "127.0.0.1:8080"} {
		for _, p := range []string{"/metrics", "/internal/tls-ask?domain=shop.localhost"} {
			if res, body := h.do(t, "GET", host, p); res.StatusCode != 404 || strings.Contains(body, "fd_http") {
				t.Errorf("public %s%s = %d, want 404", host, p, res.StatusCode)
			}
		}
	}
	if res, err := h.srv.Internal().Test(httptest.NewRequest("GET", "/internal/tls-ask?domain=shop.localhost", nil), -1); err != nil || res.StatusCode != 200 {
		t.Errorf("internal tls-ask for an active storefront = %v %v, want 200", res.StatusCode, err)
	}

	// A configured peer (judged by the connection) may scrape on the public
	// listener, but never on a storefront's host.
	ha := newHarnessConfig(t, nil, web.Config{Version: "test", StripeMode: "mock", InternalAllow: []string{"127.0.0.1/32"}})
	if _, err := ha.store.Create(context.Background(), tenant.NewTenant{Slug: "shop", Name: "Shop", Status: tenant.StatusActive}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go ha.srv.Serve(ctx, ln, time.Second)
	t.Cleanup(cancel)
	get := func(host string) int {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/metrics", nil)
		req.Host = host
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := get("127.0.0.1"); st != 200 {
		t.Errorf("allowed peer /metrics = %d, want 200", st)
	}
	if st := get("shop.localhost"); st != 404 {
		t.Errorf("allowed peer /metrics on a storefront host = %d, want 404", st)
	}
}

// TestSecurityHeaders proves every page and API answer carries a CSP that
// forbids framing and allows Stripe.js, X-Frame-Options, nosniff and a
// Referrer-Policy; API answers are never stored; HSTS only over TLS as told
// by a trusted proxy.
func TestSecurityHeaders(t *testing.T) {
	h := newHarnessConfig(t, nil, web.Config{Version: "test", StripeMode: "mock", TrustedProxies: []string{"0.0.0.0"}})
	for _, p := range []string{"/", "/admin", "/console", "/api/site", "/api/me"} {
		res, _ := h.do(t, "GET", "console.localhost", p)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "https://js.stripe.com", "default-src 'self'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v lack X-Frame-Options DENY, nosniff or Referrer-Policy", p, res.Header)
		}
		if strings.HasPrefix(p, "/api/") && res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", p, res.Header.Get("Cache-Control"))
		}
		if res.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s over plain HTTP sets HSTS", p)
		}
	}
	req := httptest.NewRequest("GET", "/api/site", nil)
	req.Host = "console.localhost"
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := h.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("HTTPS through a trusted proxy: no HSTS (%v)", res.Header)
	}
}
