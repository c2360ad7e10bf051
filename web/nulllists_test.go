package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// openAPISchemas resolves the schemas of the served OpenAPI document.
type openAPISchemas struct {
	doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
}

func (o *openAPISchemas) resolve(s map[string]any) map[string]any {
	for i := 0; s != nil && i < 10; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		s = o.doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
	}
	return s
}

// response is the 200 JSON schema of GET path.
func (o *openAPISchemas) response(path string) map[string]any {
	var op struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	}
	json.Unmarshal(o.doc.Paths[path]["get"], &op)
	return o.resolve(op.Responses["200"].Content["application/json"].Schema)
}

// nullLists returns the JSON paths in v that are null where the schema
// says array, or that are a null "items" (every page's list).
func (o *openAPISchemas) nullLists(at string, v any, schema map[string]any) []string {
	schema = o.resolve(schema)
	var out []string
	switch x := v.(type) {
	case nil:
		if schema != nil && schema["type"] == "array" {
			out = append(out, at)
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		extra, _ := schema["additionalProperties"].(map[string]any)
		for k, child := range x {
			cs, _ := props[k].(map[string]any)
			if cs == nil {
				cs = extra
			}
			if child == nil && cs == nil && os.Getenv("FD_NULL_DEBUG") != "" {
				fmt.Println("unschema'd null:", at+"."+k)
			}
			if child == nil && k == "items" && cs == nil {
				out = append(out, at+"."+k)
				continue
			}
			out = append(out, o.nullLists(at+"."+k, child, cs)...)
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for i, child := range x {
			out = append(out, o.nullLists(fmt.Sprintf("%s[%d]", at, i), child, items)...)
		}
	}
	return out
}

// TestNoNullListsInAnyGET walks every registered GET route, as the role
// that may read it, on a fresh operator storefront, a fresh co-op and the
// console (where every list is empty, the case that used to answer null),
// and fails for any list that is null instead of [].
func TestNoNullListsInAnyGET(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	coop, err := w.h.store.Create(ctx, tenant.NewTenant{Slug: "commons", Name: "Commons Co-op", Kind: tenant.KindCoop, Status: tenant.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.NewStore(w.h.db.App).EnsureAccount(ctx, coop.ID, "owner@commons.test", pw, rbac.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := w.h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	var o openAPISchemas
	_, body := w.h.do(t, "GET", "console.localhost", "/api/openapi.json")
	if err := json.Unmarshal([]byte(body), &o.doc); err != nil {
		t.Fatal(err)
	}
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	anon := w.h.browser(t, "alpha.localhost")
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	coopOwner := adminOf(t, w, "commons.localhost", "owner@commons.test")
	root := rootOf(t, w)
	farmer := w.h.browser(t, "console.localhost")
	farmer.login("farmer@console.test", pw)

	param := regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)
	var routes []string
	for _, r := range w.h.srv.App().GetRoutes(true) {
		if r.Method == "GET" {
			routes = append(routes, param.ReplaceAllString(r.Path, "{$1}"))
		}
	}
	sort.Strings(routes)
	routes = slicesCompact(routes)
	fill := strings.NewReplacer("{queue}", "default", "{kind}", "logo", "{id}", uuid.NewString())
	walked := 0
	for _, route := range routes {
		if strings.HasSuffix(route, ".csv") || route == "/metrics" || strings.HasPrefix(route, "/internal/") || route == "/api/openapi.json" {
			continue // not JSON
		}
		var who []*browser
		switch {
		case strings.HasPrefix(route, "/api/admin/"):
			who = []*browser{owner, coopOwner}
		case strings.HasPrefix(route, "/api/console/"):
			who = []*browser{root}
		case strings.HasPrefix(route, "/api/node-operator/"), strings.HasPrefix(route, "/api/coop/"):
			who = []*browser{farmer}
		default:
			who = []*browser{ann, anon}
		}
		for _, b := range who {
			r := b.do("GET", fill.Replace(route), nil)
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				continue // another role's route, or an object that does not exist
			}
			walked++
			var v any
			if err := json.Unmarshal([]byte(r.raw), &v); err != nil {
				t.Errorf("GET %s on %s: not JSON: %v", route, b.host, err)
				continue
			}
			for _, p := range o.nullLists("$", v, o.response(route)) {
				t.Errorf("GET %s on %s: %s is null, want []", route, b.host, p)
			}
		}
	}
	if walked < 40 {
		t.Errorf("only %d GET responses walked; the walk is broken", walked)
	}
}

func slicesCompact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
