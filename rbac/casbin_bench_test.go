package rbac

import (
	"fmt"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
)

// BenchmarkEnforce10kTenants measures one authorization decision with
// 10,000 tenants × 5 role assignments (50,000 grouping rules) and the shared
// permission rules: the shape the platform keeps in memory.
func BenchmarkEnforce10kTenants(b *testing.B) {
	m, err := model.NewModelFromString(casbinModel)
	if err != nil {
		b.Fatal(err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		b.Fatal(err)
	}
	var ps [][]string
	for _, p := range permissions {
		ps = append(ps, p[1:])
	}
	if _, err := e.AddPolicies(ps); err != nil {
		b.Fatal(err)
	}
	roles := []string{RoleOwner, RoleAdmin, RoleSupport, RoleCustomer, RoleNodeOperator}
	var gs [][]string
	for t := range 10000 {
		for i, r := range roles {
			gs = append(gs, []string{fmt.Sprintf("user-%d-%d", t, i), r, fmt.Sprintf("tenant-%d", t)})
		}
	}
	if _, err := e.AddGroupingPolicies(gs); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		sub, dom, obj, act string
		want               bool
	}{
		{"user-4242-1", "tenant-4242", "admin/members", "write", true},
		{"user-4242-1", "tenant-4243", "admin/members", "write", false},
		{"user-9999-2", "tenant-9999", "admin/audit", "read", true},
		{"user-9999-3", "tenant-9999", "admin/audit", "read", false},
	}
	for _, c := range cases {
		if ok, _ := e.Enforce(c.sub, c.dom, c.obj, c.act); ok != c.want {
			b.Fatalf("Enforce(%v) = %v, want %v", c, ok, c.want)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := cases[i%len(cases)]
		e.Enforce(c.sub, c.dom, c.obj, c.act)
	}
}
