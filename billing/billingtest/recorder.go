package billingtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
)

// StripeRequest is one request a service sent to Stripe.
type StripeRequest struct {
	Method, Path   string
	Form           url.Values
	Account        string // the Stripe-Account header
	HasAccount     bool
	IdempotencyKey string
}

// Recorder stands between a service and stripe-mock and records every
// request, so a test asserts what was asked of Stripe.
type Recorder struct {
	mu   sync.Mutex
	reqs []StripeRequest
	// rewrite, when set, edits stripe-mock's answers (its fixtures are one
	// object per resource, whatever was asked).
	rewrite func(req *http.Request, body map[string]any)
}

// Rewrite makes the recorder edit stripe-mock's answers with fn from now on.
func (r *Recorder) Rewrite(fn func(req *http.Request, body map[string]any)) {
	r.mu.Lock()
	r.rewrite = fn
	r.mu.Unlock()
}

// Start starts the recorder in front of a stripe-mock of the test and
// returns its URL (billing.Config.APIURL).
func (r *Recorder) Start(t *testing.T) string {
	t.Helper()
	target, _ := url.Parse(stripemock.ForTest(t).URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		r.mu.Lock()
		rw := r.rewrite
		r.mu.Unlock()
		if rw == nil || res.StatusCode != 200 {
			return nil
		}
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		var body map[string]any
		if json.Unmarshal(b, &body) == nil {
			rw(res.Request, body)
			b, _ = json.Marshal(body)
		}
		res.Body = io.NopCloser(bytes.NewReader(b))
		res.ContentLength = int64(len(b))
		res.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		form, _ := url.ParseQuery(string(body))
		_, has := req.Header["Stripe-Account"]
		r.mu.Lock()
		r.reqs = append(r.reqs, StripeRequest{Method: req.Method, Path: req.URL.Path, Form: form, Account: req.Header.Get("Stripe-Account"),
			HasAccount: has, IdempotencyKey: req.Header.Get("Idempotency-Key")})
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Posts returns the POSTs whose path starts with prefix and ends with suffix.
func (r *Recorder) Posts(prefix, suffix string) []StripeRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []StripeRequest
	for _, q := range r.reqs {
		if q.Method == "POST" && strings.HasPrefix(q.Path, prefix) && strings.HasSuffix(q.Path, suffix) {
			out = append(out, q)
		}
	}
	return out
}
