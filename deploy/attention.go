package deploy

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// The admin's "Needs attention" list (issue 15 item 3): each item is one
// deployment with the actions that apply to it, and it clears when the
// admin handles it (the deployment records when and how).

// Attention kinds.
const (
	// AttentionFailed: provisioning failed after payment (the platform
	// refunds it on its own; the admin refunds what is left, or dismisses).
	AttentionFailed = "failed"
	// AttentionStuck: paid or provisioning for longer than StuckAfter.
	AttentionStuck = "stuck"
	// AttentionPaymentFailed: the order's payment never succeeded; the
	// customer sees "Payment failed" with a retry on the server's page.
	AttentionPaymentFailed = "payment_failed"
	// AttentionSuspended: a renewal is unpaid and the server is suspended.
	AttentionSuspended = "suspended"
)

// Attention actions.
const (
	ActionRetry   = "retry"
	ActionRefund  = "refund"
	ActionDismiss = "dismiss"
)

// StuckAfter is how long a paid deployment may go without starting before
// it needs attention; a retry hides it for as long again.
const StuckAfter = 15 * time.Minute

// AttentionItem is one thing the admin should look at.
type AttentionItem struct {
	DeploymentID  uuid.UUID     `json:"deployment_id"`
	Name          string        `json:"name"`
	CustomerEmail string        `json:"customer_email"`
	Kind          string        `json:"kind"`
	Status        string        `json:"status"`
	Message       string        `json:"message"`
	Since         time.Time     `json:"since"`
	Currency      string        `json:"currency"`
	AmountCents   billing.Cents `json:"amount_cents"`
	// RefundableCents is what is left to refund (paid, less refunds asked
	// for and not failed).
	RefundableCents billing.Cents `json:"refundable_cents"`
	Actions         []string      `json:"actions"`
}

type attentionRow struct {
	ID          uuid.UUID     `db:"id"`
	Name        string        `db:"name"`
	Email       string        `db:"email"`
	Status      string        `db:"status"`
	Failure     string        `db:"failure"`
	UpdatedAt   time.Time     `db:"updated_at"`
	OrderID     uuid.UUID     `db:"order_id"`
	OrderStatus string        `db:"order_status"`
	OrderFail   string        `db:"failure_message"`
	Currency    string        `db:"currency"`
	Amount      billing.Cents `db:"amount_cents"`
	Asked       billing.Cents `db:"asked"`
}

func (r attentionRow) item() AttentionItem {
	it := AttentionItem{DeploymentID: r.ID, Name: r.Name, CustomerEmail: r.Email, Status: r.Status, Since: r.UpdatedAt,
		Currency: r.Currency, AmountCents: r.Amount, Actions: []string{}}
	paid := r.OrderStatus == "paid" || r.OrderStatus == "refunded"
	if paid && r.Amount > r.Asked {
		it.RefundableCents = r.Amount - r.Asked
	}
	switch {
	case r.Status == Failed:
		it.Kind, it.Message = AttentionFailed, "Could not start: "+strings.TrimSuffix(r.Failure, ".")+"."
		if it.RefundableCents > 0 {
			it.Actions = append(it.Actions, ActionRefund)
		} else if paid {
			it.Message += " The payment is refunded in full."
		}
	case r.Status == Paid || r.Status == Provisioning:
		it.Kind, it.Message = AttentionStuck, "Paid but not running yet."
		// No refund here: provisioning may still finish, and a server
		// refunded while it starts would run unpaid. Retry, or dismiss.
		it.Actions = append(it.Actions, ActionRetry)
	case r.Status == AwaitingPayment:
		it.Kind, it.Message = AttentionPaymentFailed, "The payment did not go through. The customer can retry it from the server's page."
		if r.OrderFail != "" {
			it.Message = "The payment did not go through: " + strings.TrimSuffix(r.OrderFail, ".") + ". The customer can retry it from the server's page."
		}
	default:
		it.Kind, it.Message = AttentionSuspended, "The renewal is unpaid; the server is suspended until the customer pays."
	}
	it.Actions = append(it.Actions, ActionDismiss)
	return it
}

// attentionQuery selects the deployments that need attention now, the one
// with id $1 only when $1 is set. Handled items stay hidden, except a stuck
// one still stuck StuckAfter after its retry.
const attentionQuery = `SELECT d.id, d.name, a.email, d.status, d.failure, d.updated_at, o.id AS order_id, o.status AS order_status,
		o.failure_message, o.currency, o.amount_cents,
		coalesce((SELECT sum(r.amount_cents) FROM refunds r WHERE r.order_id = o.id AND r.status NOT IN ('failed', 'canceled')), 0)::bigint AS asked
	FROM deployments d JOIN account_directory a ON a.id = d.account_id JOIN order_summaries o ON o.id = d.order_id
	WHERE ($1::uuid IS NULL OR d.id = $1) AND (
		(d.status IN ('failed', 'suspended') AND d.attention_handled_at IS NULL AND d.updated_at > $2::timestamptz - interval '30 days')
		OR (d.status = 'awaiting_payment' AND o.status = 'failed' AND d.attention_handled_at IS NULL AND d.updated_at > $2::timestamptz - interval '30 days')
		OR (d.status IN ('paid', 'provisioning') AND d.updated_at < $3::timestamptz AND (d.attention_handled_at IS NULL OR d.attention_handled_at < $3::timestamptz)))
	ORDER BY d.updated_at DESC, d.id LIMIT 50`

// Attention lists what needs the admin's attention, newest first, at most
// 50 items (admin/deployments read).
func (s *Service) Attention(ctx context.Context) ([]AttentionItem, error) {
	if err := s.authz.Require(ctx, "admin/deployments", "read"); err != nil {
		return nil, err
	}
	var rows []attentionRow
	now := s.now()
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, attentionQuery, nil, now, now.Add(-StuckAfter))
	})
	out := make([]AttentionItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.item())
	}
	return out, err
}

// HandleAttention takes action on the deployment's item and clears it:
// retry queues provisioning again (admin/deployments write), refund
// refunds what is left of its payment (admin/billing write), dismiss
// only clears it. Returns ENOTFOUND when the deployment needs no attention
// (or is another tenant's), EINVALID naming action when the action is
// unknown, ECONFLICT when it does not apply to the item.
func (s *Service) HandleAttention(ctx context.Context, id uuid.UUID, action string) (*AttentionItem, error) {
	if err := s.authz.Require(ctx, "admin/deployments", "write"); err != nil {
		return nil, err
	}
	if action != ActionRetry && action != ActionRefund && action != ActionDismiss {
		return nil, fiatdashboard.Invalid("action", "action is retry, refund or dismiss")
	}
	var rows []attentionRow
	now := s.now()
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, attentionQuery, id, now, now.Add(-StuckAfter))
	}); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "this deployment needs no attention (already handled?)")
	}
	it := rows[0].item()
	if !slices.Contains(it.Actions, action) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "%s does not apply to %s (%s); it can be: %v", action, it.Name, it.Kind, it.Actions)
	}
	switch action {
	case ActionRetry:
		if err := s.Retry(ctx, id); err != nil {
			return nil, err
		}
	case ActionRefund:
		if err := s.billing.Refund(ctx, rows[0].OrderID, 0, "refunded by the storefront's admin ("+it.Kind+")"); err != nil {
			return nil, err
		}
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deployments SET attention_handled_at = $2, attention_action = $3 WHERE id = $1`, id, now, action)
		return err
	})
	return &it, err
}
