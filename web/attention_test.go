package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestNeedsAttentionActions proves the admin's "Needs attention" list (issue
// 15 item 3): a failed deployment whose payment is not refunded yet offers
// refund and dismiss, one refunded in full only dismiss; a paid one stuck
// before running offers retry and dismiss; one whose payment never
// succeeded offers dismiss; a running one is not listed. An action that does
// not apply is 409, an unknown one 400 naming action, a deployment that needs
// nothing 404; each handled item clears, and a refund asks Stripe for what
// is left.
func TestNeedsAttentionActions(t *testing.T) {
	w := newWorld(t)
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	owner.must(200, "POST", "/api/admin/billing/connect", nil)
	ctx := context.Background()
	ids := map[string]uuid.UUID{}
	err := tenant.SystemTx(ctx, w.h.db.App, "test: deployments needing attention", func(tx *tenant.Tx) error {
		var ann uuid.UUID
		if err := tx.GetContext(ctx, &ann, `SELECT id FROM accounts WHERE email = 'ann@alpha.test'`); err != nil {
			return err
		}
		for _, d := range []struct{ name, status, order, failure string }{
			{"failed-owed", "failed", "paid", "no node had room"},
			{"failed-refunded", "failed", "refunded", "no node had room"},
			{"stuck", "provisioning", "paid", ""},
			{"unpaid", "awaiting_payment", "failed", ""},
			{"fine", "running", "paid", ""},
		} {
			var order uuid.UUID
			if err := tx.GetContext(ctx, &order, `INSERT INTO orders (tenant_id, account_id, status, description, currency, subtotal_cents, amount_cents,
				payment_intent_id, failure_message, refunded_cents, paid_at)
				VALUES ($1, $2, $3, 'Small server', 'usd', 608, 608, $4, $5, CASE WHEN $3 = 'refunded' THEN 608 ELSE 0 END,
				CASE WHEN $3 = 'failed' THEN NULL ELSE now() END) RETURNING id`,
				w.alpha.ID, ann, d.order, "pi_attention_"+strings.ReplaceAll(d.name, "-", "_"), map[bool]string{true: "Your card was declined."}[d.order == "failed"]); err != nil {
				return fmt.Errorf("order %s: %w", d.name, err)
			}
			if d.order == "refunded" {
				if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (tenant_id, order_id, amount_cents, status, reason) VALUES ($1, $2, 608, 'succeeded', 'provisioning failed')`, w.alpha.ID, order); err != nil {
					return err
				}
			}
			id := uuid.New()
			ids[d.name] = id
			if _, err := tx.ExecContext(ctx, `INSERT INTO deployments (id, tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, status, project, failure, updated_at)
				VALUES ($1, $2, $3, $4, $5, 'ubuntu-24.04', '{"size":"small","cpu":1,"ram_gb":2,"disk_gb":25}', 'ssh-ed25519 AAAA test', 'default', $6, $7, $8, now() - interval '1 hour')`,
				id, w.alpha.ID, ann, order, d.name, d.status, "attention-"+d.name, d.failure); err != nil {
				return fmt.Errorf("deployment %s: %w", d.name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, it := range owner.must(200, "GET", "/api/admin/attention", nil).body["items"].([]any) {
			m := it.(map[string]any)
			out[m["name"].(string)] = m
		}
		return out
	}
	actions := func(it map[string]any) string { return fmt.Sprint(it["actions"]) }
	got := list()
	for name, want := range map[string]string{
		"failed-owed": "failed [refund dismiss]", "failed-refunded": "failed [dismiss]", "stuck": "stuck [retry dismiss]", "unpaid": "payment_failed [dismiss]",
	} {
		if it, ok := got[name]; !ok || fmt.Sprint(it["kind"], " ", actions(it)) != want {
			t.Errorf("%s: %v; want %s", name, it, want)
		}
	}
	if _, ok := got["fine"]; ok || len(got) != 4 {
		t.Errorf("attention lists %d items (%v); want the four above and not the running one", len(got), got)
	}
	if got["failed-owed"]["refundable_cents"] != 608.0 || got["failed-refunded"]["refundable_cents"] != 0.0 {
		t.Errorf("refundable: owed %v, refunded %v; want 608 and 0", got["failed-owed"]["refundable_cents"], got["failed-refunded"]["refundable_cents"])
	}
	at := func(name string) string { return "/api/admin/attention/" + ids[name].String() }
	if r := owner.do("POST", at("stuck"), map[string]any{"action": "refund"}); r.status != 409 {
		t.Errorf("refund of a stuck deployment = %d %s, want 409", r.status, r.raw)
	}
	if r := owner.do("POST", at("stuck"), map[string]any{"action": "forget"}); r.status != 400 || r.errField() != "action" {
		t.Errorf("unknown action = %d %s, want 400 on action", r.status, r.raw)
	}
	if r := owner.do("POST", at("fine"), map[string]any{"action": "dismiss"}); r.status != 404 {
		t.Errorf("dismiss of a running deployment = %d %s, want 404", r.status, r.raw)
	}
	ann := w.h.browser(t, "alpha.localhost")
	ann.login("ann@alpha.test", pw)
	if r := ann.do("GET", "/api/admin/attention", nil); r.status != 403 && r.status != 404 {
		t.Errorf("a customer reading the attention list = %d", r.status)
	}

	owner.must(200, "POST", at("failed-owed"), map[string]any{"action": "refund"})
	owner.must(200, "POST", at("failed-refunded"), map[string]any{"action": "dismiss"})
	owner.must(200, "POST", at("unpaid"), map[string]any{"action": "dismiss"})
	owner.must(200, "POST", at("stuck"), map[string]any{"action": "retry"})
	got = list()
	for _, name := range []string{"failed-owed", "failed-refunded", "unpaid"} {
		if it, ok := got[name]; ok {
			t.Errorf("%s is still listed after it was handled: %v", name, it)
		}
	}
	if it, ok := got["stuck"]; ok && it["kind"] == "stuck" {
		t.Errorf("the stuck deployment is still listed as stuck right after its retry: %v", it)
	}
	if r := owner.do("POST", at("unpaid"), map[string]any{"action": "dismiss"}); r.status != 404 {
		t.Errorf("dismissing twice = %d %s, want 404", r.status, r.raw)
	}
	var asked int64
	var action string
	err = tenant.SystemTx(ctx, w.h.db.App, "test: the refund", func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &asked, `SELECT coalesce(sum(r.amount_cents), 0) FROM refunds r JOIN deployments d ON d.order_id = r.order_id WHERE d.id = $1`, ids["failed-owed"]); err != nil {
			return err
		}
		return tx.GetContext(ctx, &action, `SELECT attention_action FROM deployments WHERE id = $1`, ids["failed-owed"])
	})
	if err != nil || asked != 608 || action != "refund" {
		t.Errorf("after refund: %d cents asked, action %q (%v); want 608 and refund", asked, action, err)
	}
}
