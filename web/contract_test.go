package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The API's contract is web/openapi.json: every response a web test gets
// from the server is validated against it (status documented, body matching
// its schema), so the document cannot drift from what the handlers send.

var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadContract(t testing.TB) routers.Router {
	t.Helper()
	contract.once.Do(func() {
		b, err := os.ReadFile("openapi.json")
		if err != nil {
			contract.err = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(b)
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			contract.err = err
			return
		}
		contract.doc = doc
		// Receipts are HTML pages: checked as a string, like plain text.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
		contract.router, contract.err = gorillamux.NewRouter(doc)
	})
	if contract.err != nil {
		t.Fatalf("web/openapi.json: %v", contract.err)
	}
	return contract.router
}

// checkContract validates a response the server gave to req against
// web/openapi.json and returns what is wrong, or "" when it conforms (or is
// not part of the API: the UI's pages and assets, /metrics, an unknown
// path's 404). A Server-Sent Events stream is checked by status and type
// only: its body does not end.
func checkContract(t testing.TB, req *http.Request, res *http.Response, body []byte) string {
	router := loadContract(t)
	u := *req.URL
	u.Scheme, u.Host = "http", req.Host
	probe := req.Clone(context.Background())
	probe.URL = &u
	probe.Body = http.NoBody
	// Fiber answers HEAD on every GET route, with the GET's status and
	// headers and no body: it is checked as that GET.
	head := req.Method == http.MethodHead
	if head {
		probe.Method = http.MethodGet
	}
	route, params, err := router.FindRoute(probe)
	if err != nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed ||
			!(strings.HasPrefix(req.URL.Path, "/api/") || strings.HasPrefix(req.URL.Path, "/webhooks/")) {
			return ""
		}
		return req.Method + " " + req.URL.Path + " is not in web/openapi.json"
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: probe, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.StatusCode,
		Header: res.Header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: false, // undocumented error statuses (429, 5xx) pass; documented ones are checked
			MultiError:            true,
			ExcludeResponseBody:   head || strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream"),
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return req.Method + " " + route.Path + " answered " + res.Status + " not as web/openapi.json says: " + err.Error()
	}
	return ""
}

// send is the one way web tests talk to the server: it sends req through
// the Fiber app (timeout in milliseconds, -1 for none) and fails the test
// when the response does not conform to web/openapi.json. The body stays
// readable by the caller.
func (h *harness) send(t testing.TB, req *http.Request, timeout int) *http.Response {
	t.Helper()
	probe := req.Clone(context.Background())
	res, err := h.srv.App().Test(req, timeout)
	if err != nil {
		t.Fatalf("%s %s%s: %v", req.Method, req.Host, req.URL.Path, err)
	}
	var body []byte
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		body, _ = io.ReadAll(res.Body)
		res.Body = io.NopCloser(bytes.NewReader(body))
	}
	if msg := checkContract(t, probe, res, body); msg != "" {
		t.Errorf("%s\n%s", msg, truncate(body, 600))
	}
	return res
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
