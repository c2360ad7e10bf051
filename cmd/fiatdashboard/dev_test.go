package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fiatdashboard/fiatdashboard/jobs/jobstest"
	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
)

// TestMain lets a test run this binary as the fiatdashboard command
// (FD_TEST_AS_COMMAND=1), so a test can start `dev` as its own process group.
func TestMain(m *testing.M) {
	if os.Getenv("FD_TEST_AS_COMMAND") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestMetricsUnderDev starts `fiatdashboard dev` (server, worker and the
// stripe-mock it starts, in one process group) on a database and a Redis
// database of its own, and scrapes /metrics: it answers 200 with the HTTP and
// queue metrics. It used to answer 500 ("collected metric … was collected
// before with the same name and label values").
func TestMetricsUnderDev(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: starts the whole platform")
	}
	d := dbtest.New(t)
	r := jobstest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "dev")
	cmd.Env = append(os.Environ(), "FD_TEST_AS_COMMAND=1",
		"FD_DATABASE_URL="+d.AppURL, "FD_DATABASE_OWNER_URL="+d.OwnerURL, "FD_DATABASE_SYSTEM_URL="+d.SystemURL, "FD_REDIS_URL="+r.URL,
		"FD_HTTP_ADDR="+addr, "FD_DATA_DIR="+t.TempDir(), "FD_STRIPE_API_URL=", "FD_STRIPE_SECRET_KEY=")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})

	get := func(path string) (int, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, string(b), err
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if code, _, err := get("/readyz"); err == nil && code == http.StatusOK {
			break
		}
		select {
		case <-done:
			t.Fatalf("dev exited before it was ready:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev was not ready within 3 minutes:\n%s", out.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Requests of several methods over kept-alive connections, as the demo
	// samples and a browser make them: fasthttp reuses its header buffers
	// from one request to the next.
	for i := 0; i < 30; i++ {
		method := []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodHead}[i%5]
		req, _ := http.NewRequest(method, "http://"+addr+[]string{"/healthz", "/api/auth/login", "/readyz"}[i%3], strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	// Scrape a few times while the demo samples and the worker run: every
	// scrape must succeed, not only the first.
	for i := 0; i < 5; i++ {
		code, body, err := get("/metrics")
		if err != nil {
			t.Fatalf("GET /metrics: %v", err)
		}
		if code != http.StatusOK {
			t.Fatalf("GET /metrics under dev answered %d:\n%s", code, body)
		}
		for _, name := range []string{"fd_http_requests_total", "go_goroutines", "process_cpu_seconds_total"} {
			if !strings.Contains(body, name) {
				t.Errorf("scrape %d has no %s", i, name)
			}
		}
		time.Sleep(time.Second)
	}

	// The demo storefront's legal details are set, and the sample orders'
	// payments have their invoices, numbered from 1, with those details.
	var invoices []struct {
		Number int64  `db:"number"`
		Seller string `db:"seller_name"`
		TaxID  string `db:"seller_tax_id"`
	}
	deadline = time.Now().Add(3 * time.Minute)
	for {
		invoices = invoices[:0]
		if err := d.Owner(t).Select(&invoices, `SELECT i.number, i.seller_name, i.seller_tax_id FROM invoices i JOIN tenants t ON t.id = i.tenant_id
			WHERE t.slug = 'demo' ORDER BY i.number`); err != nil {
			t.Fatal(err)
		}
		if len(invoices) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if len(invoices) < 3 {
		t.Fatalf("the demo storefront has %d invoices after its three sample orders:\n%s", len(invoices), out.String())
	}
	for i, inv := range invoices {
		if inv.Number != int64(i+1) || inv.Seller != "Demo Cloud B.V." || inv.TaxID != "NL123456789B01" {
			t.Errorf("demo invoice %d = %+v; want number %d from Demo Cloud B.V., NL123456789B01", i, inv, i+1)
		}
	}

	// The demo data runs one app of each kind (issue 19): the demo
	// customer's cluster, Nextcloud and LiveKit, and the co-op customer's
	// Open WebUI from the GPU offer.
	deadline = time.Now().Add(3 * time.Minute)
	var running []string
	for {
		running = running[:0]
		if err := d.Owner(t).Select(&running, `SELECT DISTINCT app FROM deployments WHERE status = 'running' AND app <> 'vm' ORDER BY app`); err != nil {
			t.Fatal(err)
		}
		if len(running) == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if strings.Join(running, ",") != "kubernetes,livekit,nextcloud,openwebui" {
		var states []string
		d.Owner(t).Select(&states, `SELECT name || ' ' || app || ' ' || status || ' ' || failure FROM deployments ORDER BY created_at`)
		t.Errorf("running demo apps = %v; want one of each kind. Deployments:\n%s\n%s", running, strings.Join(states, "\n"), out.String())
	}

	// The co-op has an apps domain: its Open WebUI answers under it through
	// an FQDN gateway; Demo Cloud's apps keep the grid's gateway names.
	var domain, webui string
	if err := d.Owner(t).QueryRow(`SELECT (SELECT domain FROM tenant_apps_domains t JOIN tenants n ON n.id = t.tenant_id WHERE n.slug = 'commons'),
		(SELECT coalesce(string_agg(app_state->>'url', ','), '') FROM deployments WHERE app = 'openwebui' AND status = 'running')`).Scan(&domain, &webui); err != nil {
		t.Fatal(err)
	}
	if domain != "apps.gridcommons.example" || !strings.HasSuffix(webui, "."+domain) {
		t.Errorf("the co-op's apps domain = %q, its Open WebUI at %q", domain, webui)
	}

	// The demo data shows co-op membership by consent: two members who
	// accepted their invitations, and one invitation waiting for an answer.
	var members, pending int
	if err := d.Owner(t).QueryRow(`SELECT (SELECT count(*) FROM coop_members), (SELECT count(*) FROM coop_invitations WHERE email LIKE 'invited@%')`).Scan(&members, &pending); err != nil {
		t.Fatal(err)
	}
	if members != 2 || pending != 1 {
		t.Errorf("the demo co-op has %d members and %d pending invitations; want 2 and 1", members, pending)
	}
}
