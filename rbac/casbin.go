package rbac

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Tenant-realm roles.
const (
	RoleOwner    = "owner"
	RoleAdmin    = "admin"
	RoleSupport  = "support"
	RoleCustomer = "customer"
)

// TenantRoles can be held in a tenant's domain (node_operator only by approval).
var TenantRoles = []string{RoleOwner, RoleAdmin, RoleSupport, RoleCustomer}

// mfaRoles need two-factor authentication before any admin page or API works.
var mfaRoles = []string{RoleSuperAdmin, RoleOwner, RoleAdmin}

// casbinModel is RBAC with domains. Permission rules are shared by every
// tenant (domain "*"); only user→role assignments name a domain. Shared rules
// keep Enforce at microseconds with thousands of tenants, where per-tenant
// copies of the rules make it scan all of them.
const casbinModel = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == "*" || p.dom == r.dom) && keyMatch(r.obj, p.obj) && (p.act == "*" || p.act == r.act)
`

// permissions are the shared role→permission rules. Objects are paths:
// admin/* (a tenant's admin area), store/* (a customer's own things),
// operator/* (a node operator's console pages), console/* (super-admins).
var permissions = [][]string{
	{"p", RoleSuperAdmin, "*", "*", "*"},
	{"p", RoleOwner, "*", "*", "*"},
	{"p", RoleAdmin, "*", "admin/*", "*"},
	{"p", RoleAdmin, "*", "store/*", "*"},
	{"p", RoleSupport, "*", "admin/*", "read"},
	{"p", RoleCustomer, "*", "store/*", "*"},
	{"p", RoleNodeOperator, "*", "operator/*", "*"},
	{"p", RoleNodeOperator, "*", "pool/contribute", "*"},
}

// Authorizer answers whether an actor may act on an object in a domain. Its
// rules live in memory, loaded from PostgreSQL and reloaded on every instance
// when any instance changes them (Redis pub/sub).
type Authorizer struct {
	e       *casbin.SyncedEnforcer
	watcher *Watcher
}

// NewAuthorizer loads the policy from db, makes sure the shared permission
// rules are stored, and (when rdb is not nil) subscribes to changes.
func NewAuthorizer(ctx context.Context, db *sqlx.DB, rdb redis.UniversalClient, log *slog.Logger) (*Authorizer, error) {
	for _, p := range permissions {
		if _, err := db.ExecContext(ctx, `INSERT INTO casbin_rules (ptype, v0, v1, v2, v3) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, p[0], p[1], p[2], p[3], p[4]); err != nil {
			return nil, fmt.Errorf("store permission rules: %w", err)
		}
	}
	m, err := model.NewModelFromString(casbinModel)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewSyncedEnforcer(m, &Adapter{db: db})
	if err != nil {
		return nil, fmt.Errorf("casbin: %w", err)
	}
	// Writes go through our own transactions (with their audit rows); the
	// enforcer only mirrors them in memory.
	e.EnableAutoSave(false)
	a := &Authorizer{e: e}
	if rdb != nil {
		w, err := NewWatcher(ctx, rdb, log)
		if err != nil {
			return nil, err
		}
		if err := e.SetWatcher(w); err != nil {
			return nil, err
		}
		a.watcher = w
	}
	return a, nil
}

// Close stops listening for policy changes.
func (a *Authorizer) Close() {
	if a.watcher != nil {
		a.watcher.Close()
	}
}

// Reload reads the whole policy from the database again.
func (a *Authorizer) Reload() error { return a.e.LoadPolicy() }

// DomainOf is the Casbin domain of the context: its tenant, or the platform.
func DomainOf(ctx context.Context) string {
	if id, ok := tenant.IDFromContext(ctx); ok {
		return id.String()
	}
	return DomainPlatform
}

// Require returns nil when the actor in ctx may do act on obj in the
// context's domain. It fails closed: no actor is EUNAUTHORIZED; no permission
// is ENOTFOUND (what the caller may not see does not exist for it); a role
// that needs two-factor authentication without it is EFORBIDDEN on field
// "mfa". The system actor may do everything.
func (a *Authorizer) Require(ctx context.Context, obj, act string) error {
	actor, ok := tenant.ActorFromContext(ctx)
	if !ok {
		return fiatdashboard.Errorf(fiatdashboard.EUNAUTHORIZED, "sign in first")
	}
	if actor.Kind == tenant.ActorSystem {
		return nil
	}
	dom := DomainOf(ctx)
	sub := actor.ID.String()
	allowed, err := a.e.Enforce(sub, dom, obj, act)
	if err != nil {
		return fmt.Errorf("enforce: %w", err)
	}
	if !allowed {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	if !actor.MFA && a.needsMFA(sub, dom) {
		return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "mfa",
			Message: "two-factor authentication is required for this role: set it up under Account → Two-factor authentication"}
	}
	return nil
}

func (a *Authorizer) needsMFA(sub, dom string) bool {
	for _, r := range a.e.GetRolesForUserInDomain(sub, dom) {
		if slices.Contains(mfaRoles, r) {
			return true
		}
	}
	return false
}

// NeedsMFA reports whether any of the account's roles, in any domain, requires
// two-factor authentication.
func (a *Authorizer) NeedsMFA(account uuid.UUID) bool {
	for _, g := range a.rolesOf(account) {
		if slices.Contains(mfaRoles, g.Role) {
			return true
		}
	}
	return false
}

// RoleGrant is one role an account holds in one domain.
type RoleGrant struct {
	Domain     string `json:"domain"`
	DomainName string `json:"domain_name,omitempty"`
	Role       string `json:"role"`
}

func (a *Authorizer) rolesOf(account uuid.UUID) []RoleGrant {
	rules, _ := a.e.GetFilteredGroupingPolicy(0, account.String())
	out := make([]RoleGrant, 0, len(rules))
	for _, r := range rules {
		if len(r) >= 3 {
			out = append(out, RoleGrant{Role: r[1], Domain: r[2]})
		}
	}
	return out
}

// RolesIn returns the account's roles in one domain.
func (a *Authorizer) RolesIn(account uuid.UUID, domain string) []string {
	return a.e.GetRolesForUserInDomain(account.String(), domain)
}

// grant stores the role assignment in tx; call applied after commit.
func grant(ctx context.Context, tx *tenant.Tx, account uuid.UUID, role, domain string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, $2, $3) ON CONFLICT DO NOTHING`, account.String(), role, domain)
	return err
}

func revoke(ctx context.Context, tx *tenant.Tx, account uuid.UUID, role, domain string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM casbin_rules WHERE ptype = 'g' AND v0 = $1 AND v1 = $2 AND v2 = $3`, account.String(), role, domain)
	return err
}

// applied mirrors committed role changes in memory; the enforcer then tells
// the other instances, through the watcher, to reload.
func (a *Authorizer) applied(added, removed [][]string) {
	if len(removed) > 0 {
		a.e.RemoveGroupingPolicies(removed)
	}
	if len(added) > 0 {
		a.e.AddGroupingPolicies(added)
	}
}

// Broadcast reloads the policy and tells every other instance to reload it,
// after a change written outside the Authorizer (operator commands, seeds).
func (a *Authorizer) Broadcast() error {
	if err := a.e.LoadPolicy(); err != nil {
		return err
	}
	if a.watcher != nil {
		return a.watcher.Update()
	}
	return nil
}
