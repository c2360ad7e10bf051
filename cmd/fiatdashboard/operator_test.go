package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/migrations/dbtest"
)

// TestOperatorCommandsNeedOnlyTheDatabase runs every operator command with
// only the database settings in the environment: no Stripe, Redis, grid,
// mail or key settings. Each succeeds, and what it wrote is in the database.
// Before commands loaded only their own settings, `user create` next to a
// running `make run` failed with "FD_STRIPE_API_URL: expected stripe-mock's
// URL…".
func TestOperatorCommandsNeedOnlyTheDatabase(t *testing.T) {
	d := dbtest.New(t)
	for _, s := range settings() {
		t.Setenv(s.name, "")
	}
	t.Setenv("FD_DATABASE_URL", d.AppURL)
	t.Setenv("FD_DATABASE_OWNER_URL", d.OwnerURL)
	t.Setenv("FD_DATABASE_SYSTEM_URL", d.SystemURL)

	ctx := context.Background()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctx, args, &out, &errb); code != 0 {
			t.Fatalf("fiatdashboard %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	runOK("migrate", "status")
	runOK("tenant", "create", "--slug", "opsco", "--name", "Ops Co", "--owner-email", "owner@opsco.example")
	runOK("user", "create", "--realm", "opsco", "--email", "helper@opsco.example", "--role", "admin")
	runOK("user", "create", "--realm", "platform", "--email", "root@ops.example", "--role", "super_admin")
	if token := runOK("token", "create", "--realm", "opsco", "--email", "helper@opsco.example"); strings.TrimSpace(token) == "" {
		t.Error("token create printed no token")
	}
	if out := runOK("keys", "rotate"); !strings.Contains(out, "re-sealed 0 wallets") {
		t.Errorf("keys rotate said %q", out)
	}

	owner := d.Owner(t)
	var accounts, tokens int
	if err := owner.Get(&accounts, `SELECT count(*) FROM accounts WHERE email IN ('owner@opsco.example', 'helper@opsco.example', 'root@ops.example')`); err != nil {
		t.Fatal(err)
	}
	if err := owner.Get(&tokens, `SELECT count(*) FROM api_tokens`); err != nil {
		t.Fatal(err)
	}
	if accounts != 3 || tokens != 1 {
		t.Errorf("the commands left %d accounts and %d tokens, want 3 and 1", accounts, tokens)
	}

	// A malformed setting a command does not use does not stop it; the
	// server, which uses it, refuses to start and names it.
	t.Setenv("FD_STRIPE_SECRET_KEY", "pk_live_not_a_secret_key")
	t.Setenv("FD_GRID_NETWORK", "nonsense")
	runOK("user", "create", "--realm", "opsco", "--email", "second@opsco.example", "--role", "support")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"serve"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "FD_STRIPE_SECRET_KEY") {
		t.Errorf("serve with a malformed Stripe key: exit %d, %q; want 2 naming FD_STRIPE_SECRET_KEY", code, errb.String())
	}
}
