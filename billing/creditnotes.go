package billing

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Credit note sources: why money went back to the customer.
const (
	CreditRefund      = "refund"       // a refund to the card: an admin's, a cancellation's, a failed deployment's
	CreditDisputeLost = "dispute_lost" // the card's bank took it back (a lost dispute)
)

// CreditNote documents money given back on a paid order: it corrects the
// order's invoice (InvoiceNumber), with the same seller and customer, and
// lists the amount given back as negative lines. Its number is the tenant's
// own per year (CN-2026-0001), a gapless sequence apart from the invoices'.
// Account credit given instead of a refund is no refund: it has none.
type CreditNote struct {
	ID            uuid.UUID       `db:"id" json:"id"`
	Year          int             `db:"year" json:"year"`
	Number        int64           `db:"number" json:"number"`
	OrderID       uuid.UUID       `db:"order_id" json:"order_id"`
	InvoiceNumber int64           `db:"invoice_number" json:"invoice_number"`
	AccountID     uuid.UUID       `db:"account_id" json:"-"`
	Source        string          `db:"source" json:"source"`
	SourceRef     string          `db:"source_ref" json:"-"`
	IssuedAt      time.Time       `db:"issued_at" json:"issued_at"`
	SellerName    string          `db:"seller_name" json:"seller_name"`
	SellerAddress string          `db:"seller_address" json:"seller_address"`
	SellerTaxID   string          `db:"seller_tax_id" json:"seller_tax_id"`
	SellerEmail   string          `db:"seller_email" json:"seller_email"`
	CustomerEmail string          `db:"customer_email" json:"customer_email"`
	CardBrand     string          `db:"card_brand" json:"card_brand"`
	CardLast4     string          `db:"card_last4" json:"card_last4"`
	Description   string          `db:"description" json:"description"`
	Currency      string          `db:"currency" json:"currency"`
	Lines         json.RawMessage `db:"lines" json:"lines"`
	Amount        Cents           `db:"amount_cents" json:"amount_cents"` // given back; the lines sum to its negative
}

const creditNoteColumns = `id, year, number, order_id, invoice_number, account_id, source, source_ref, issued_at, seller_name, seller_address,
	seller_tax_id, seller_email, customer_email, card_brand, card_last4, description, currency, lines, amount_cents`

// Label is the credit note's number as printed: CN-2026-0001.
func (cn *CreditNote) Label() string { return CreditNoteLabel(cn.Year, cn.Number) }

// CreditNoteLabel prints a credit note number.
func CreditNoteLabel(year int, n int64) string { return fmt.Sprintf("CN-%04d-%04d", year, n) }

// PriceLines are the credit note's lines, each negative.
func (cn *CreditNote) PriceLines() []Line {
	var lines []Line
	json.Unmarshal(cn.Lines, &lines)
	return lines
}

// CreditNoteRef names a credit note of an order in order lists.
type CreditNoteRef struct {
	ID     uuid.UUID `json:"id"`
	Label  string    `json:"label"`
	Amount Cents     `json:"amount_cents"`
}

// CreditNoteRefs are an order's credit notes, oldest first; read from a
// JSON column, and written as [] when there are none.
type CreditNoteRefs []CreditNoteRef

// Scan reads the JSON array withInvoice selects.
func (r *CreditNoteRefs) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*r = CreditNoteRefs{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("credit notes: cannot scan %T", src)
	}
	out := CreditNoteRefs{}
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("credit notes: %w", err)
	}
	*r = out
	return nil
}

// Value writes the refs as JSON.
func (r CreditNoteRefs) Value() (driver.Value, error) {
	return json.Marshal([]CreditNoteRef(r.orEmpty()))
}

// MarshalJSON writes [] for none, never null.
func (r CreditNoteRefs) MarshalJSON() ([]byte, error) {
	return json.Marshal([]CreditNoteRef(r.orEmpty()))
}

func (r CreditNoteRefs) orEmpty() CreditNoteRefs {
	if r == nil {
		return CreditNoteRefs{}
	}
	return r
}

// withCreditNotes reads an order's credit notes beside it (see withInvoice).
const withCreditNotes = `, (SELECT coalesce(json_agg(json_build_object('id', c.id, 'label', 'CN-' || lpad(c.year::text, 4, '0') || '-' || lpad(c.number::text, 4, '0'),
	'amount_cents', c.amount_cents) ORDER BY c.issued_at, c.year, c.number), '[]') FROM credit_notes c WHERE c.order_id = orders.id) AS credit_notes`

// issueCreditNote documents amount given back on order o, in the
// transaction that records it (chargeRefunded, disputeEvent). ref names the
// event that gave it back (a charge and its refunded total, a dispute): a
// ref that has its credit note already makes none, so an event delivered
// twice documents the refund once. The number comes from the tenant's
// counter row for the year, locked until tx ends like the invoices'
// counter: no gaps, no duplicates, a rolled-back refund gives its number back.
// The seller, customer, card and currency are the invoice's. An order
// without an invoice (paid before invoices existed, or by a test that
// wrote its row by hand) gets none: there is nothing to correct.
func issueCreditNote(ctx context.Context, tx *tenant.Tx, tid uuid.UUID, o *Order, source, ref string, amount Cents, at time.Time) error {
	if amount <= 0 {
		return nil
	}
	var taken bool
	if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM credit_notes WHERE source_ref = $1)`, ref); err != nil || taken {
		return err
	}
	var inv Invoice
	err := tx.GetContext(ctx, &inv, `SELECT `+invoiceColumns+` FROM invoices WHERE order_id = $1`, o.ID)
	if tenant.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("credit note invoice: %w", err)
	}
	var before Cents
	if err := tx.GetContext(ctx, &before, `SELECT coalesce(sum(amount_cents), 0) FROM credit_notes WHERE order_id = $1`, o.ID); err != nil {
		return err
	}
	lines := creditLines(&inv, source, amount, before)
	b, _ := json.Marshal(lines)
	at = at.UTC()
	var n int64
	if err := tx.GetContext(ctx, &n, `INSERT INTO credit_note_counters (tenant_id, year, last_number) VALUES ($1, $2, 1)
		ON CONFLICT (tenant_id, year) DO UPDATE SET last_number = credit_note_counters.last_number + 1 RETURNING last_number`, tid, at.Year()); err != nil {
		return fmt.Errorf("credit note number: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO credit_notes (tenant_id, year, number, order_id, invoice_number, account_id, source, source_ref, issued_at,
		seller_name, seller_address, seller_tax_id, seller_email, customer_email, card_brand, card_last4, description, currency, lines, amount_cents)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb, $20)`,
		tid, at.Year(), n, o.ID, inv.Number, inv.AccountID, source, ref, at, inv.SellerName, inv.SellerAddress, inv.SellerTaxID, inv.SellerEmail,
		inv.CustomerEmail, inv.CardBrand, inv.CardLast4, inv.Description, inv.Currency, string(b), amount)
	if err != nil {
		return fmt.Errorf("credit note %s: %w", CreditNoteLabel(at.Year(), n), err)
	}
	return nil
}

// creditLines are the negative lines of amount given back on inv, before
// having been credited already: the whole card charge refunded at once
// mirrors the invoice's own lines; anything else is one line naming the
// invoice. The lines always sum to -amount.
func creditLines(inv *Invoice, source string, amount, before Cents) []Line {
	what := "Refund"
	if source == CreditDisputeLost {
		what = "Chargeback (dispute lost)"
	}
	lines := inv.PriceLines()
	var sum Cents
	for _, l := range lines {
		sum += l.Cents
	}
	if before == 0 && amount == inv.Total && inv.Credit == 0 && sum == inv.Total && len(lines) > 0 {
		out := make([]Line, len(lines))
		for i, l := range lines {
			out[i] = Line{Kind: l.Kind, Label: what + ": " + l.Label, Cents: -l.Cents}
		}
		return out
	}
	label := what + " of " + inv.Label()
	if amount < inv.Total-before {
		label = "Partial " + lowerFirst(what) + " of " + inv.Label()
	}
	if inv.Description != "" {
		label += " (" + inv.Description + ")"
	}
	return []Line{{Kind: source, Label: label, Cents: -amount}}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// CreditNotes lists an order's credit notes, oldest first: the customer's
// own order, or any of the tenant's for staff (admin/billing read). An
// order the caller may not see lists none.
func (s *Service) CreditNotes(ctx context.Context, orderID uuid.UUID) ([]CreditNote, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	staff := s.authz.Require(ctx, "admin/billing", "read") == nil
	out := []CreditNote{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+creditNoteColumns+` FROM credit_notes WHERE order_id = $1 AND (account_id = $2 OR $3)
			ORDER BY issued_at, year, number`, orderID, actor.ID, staff)
	})
	return out, err
}

// CreditNote returns one credit note of an order: the customer's own, or
// any of the tenant's for staff. ENOTFOUND when it does not exist, belongs
// to another order, or to someone else.
func (s *Service) CreditNote(ctx context.Context, orderID, id uuid.UUID) (*CreditNote, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	staff := s.authz.Require(ctx, "admin/billing", "read") == nil
	var cn CreditNote
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &cn, `SELECT `+creditNoteColumns+` FROM credit_notes WHERE id = $1 AND order_id = $2 AND (account_id = $3 OR $4)`,
			id, orderID, actor.ID, staff)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "credit note not found")
	}
	if err != nil {
		return nil, err
	}
	return &cn, nil
}
