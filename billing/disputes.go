package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/stripe/stripe-go/v76"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Disputes (chargebacks).
//
// Tenants' charges are direct charges on their own connected accounts: a
// dispute is the tenant's — Stripe takes the disputed amount and its dispute
// fee from the connected account's balance, and the evidence is answered for
// that account (docs.stripe.com/connect/direct-charges; with Express
// accounts the platform carries a negative balance the tenant cannot cover,
// docs.stripe.com/connect/risk-management). Express accounts have no full
// Stripe Dashboard, so the tenant's admins see and answer disputes on our
// admin pages (Disputes, RespondDispute). A co-op's charges are the
// platform's own: a lost dispute takes back the members' transfers in
// proportion, as a refund does (billing/coop's Refunded).

// Dispute is one dispute of a tenant's charge.
type Dispute struct {
	ID            string     `db:"id" json:"id"`
	OrderID       *uuid.UUID `db:"order_id" json:"order_id"`
	Amount        Cents      `db:"amount_cents" json:"amount_cents"`
	Currency      string     `db:"currency" json:"currency"`
	Reason        string     `db:"reason" json:"reason"`
	Status        string     `db:"status" json:"status"`
	EvidenceDueBy *time.Time `db:"evidence_due_by" json:"evidence_due_by"`
	EvidenceText  string     `db:"evidence_text" json:"evidence_text"`
	SubmittedAt   *time.Time `db:"submitted_at" json:"submitted_at"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at" json:"updated_at"`
}

const disputeColumns = `id, order_id, amount_cents, currency, reason, status, evidence_due_by, evidence_text, submitted_at, created_at, updated_at`

// disputeEvent records a charge.dispute.created/updated/closed: the dispute
// row, the ledger (the amount and Stripe's dispute fee withdrawn when it
// opens, the amount reinstated when it is won), an alert to the tenant's
// admins when it opens and when it closes, and, when a co-op loses it, the
// members' transfers reversed in proportion.
func (s *Service) disputeEvent(ctx context.Context, tid uuid.UUID, typ string, raw json.RawMessage) (string, error) {
	var d stripe.Dispute
	if err := json.Unmarshal(raw, &d); err != nil {
		return "", err
	}
	var obj struct {
		PaymentIntent json.RawMessage `json:"payment_intent"`
		Charge        json.RawMessage `json:"charge"`
	}
	json.Unmarshal(raw, &obj)
	pi, charge := refID(obj.PaymentIntent), refID(obj.Charge)
	var fee Cents
	for _, bt := range d.BalanceTransactions {
		if bt != nil {
			fee += Cents(bt.Fee)
		}
	}
	var due *time.Time
	if d.EvidenceDetails != nil && d.EvidenceDetails.DueBy > 0 {
		t := time.Unix(d.EvidenceDetails.DueBy, 0).UTC()
		due = &t
	}
	var o *Order
	var opened, closed bool
	var was string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var ord Order
		err := tx.GetContext(ctx, &ord, `SELECT `+orderColumns+` FROM orders WHERE payment_intent_id = $1 FOR UPDATE`, pi)
		if err == nil {
			o = &ord
		} else if !tenant.IsNoRows(err) {
			return err
		}
		var orderID *uuid.UUID
		currency := string(d.Currency)
		if o != nil {
			orderID, currency = &o.ID, o.Currency
		}
		err = tx.GetContext(ctx, &was, `SELECT status FROM disputes WHERE id = $1 FOR UPDATE`, d.ID)
		if tenant.IsNoRows(err) {
			was, opened = "", true
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO disputes (id, tenant_id, order_id, charge, amount_cents, currency, reason, status, evidence_due_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO UPDATE SET status = CASE WHEN disputes.status IN ('won', 'lost') THEN disputes.status ELSE EXCLUDED.status END,
				evidence_due_by = coalesce(EXCLUDED.evidence_due_by, disputes.evidence_due_by), updated_at = now()`,
			d.ID, tid, orderID, charge, d.Amount, currency, string(d.Reason), string(d.Status), due); err != nil {
			return err
		}
		// Money leaves the balance when the dispute opens, whatever event
		// says so first.
		if _, err := Post(ctx, tx, tid, "dispute", d.ID, currency, "dispute "+string(d.Reason),
			map[string]Cents{AcctDisputes: Cents(d.Amount), AcctStripeFees: fee, AcctStripeBalance: -Cents(d.Amount) - fee}); err != nil {
			return err
		}
		if err := tenant.Audit(ctx, tx, tid, "payment.disputed", d.ID, map[string]any{"amount_cents": d.Amount, "reason": d.Reason, "status": d.Status}); err != nil {
			return err
		}
		if typ != "charge.dispute.closed" || was == "won" || was == "lost" {
			return nil
		}
		closed = true
		switch d.Status {
		case stripe.DisputeStatusWon:
			_, err := Post(ctx, tx, tid, "dispute_won", d.ID, currency, "dispute won "+string(d.Reason),
				map[string]Cents{AcctDisputes: -Cents(d.Amount), AcctStripeBalance: Cents(d.Amount)})
			return err
		case stripe.DisputeStatusLost:
			if o != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE orders SET dispute_lost_cents = least(dispute_lost_cents + $2, amount_cents), updated_at = now() WHERE id = $1`,
					o.ID, d.Amount); err != nil {
					return err
				}
				// Money the bank took back is given back all the same: a
				// credit note documents it, for what the order had left.
				lost := min(Cents(d.Amount), o.Amount-o.DisputeLost)
				if err := issueCreditNote(ctx, tx, tid, o, CreditDisputeLost, "dispute:"+d.ID, lost, s.now()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	what := "the order"
	if o != nil {
		what = fmt.Sprintf("%q", o.Description)
	}
	switch {
	case opened && !closed:
		dueBy := "soon"
		if due != nil {
			dueBy = "by " + due.Format("2 January 2006")
		}
		s.alertAdmins(ctx, tid, "A customer disputed a payment",
			fmt.Sprintf("A customer disputed the payment of %s for %s (reason: %s). Stripe has taken the amount and its dispute fee from your balance until the dispute is decided. Answer it with your evidence %s on your billing page.",
				Cents(d.Amount), what, d.Reason, dueBy), "/admin/billing")
		return "dispute recorded", nil
	case closed:
		if d.Status == stripe.DisputeStatusLost && o != nil {
			// A co-op's members give back their part of what was lost.
			if err := s.coops.Refunded(ctx, tid, pi); err != nil {
				return "", err
			}
		}
		s.alertAdmins(ctx, tid, "A dispute was closed: "+string(d.Status),
			fmt.Sprintf("The dispute of %s for %s was closed: %s.", Cents(d.Amount), what, d.Status), "/admin/billing")
		return "dispute " + string(d.Status), nil
	}
	return "dispute updated", nil
}

func refID(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	json.Unmarshal(r, &o)
	return o.ID
}

// Disputes lists the tenant's disputes, newest first (admin/billing read).
func (s *Service) Disputes(ctx context.Context) ([]Dispute, error) {
	if err := s.authz.Require(ctx, "admin/billing", "read"); err != nil {
		return nil, err
	}
	out := []Dispute{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+disputeColumns+` FROM disputes ORDER BY created_at DESC LIMIT 200`)
	})
	return out, err
}

// RespondDispute sends the tenant's evidence for a dispute to Stripe and
// submits it (admin/billing write): ENOTFOUND for another tenant's dispute,
// ECONFLICT once it is closed or submitted, EINVALID on "evidence" for an
// empty or overlong text.
func (s *Service) RespondDispute(ctx context.Context, id, evidence string) (*Dispute, error) {
	if err := s.authz.Require(ctx, "admin/billing", "write"); err != nil {
		return nil, err
	}
	if len(evidence) < 20 || len(evidence) > 20000 {
		return nil, fiatdashboard.Invalid("evidence", "describe what was sold and why the payment is genuine (20 to 20000 characters)")
	}
	tid, _ := tenant.IDFromContext(ctx)
	var d Dispute
	var acct string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &d, `SELECT `+disputeColumns+` FROM disputes WHERE id = $1`, id)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "dispute not found")
		}
		if err != nil {
			return err
		}
		acct, err = chargeAccount(ctx, tx, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	if d.SubmittedAt != nil || d.Status == string(stripe.DisputeStatusWon) || d.Status == string(stripe.DisputeStatusLost) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this dispute has been answered or closed already")
	}
	params := &stripe.DisputeParams{Evidence: &stripe.DisputeEvidenceParams{UncategorizedText: stripe.String(evidence)}, Submit: stripe.Bool(true)}
	onAccount(params, acct)
	params.SetIdempotencyKey("dispute-evidence-" + d.ID)
	if _, err := s.sc.Disputes.Update(d.ID, params); err != nil {
		return nil, stripeError("dispute", err)
	}
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &d, `UPDATE disputes SET evidence_text = $2, submitted_at = now(), status = 'under_review', updated_at = now()
			WHERE id = $1 RETURNING `+disputeColumns, id, evidence); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "payment.dispute_answered", id, nil)
	})
	return &d, err
}

// alertAdmins mails the tenant's owners and admins; a failure is logged
// (the audit log and the admin pages keep the fact).
func (s *Service) alertAdmins(ctx context.Context, tid uuid.UUID, subject, text, path string) {
	if s.mailer == nil {
		return
	}
	var to []string
	var slug string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = $1`, tid); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &to, `SELECT DISTINCT a.email FROM account_directory a
			JOIN role_grants r ON r.account_id = a.id::text AND r.domain = $1 AND r.role = ANY($2)
			WHERE a.disabled_at IS NULL ORDER BY a.email LIMIT 50`, tid.String(), pq.Array([]string{rbac.RoleOwner, rbac.RoleAdmin}))
	})
	if err != nil {
		s.log.Error("admin alert", "tenant", tid, "err", err)
		return
	}
	body := text + "\n\n" + s.cfg.StorefrontURL(slug) + path + "\n"
	for _, addr := range to {
		if err := s.mailer.Send(ctx, tid, rbac.Mail{To: addr, Subject: subject, Text: body}); err != nil {
			s.log.Error("admin alert mail", "tenant", tid, "err", err)
		}
	}
}

// payoutFailed alerts the owner of a connected account whose payout to its
// bank failed (payout.failed): a tenant's admins, or a co-op member (who is
// no tenant's: member is the member's account then, tid uuid.Nil).
func (s *Service) payoutFailed(ctx context.Context, tid uuid.UUID, raw json.RawMessage) (string, error) {
	var p stripe.Payout
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", err
	}
	msg := p.FailureMessage
	if msg == "" {
		msg = string(p.FailureCode)
	}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tenant.Audit(ctx, tx, tid, "payout.failed", p.ID, map[string]any{"amount_cents": p.Amount, "code": p.FailureCode})
	})
	if err != nil {
		return "", err
	}
	s.alertAdmins(ctx, tid, "A payout to your bank failed",
		fmt.Sprintf("Stripe could not pay out %s to your bank account: %s. Update the bank account in your Stripe settings; the money stays on your Stripe balance.", Cents(p.Amount), msg), "/admin/billing")
	return "payout failed", nil
}
