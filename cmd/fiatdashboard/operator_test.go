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
	runOK("user", "create", "--realm", "opsco", "--email", "helper@opsco.example", "--role", "support")
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
	t.Setenv("FD_GRID_SSH_KEY", "not a key")
	runOK("user", "create", "--realm", "opsco", "--email", "second@opsco.example", "--role", "support")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"serve"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "FD_STRIPE_SECRET_KEY") {
		t.Errorf("serve with a malformed Stripe key: exit %d, %q; want 2 naming FD_STRIPE_SECRET_KEY", code, errb.String())
	}
}

// TestTokenCreateNeedsTwoFactorForRolesThatRequireIt: `token create` for an
// account whose role requires two-factor authentication (an admin, a
// super-admin) is refused until the account has enrolled it, as it is in
// the UI; a customer gets its token at once.
func TestTokenCreateNeedsTwoFactorForRolesThatRequireIt(t *testing.T) {
	d := dbtest.New(t)
	for _, s := range settings() {
		t.Setenv(s.name, "")
	}
	t.Setenv("FD_DATABASE_URL", d.AppURL)
	t.Setenv("FD_DATABASE_OWNER_URL", d.OwnerURL)
	t.Setenv("FD_DATABASE_SYSTEM_URL", d.SystemURL)
	ctx := context.Background()
	runCode := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, args := range [][]string{
		{"tenant", "create", "--slug", "opsco", "--name", "Ops Co", "--owner-email", "owner@opsco.example"},
		{"user", "create", "--realm", "opsco", "--email", "admin@opsco.example", "--role", "admin"},
		{"user", "create", "--realm", "opsco", "--email", "buyer@opsco.example", "--role", "customer"},
		{"user", "create", "--realm", "platform", "--email", "root@ops.example", "--role", "super_admin"},
	} {
		if code, _, errb := runCode(args...); code != 0 {
			t.Fatalf("fiatdashboard %s: exit %d %s", strings.Join(args, " "), code, errb)
		}
	}
	for _, who := range [][2]string{{"opsco", "admin@opsco.example"}, {"platform", "root@ops.example"}} {
		code, out, errb := runCode("token", "create", "--realm", who[0], "--email", who[1])
		if code == 0 || strings.TrimSpace(out) != "" || !strings.Contains(errb, "two-factor") {
			t.Errorf("token for %s without two-factor: exit %d, printed %q, said %q; want refused naming two-factor", who[1], code, out, errb)
		}
	}
	if code, out, errb := runCode("token", "create", "--realm", "opsco", "--email", "buyer@opsco.example"); code != 0 || strings.TrimSpace(out) == "" {
		t.Errorf("token for a customer: exit %d %q %q", code, out, errb)
	}
	// Once the admin has enrolled two-factor, the command gives it a token.
	if _, err := d.Owner(t).Exec(`UPDATE accounts SET totp_enabled_at = now(), totp_secret_enc = 'x' WHERE email = 'admin@opsco.example'`); err != nil {
		t.Fatal(err)
	}
	if code, out, errb := runCode("token", "create", "--realm", "opsco", "--email", "admin@opsco.example"); code != 0 || strings.TrimSpace(out) == "" {
		t.Errorf("token for an admin with two-factor: exit %d %q %q", code, out, errb)
	}
	var tokens int
	if err := d.Owner(t).Get(&tokens, `SELECT count(*) FROM api_tokens`); err != nil {
		t.Fatal(err)
	}
	if tokens != 2 {
		t.Errorf("%d tokens stored, want 2 (the customer's and the enrolled admin's)", tokens)
	}
}
