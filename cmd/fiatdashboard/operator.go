package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// operator is what a one-shot operator command needs: the database as the
// application role, and the authorizer that tells running instances of role
// changes. It is not the platform: no Stripe, grid or queue settings.
type operator struct {
	cfg   *Config
	db    *sqlx.DB
	sysdb *sqlx.DB // the system role's pool, paired with db for tenant.SystemTx
	rdb   *redis.Client
	authz *rbac.Authorizer
}

// openOperator loads the settings in uses and connects to the database.
// Redis (FD_REDIS_URL, when uses has it) only carries the policy broadcast:
// when it does not answer the command still runs, and says that running
// instances learn of the change when they next load the policy.
func openOperator(ctx context.Context, stderr io.Writer, uses []string) (*operator, int) {
	cfg, ok := mustConfig(stderr, uses)
	if !ok {
		return nil, 2
	}
	db, err := sqlx.Open("postgres", cfg.DatabaseURL)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard: FD_DATABASE_URL: %v\n", err)
		return nil, 2
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		fmt.Fprintf(stderr, "fiatdashboard: PostgreSQL at FD_DATABASE_URL does not answer (is it running, migrated, and does the role exist?): %v\n", err)
		return nil, 1
	}
	o := &operator{cfg: cfg, db: db}
	// Cross-tenant work (slug look-ups, re-sealing every tenant's secrets)
	// runs on the system role's own pool, as in serve and worker.
	if o.sysdb, err = sqlx.Open("postgres", cfg.DatabaseSystemURL); err != nil {
		db.Close()
		fmt.Fprintf(stderr, "fiatdashboard: FD_DATABASE_SYSTEM_URL: %v\n", err)
		return nil, 2
	}
	o.sysdb.SetMaxOpenConns(2)
	if err := o.sysdb.PingContext(pctx); err != nil {
		o.Close()
		fmt.Fprintf(stderr, "fiatdashboard: PostgreSQL at FD_DATABASE_SYSTEM_URL does not answer as the system role (migrated?): %v\n", err)
		return nil, 1
	}
	tenant.UseSystemPool(db, o.sysdb)
	if cfg.RedisURL != "" {
		if ropt, err := redis.ParseURL(cfg.RedisURL); err == nil {
			rdb := redis.NewClient(ropt)
			if err := rdb.Ping(pctx).Err(); err != nil {
				rdb.Close()
				fmt.Fprintln(stderr, "fiatdashboard: note: Redis at FD_REDIS_URL does not answer; running servers see role changes after a restart")
			} else {
				o.rdb = rdb
			}
		}
	}
	if slices.Contains(uses, "FD_REDIS_URL") {
		var rdb redis.UniversalClient
		if o.rdb != nil {
			rdb = o.rdb
		}
		if o.authz, err = rbac.NewAuthorizer(ctx, db, rdb, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			o.Close()
			fmt.Fprintf(stderr, "fiatdashboard: authorization policy: %v\n", err)
			return nil, 1
		}
	}
	return o, 0
}

func (o *operator) Close() {
	if o.authz != nil {
		o.authz.Close()
	}
	if o.rdb != nil {
		o.rdb.Close()
	}
	if o.sysdb != nil {
		o.sysdb.Close()
	}
	o.db.Close()
}

// realmID turns --realm (a tenant slug, or "platform") into a tenant id
// (uuid.Nil for the platform).
func realmID(ctx context.Context, p *operator, realm string) (uuid.UUID, error) {
	if realm == "platform" {
		return uuid.Nil, nil
	}
	t, err := tenant.NewStore(p.db).BySlug(ctx, realm)
	if err != nil {
		return uuid.Nil, fmt.Errorf("--realm: no tenant with slug %q (use a tenant slug or platform)", realm)
	}
	return t.ID, nil
}

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			args = []string{"create", "-h"}
		} else {
			fmt.Fprintln(stderr, "fiatdashboard user: expected create (see `fiatdashboard user create -h`)")
			return 2
		}
	}
	fs := newFlags("user", "user create --realm <tenant slug|platform> --email … --role … [--password-stdin]",
		`Creates an account (or updates its password) with its e-mail verified and
grants it a role in the realm: owner, admin, support or customer in a tenant;
super_admin or node_operator on the platform. Without --password-stdin a
password is generated and printed once.`, stderr)
	realm := fs.String("realm", "", "tenant slug, or platform")
	email := fs.String("email", "", "the account's e-mail")
	role := fs.String("role", "", "role to grant")
	stdinPw := fs.Bool("password-stdin", false, "read the password from standard input")
	if code, stop := parseFlags(fs, args[1:]); stop {
		return code
	}
	for _, f := range []struct{ name, v string }{{"--realm", *realm}, {"--email", *email}, {"--role", *role}} {
		if f.v == "" {
			fmt.Fprintf(stderr, "fiatdashboard user create: %s is required\n", f.name)
			return 2
		}
	}
	password := rbac.NewPassword(20)
	generated := true
	if *stdinPw {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(stderr, "fiatdashboard user create: --password-stdin: no password on standard input")
			return 2
		}
		password, generated = strings.TrimRight(line, "\r\n"), false
	}
	p, code := openOperator(ctx, stderr, accountSettings)
	if p == nil {
		return code
	}
	defer p.Close()
	tid, err := realmID(ctx, p, *realm)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard user create: %v\n", err)
		return 2
	}
	id, err := rbac.NewStore(p.db).EnsureAccount(ctx, tid, *email, password, *role)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard user create: %s\n", userMessage(err))
		return 1
	}
	if err := p.authz.Broadcast(); err != nil {
		fmt.Fprintf(stderr, "fiatdashboard user create: tell running instances: %v\n", err)
	}
	fmt.Fprintf(stdout, "account %s (%s) has role %s in %s\n", id, strings.ToLower(*email), *role, *realm)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	return 0
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			args = []string{"create", "-h"}
		} else {
			fmt.Fprintln(stderr, "fiatdashboard token: expected create (see `fiatdashboard token create -h`)")
			return 2
		}
	}
	fs := newFlags("token", "token create --realm <tenant slug|platform> --email … [--name …]",
		`Creates a personal API token for the account and prints it once. Use it as
Authorization: Bearer <token> on the realm's host; revoke it in the UI. An
account whose role requires two-factor authentication (owner, admin,
super_admin) gets one only after it has set two-factor up, as in the UI.`, stderr)
	realm := fs.String("realm", "", "tenant slug, or platform")
	email := fs.String("email", "", "the account's e-mail")
	name := fs.String("name", "cli", "a name to recognise the token by")
	if code, stop := parseFlags(fs, args[1:]); stop {
		return code
	}
	if *realm == "" || *email == "" {
		fmt.Fprintln(stderr, "fiatdashboard token create: --realm and --email are required")
		return 2
	}
	p, code := openOperator(ctx, stderr, accountSettings)
	if p == nil {
		return code
	}
	defer p.Close()
	tid, err := realmID(ctx, p, *realm)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard token create: %v\n", err)
		return 2
	}
	token, err := rbac.NewStore(p.db).CreateTokenFor(ctx, tid, *email, *name)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard token create: %s\n", userMessage(err))
		return 1
	}
	fmt.Fprintln(stdout, token)
	return 0
}

func runTenant(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			args = []string{"create", "-h"}
		} else {
			fmt.Fprintln(stderr, "fiatdashboard tenant: expected create (see `fiatdashboard tenant create -h`)")
			return 2
		}
	}
	fs := newFlags("tenant", "tenant create --slug … --name … [--kind operator|coop] [--owner-email …]",
		`Creates an active tenant whose storefront answers on <slug>.<FD_BASE_DOMAIN>.
With --owner-email it also creates the owner's account and prints its password once.`, stderr)
	slug := fs.String("slug", "", "DNS label of the storefront")
	name := fs.String("name", "", "display name")
	kind := fs.String("kind", "operator", "operator or coop")
	owner := fs.String("owner-email", "", "e-mail of the tenant's owner")
	if code, stop := parseFlags(fs, args[1:]); stop {
		return code
	}
	p, code := openOperator(ctx, stderr, tenantSettings)
	if p == nil {
		return code
	}
	defer p.Close()
	t, err := tenant.NewStore(p.db).Create(ctx, tenant.NewTenant{Slug: *slug, Name: *name, Kind: tenant.Kind(*kind), Status: tenant.StatusActive})
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard tenant create: %s\n", userMessage(err))
		return 1
	}
	fmt.Fprintf(stdout, "tenant %s (%s) created: http://%s.%s\n", t.Slug, t.ID, t.Slug, p.cfg.BaseDomain)
	if *owner != "" {
		password := rbac.NewPassword(20)
		if _, err := rbac.NewStore(p.db).EnsureAccount(ctx, t.ID, *owner, password, rbac.RoleOwner); err != nil {
			fmt.Fprintf(stderr, "fiatdashboard tenant create: owner: %s\n", userMessage(err))
			return 1
		}
		p.authz.Broadcast()
		fmt.Fprintf(stdout, "owner %s, password: %s (two-factor set-up at first login)\n", strings.ToLower(*owner), password)
	}
	return 0
}

// userMessage shows an application error with its field, any other as is.
func userMessage(err error) string {
	if e, ok := err.(*fiatdashboard.Error); ok && e.Field != "" {
		return "--" + strings.ReplaceAll(e.Field, "_", "-") + ": " + e.Message
	}
	return err.Error()
}
