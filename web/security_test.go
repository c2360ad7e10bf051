package web_test

// The security suite: generated from the OpenAPI document, so a route added
// by anyone is covered (or the suite fails naming it).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

type apiRoute struct {
	Method, Path string
	op           map[string]any
}

// openAPIRoutes lists every operation of web/openapi.json.
func openAPIRoutes(t *testing.T) ([]apiRoute, map[string]any) {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []apiRoute
	for p, v := range doc["paths"].(map[string]any) {
		for m, op := range v.(map[string]any) {
			switch m {
			case "get", "post", "put", "delete", "patch":
				out = append(out, apiRoute{strings.ToUpper(m), p, op.(map[string]any)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path+out[i].Method < out[j].Path+out[j].Method })
	return out, doc
}

// crossTenantIDs names, for every route with a path parameter, which kind
// of bravo's objects it is tried with (see bravoObjects). "self" marks a
// parameter that names no object of a tenant (the caller's own branding
// slot, a job queue): the route is listed so the suite knows it was
// considered, and skipped. A route of the OpenAPI document missing here
// fails TestCrossTenantByID: add it when you add the route.
var crossTenantIDs = map[string]string{
	"DELETE /api/account/sessions/{id}":                   "session",
	"DELETE /api/tokens/{id}":                             "token",
	"PUT /api/admin/members/{id}/roles":                   "account",
	"POST /api/admin/node-operator-requests/{id}/approve": "random",
	"POST /api/admin/node-operator-requests/{id}/reject":  "random",
	"POST /api/admin/node-operator-requests/{id}/revoke":  "random",
	"GET /api/console/outbox/{id}":                        "outbox",
	"GET /branding/{kind}":                                "self",
	"POST /api/console/tenants/{id}/suspend":              "tenant",
	"POST /api/console/tenants/{id}/activate":             "tenant",
	"POST /api/console/applications/{id}/approve":         "random",
	"POST /api/console/applications/{id}/reject":          "random",
	"PUT /api/admin/branding/{kind}":                      "self",
	"DELETE /api/admin/branding/{kind}":                   "self",
	"POST /api/admin/domains/{id}/verify":                 "domain",
	"DELETE /api/admin/domains/{id}":                      "domain",
	"DELETE /api/admin/coop-members/{id}":                 "account",
	"DELETE /api/admin/coop-invitations/{id}":             "coopinvite",
	"POST /api/coop/invitations/{id}/accept":              "coopinvite",
	"POST /api/coop/invitations/{id}/decline":             "coopinvite",
	"POST /api/cards/{id}/default":                        "random",
	"DELETE /api/cards/{id}":                              "random",
	"GET /api/orders/{id}":                                "order",
	"POST /api/orders/{id}/mock-authenticate":             "order",
	"GET /api/orders/{id}/receipt":                        "order",
	"GET /api/orders/{id}/invoice":                        "order",
	"GET /api/orders/{id}/credit-notes/{note}":            "order", // {note}: bravo's credit note of that order
	"POST /api/admin/billing/orders/{id}/refund":          "order",
	"DELETE /api/admin/pricing/coupons/{id}":              "random",
	"POST /api/subscriptions/{id}/pay":                    "random",
	"POST /api/subscriptions/{id}/cancel":                 "random",
	"PUT /api/node-operator/nodes/{id}/exposure":          "node",
	"PUT /api/admin/pool/{id}":                            "node",
	"DELETE /api/admin/pool/{id}":                         "node",
	"GET /api/deployments/{id}":                           "deployment",
	"DELETE /api/deployments/{id}":                        "deployment",
	"DELETE /api/account/ssh-keys/{id}":                   "random",
	"GET /api/deployments/{id}/events":                    "deployment",
	"POST /api/admin/deployments/{id}/retry":              "deployment",
	"POST /api/admin/deployments/{id}/cancel":             "deployment",
	"POST /api/admin/attention/{id}":                      "deployment",
	"GET /api/offers/{id}":                                "random",
	"PUT /api/admin/offers/{id}":                          "random",
	"DELETE /api/admin/offers/{id}":                       "random",
	"GET /api/admin/customers/{id}":                       "account",
	"POST /api/console/accounts/{id}/disable":             "account",
	"POST /api/console/accounts/{id}/enable":              "account",
	"GET /api/console/jobs/{queue}/tasks":                 "self",
	"POST /api/console/jobs/{queue}/tasks/{id}/retry":     "random",
	"DELETE /api/console/jobs/{queue}/tasks/{id}":         "random",
	"POST /api/admin/billing/disputes/{id}/evidence":      "random",
	"POST /api/orders/{id}/confirm":                       "order",
	"PUT /api/admin/apps/{key}":                           "self", // an app's key, the same for every tenant
	"POST /api/deployments/{id}/credentials":              "deployment",
	"GET /api/deployments/{id}/kubeconfig":                "deployment",
	"PUT /api/deployments/{id}/workers":                   "deployment",
}

// crossTenantBodies are bodies valid enough to get past validation to the
// lookup, for routes that check their input first.
var crossTenantBodies = map[string]any{
	"POST /api/admin/node-operator-requests/{id}/reject": map[string]any{"reason": "not a fit"},
	"POST /api/admin/node-operator-requests/{id}/revoke": map[string]any{"reason": "not a fit"},
	"PUT /api/admin/offers/{id}": map[string]any{"name": "Bravo's plan", "description": "x", "cpu": 1, "ram_gb": 2, "disk_gb": 25,
		"image": "ubuntu-24.04", "monthly_cents": 900, "active": true},
	"PUT /api/admin/members/{id}/roles":              map[string]any{"roles": []string{"admin"}},
	"POST /api/admin/billing/disputes/{id}/evidence": map[string]any{"evidence": "A virtual server was sold and delivered; the customer used it for a month."},
	"POST /api/admin/billing/orders/{id}/refund":     map[string]any{"amount_cents": 1, "reason": "requested_by_customer"},
	"POST /api/admin/attention/{id}":                 map[string]any{"action": "dismiss"},
}

// validatesBeforeLookup are routes whose 400 for a body of the wrong shape
// comes before any lookup (it tells nothing about bravo's object); every
// other route must answer 401, 403 or 404.
var validatesBeforeLookup = map[string]bool{
	"PUT /api/admin/offers/{id}": true,
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// fillPath puts an object of kind into each path parameter.
func fillPath(path, kind string, objects map[string]string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		switch {
		case p == "{queue}":
			return "critical"
		case p == "{kind}":
			return "logo"
		case p == "{note}" && objects["creditnote"] != "":
			return objects["creditnote"]
		case objects[kind] != "":
			return objects[kind]
		case kind == "node" || kind == "outbox":
			return "1"
		}
		return uuid.NewString()
	})
}

// securityWorld is two tenants, alpha (whose people attack) and bravo
// (whose objects they try), with objects of bravo's.
type securityWorld struct {
	*world
	objects map[string]string
	secrets []string // strings of bravo's that no alpha answer may carry
}

func newSecurityWorld(t *testing.T) *securityWorld {
	t.Helper()
	w := newWorld(t)
	sw := &securityWorld{world: w, objects: map[string]string{}}
	ctx := context.Background()
	bob := w.h.browser(t, "bravo.localhost")
	bob.must(200, "POST", "/api/auth/login", map[string]any{"email": "bob@bravo.test", "password": pw})
	me := bob.must(200, "GET", "/api/me", nil)
	bobID := fmt.Sprint(me.body["id"])
	if acct, ok := me.body["account"].(map[string]any); ok && bobID == "<nil>" {
		bobID = fmt.Sprint(acct["id"])
	}
	sw.objects["account"] = bobID
	tok := bob.must(201, "POST", "/api/tokens", map[string]any{"name": "script"})
	sw.objects["token"] = fmt.Sprint(tok.body["id"])
	sess := bob.must(200, "GET", "/api/account/sessions", nil)
	if items, ok := sess.body["items"].([]any); ok && len(items) > 0 {
		sw.objects["session"] = fmt.Sprint(items[0].(map[string]any)["id"])
	}
	bravoOwner := adminOf(t, w, "bravo.localhost", "owner@bravo.test")
	dom := bravoOwner.must(201, "POST", "/api/admin/domains", map[string]any{"domain": "shop.bravo-example.com"})
	sw.objects["domain"] = fmt.Sprint(dom.body["id"])
	order := seedOrder(t, w.h, w.bravo.ID, mustUUID(t, bobID), 900, 0, time.Now(), "running")
	sw.objects["order"] = order.String()
	var dep uuid.UUID
	if err := tenant.InTx(tenant.WithID(ctx, w.bravo.ID), w.h.db.App, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &dep, `SELECT id FROM deployments WHERE order_id = $1`, order)
	}); err != nil {
		t.Fatal(err)
	}
	sw.objects["deployment"] = dep.String()
	// The order's invoice and a credit note of it, as a refund writes them.
	var note uuid.UUID
	if err := tenant.InTx(tenant.WithID(ctx, w.bravo.ID), w.h.db.App, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoices (tenant_id, number, order_id, account_id, period_from, period_to, seller_name, customer_email, currency, total_cents)
			VALUES ($1, 1, $2, $3, now(), now() + interval '1 month', 'Bravo Cloud', 'bob@bravo.test', 'usd', 900)`, w.bravo.ID, order, bobID); err != nil {
			return err
		}
		return tx.GetContext(ctx, &note, `INSERT INTO credit_notes (tenant_id, year, number, order_id, invoice_number, account_id, source, source_ref, seller_name,
			customer_email, currency, lines, amount_cents) VALUES ($1, 2026, 1, $2, 1, $3, 'refund', 'test', 'Bravo Cloud', 'bob@bravo.test', 'usd',
			'[{"label":"Refund","cents":-900}]', 900) RETURNING id`, w.bravo.ID, order, bobID)
	}); err != nil {
		t.Fatal(err)
	}
	sw.objects["creditnote"] = note.String()
	// An invitation of bravo's to an address that is none of alpha's people.
	var invite uuid.UUID
	if err := tenant.InTx(tenant.WithID(ctx, w.bravo.ID), w.h.db.App, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &invite, `INSERT INTO coop_invitations (tenant_id, email, role) VALUES ($1, 'invitee@bravo-example.com', 'node_operator') RETURNING id`, w.bravo.ID)
	}); err != nil {
		t.Fatal(err)
	}
	sw.objects["coopinvite"] = invite.String()
	sw.objects["tenant"] = w.bravo.ID.String()
	sw.objects["outbox"] = "1"
	sw.objects["node"] = "1"
	sw.objects["random"] = uuid.NewString()
	sw.secrets = []string{"bob@bravo.test", "owner@bravo.test", "Bravo Cloud", w.bravo.ID.String(), order.String(), dep.String(), sw.objects["domain"], sw.objects["token"], "invitee@bravo-example.com"}
	sw.secrets = append(sw.secrets, sw.objects["creditnote"])
	return sw
}

// hostFor is where a route lives: the console's routes on the console
// host, everything else on alpha's storefront.
func hostFor(path string) string {
	for _, p := range []string{"/api/console/", "/api/node-operator/", "/api/coop/", "/api/applications"} {
		if strings.HasPrefix(path, p) {
			return "console.localhost"
		}
	}
	return "alpha.localhost"
}

// TestCrossTenantByID tries every route of the OpenAPI document that takes
// an id with objects of another tenant, as every kind of caller of alpha
// (anonymous, customer, owner with two factors; on the console: anonymous
// and a node operator), and accepts nothing but 401, 403 and 404, with no
// trace of the other tenant in the answer.
func TestCrossTenantByID(t *testing.T) {
	routes, _ := openAPIRoutes(t)
	var missing []string
	for _, r := range routes {
		if strings.Contains(r.Path, "{") {
			if _, ok := crossTenantIDs[r.Method+" "+r.Path]; !ok {
				missing = append(missing, r.Method+" "+r.Path)
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("routes with an id that the cross-tenant suite does not cover (add them to crossTenantIDs in security_test.go): %v", missing)
	}
	sw := newSecurityWorld(t)
	w := sw.world
	actors := map[string]map[string]*browser{
		"alpha.localhost": {
			"anonymous": w.h.browser(t, "alpha.localhost"),
			"customer":  w.h.browser(t, "alpha.localhost"),
			"owner":     adminOf(t, w, "alpha.localhost", "owner@alpha.test"),
		},
		"console.localhost": {
			"anonymous":     w.h.browser(t, "console.localhost"),
			"node operator": w.h.browser(t, "console.localhost"),
		},
	}
	actors["alpha.localhost"]["customer"].must(200, "POST", "/api/auth/login", map[string]any{"email": "ann@alpha.test", "password": pw})
	actors["console.localhost"]["node operator"].must(200, "POST", "/api/auth/login", map[string]any{"email": "farmer@console.test", "password": pw})
	tried := 0
	for _, r := range routes {
		kind, ok := crossTenantIDs[r.Method+" "+r.Path]
		if !ok || kind == "self" {
			continue
		}
		key := r.Method + " " + r.Path
		path := fillPath(r.Path, kind, sw.objects)
		host := hostFor(r.Path)
		for name, b := range actors[host] {
			var body any
			if r.Method == "POST" || r.Method == "PUT" {
				body = map[string]any{}
				if v, ok := crossTenantBodies[key]; ok {
					body = v
				}
			}
			res := b.do(r.Method, path, body)
			tried++
			if res.status == 400 && validatesBeforeLookup[key] {
				continue
			}
			if res.status != 401 && res.status != 403 && res.status != 404 {
				t.Errorf("%s %s %s as alpha's %s with bravo's %s = %d %s; want 401, 403 or 404", r.Method, host, path, name, kind, res.status, res.raw)
				continue
			}
			for _, s := range sw.secrets {
				if strings.Contains(res.raw, s) {
					t.Errorf("%s %s as alpha's %s: the answer names bravo's %q", r.Method, path, name, s)
				}
			}
		}
	}
	t.Logf("%d cross-tenant attempts over %d routes", tried, len(crossTenantIDs))
}

// TestCrossTenantLists reads every list of the OpenAPI document (GET routes
// without an id) as alpha's customer and owner, and finds nothing of bravo's.
func TestCrossTenantLists(t *testing.T) {
	routes, _ := openAPIRoutes(t)
	sw := newSecurityWorld(t)
	w := sw.world
	ann := w.h.browser(t, "alpha.localhost")
	ann.must(200, "POST", "/api/auth/login", map[string]any{"email": "ann@alpha.test", "password": pw})
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	n := 0
	for _, r := range routes {
		if r.Method != "GET" || strings.Contains(r.Path, "{") || !strings.HasPrefix(r.Path, "/api/") || hostFor(r.Path) != "alpha.localhost" || strings.HasSuffix(r.Path, "/events") {
			continue
		}
		for name, b := range map[string]*browser{"customer": ann, "owner": owner} {
			res := b.do("GET", r.Path, nil)
			n++
			if res.status >= 500 {
				t.Errorf("GET %s as alpha's %s = %d %s", r.Path, name, res.status, res.raw)
			}
			for _, s := range sw.secrets {
				if strings.Contains(res.raw, s) {
					t.Errorf("GET %s as alpha's %s lists bravo's %q", r.Path, name, s)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no list route found in the OpenAPI document")
	}
	t.Logf("%d list reads", n)
}

// TestAuthorizationMatrix checks every admin route against the Casbin
// policy: a customer (store/* only) is refused every one (403, or 404 for
// an object), support (admin/* read) is refused every write, and nobody
// anonymous gets past 401.
func TestAuthorizationMatrix(t *testing.T) {
	routes, _ := openAPIRoutes(t)
	w := newWorld(t)
	ann := w.h.browser(t, "alpha.localhost")
	ann.must(200, "POST", "/api/auth/login", map[string]any{"email": "ann@alpha.test", "password": pw})
	anon := w.h.browser(t, "alpha.localhost")
	n := 0
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/admin/") {
			continue
		}
		path := fillPath(r.Path, crossTenantIDs[r.Method+" "+r.Path], nil)
		var body any
		if r.Method == "POST" || r.Method == "PUT" {
			body = map[string]any{}
		}
		if res := ann.do(r.Method, path, body); res.status != 403 && res.status != 404 {
			t.Errorf("%s %s as a customer = %d %s; the policy gives customers store/* only", r.Method, path, res.status, res.raw)
		}
		if res := anon.do(r.Method, path, body); res.status != 401 && res.status != 403 {
			t.Errorf("%s %s anonymous = %d; want 401", r.Method, path, res.status)
		}
		n++
	}
	t.Logf("%d admin routes checked", n)
}

// TestBadInputNeverReachesTheDatabase sends every POST and PUT of the OpenAPI
// document, as alpha's owner (and anonymous), bodies with a NUL byte or
// invalid UTF-8 in each string property, a wrong type and a huge number in
// each numeric one, and a body over the limit: the answer is always a 4xx
// JSON error, and a 400 names a field.
func TestBadInputNeverReachesTheDatabase(t *testing.T) {
	routes, doc := openAPIRoutes(t)
	w := newWorld(t)
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	root := rootOf(t, w)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	props := func(op map[string]any) map[string]any {
		rb, _ := op["requestBody"].(map[string]any)
		c, _ := rb["content"].(map[string]any)
		j, _ := c["application/json"].(map[string]any)
		s, _ := j["schema"].(map[string]any)
		if ref, ok := s["$ref"].(string); ok {
			s, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		p, _ := s["properties"].(map[string]any)
		return p
	}
	n := 0
	for _, r := range routes {
		if (r.Method != "POST" && r.Method != "PUT") || !strings.HasPrefix(r.Path, "/api/") || strings.Contains(r.Path, "/branding/{kind}") {
			continue
		}
		b := owner
		if hostFor(r.Path) == "console.localhost" {
			b = root
		}
		path := fillPath(r.Path, crossTenantIDs[r.Method+" "+r.Path], nil)
		var bodies []struct {
			field string
			raw   []byte
		}
		for name, p := range props(r.op) {
			typ, _ := p.(map[string]any)["type"].(string)
			switch typ {
			case "string":
				bodies = append(bodies,
					struct {
						field string
						raw   []byte
					}{name, []byte(fmt.Sprintf(`{%q:"a\u0000b"}`, name))},
					struct {
						field string
						raw   []byte
					}{name, []byte(fmt.Sprintf("{%q:\"caf\xe9\"}", name))})
			case "integer", "number":
				bodies = append(bodies,
					struct {
						field string
						raw   []byte
					}{name, []byte(fmt.Sprintf(`{%q:"x"}`, name))},
					struct {
						field string
						raw   []byte
					}{name, []byte(fmt.Sprintf(`{%q:99999999999999999999999999}`, name))})
			}
		}
		for _, bb := range bodies {
			st, raw := w.h.raw(t, r.Method, b.host, path, bb.raw, "application/json", b)
			n++
			if st < 400 || st >= 500 {
				t.Errorf("%s %s with %.60q = %d %s; want a 4xx", r.Method, path, bb.raw, st, raw)
				continue
			}
			var e struct {
				Error struct{ Code, Field string }
			}
			if json.Unmarshal([]byte(raw), &e) != nil && st != 413 {
				t.Errorf("%s %s: the error is not JSON: %.200s", r.Method, path, raw)
			}
			if st == 400 && bb.field != "" && e.Error.Field != bb.field && e.Error.Field == "body" {
				t.Errorf("%s %s with bad %s: the error names %q, want the field", r.Method, path, bb.field, e.Error.Field)
			}
		}
	}
	t.Logf("%d bad bodies sent", n)

	// A body over the limit is refused before anything reads it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.h.srv.Serve(ctx, ln, time.Second)
	huge := append(append([]byte(`{"email":"`), bytes.Repeat([]byte("a"), 2<<20)...), '"', '}')
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/auth/signup", bytes.NewReader(huge))
	req.Host = "alpha.localhost"
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Errorf("a 2 MB body = %d, want 413", res.StatusCode)
		}
	} // a server may also close the connection on an oversized body
}
