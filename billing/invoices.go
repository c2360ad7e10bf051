package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Invoice is the invoice of one paid order, as it was when issued: the
// seller's legal details, the customer, the card, the service period and
// the price lines. Its number is the tenant's own, sequential without gaps.
type Invoice struct {
	Number        int64           `db:"number" json:"number"`
	OrderID       uuid.UUID       `db:"order_id" json:"order_id"`
	AccountID     uuid.UUID       `db:"account_id" json:"-"`
	IssuedAt      time.Time       `db:"issued_at" json:"issued_at"`
	PeriodFrom    time.Time       `db:"period_from" json:"period_from"`
	PeriodTo      time.Time       `db:"period_to" json:"period_to"`
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
	Credit        Cents           `db:"credit_cents" json:"credit_cents"` // paid from account credit
	Total         Cents           `db:"total_cents" json:"total_cents"`   // charged to the card
}

const invoiceColumns = `number, order_id, account_id, issued_at, period_from, period_to, seller_name, seller_address, seller_tax_id, seller_email,
	customer_email, card_brand, card_last4, description, currency, lines, credit_cents, total_cents`

// Label is the invoice number as printed: INV-000042.
func (inv *Invoice) Label() string { return InvoiceLabel(inv.Number) }

// InvoiceLabel prints an invoice number.
func InvoiceLabel(n int64) string { return fmt.Sprintf("INV-%06d", n) }

// PriceLines are the invoice's lines (VM, backup, IPv4, then discounts and
// the coupon as negative lines).
func (inv *Invoice) PriceLines() []Line {
	var lines []Line
	json.Unmarshal(inv.Lines, &lines)
	return lines
}

// issueInvoice gives a paid order its invoice, dated at, in the
// transaction that records the payment, for the service period [from, to). The number comes
// from the tenant's counter row, which the increment locks until tx ends:
// a concurrent payment waits and takes the next number, and a payment that
// rolls back takes its number back with it — no gaps, no duplicates. An
// order that has its invoice already keeps it.
func issueInvoice(ctx context.Context, tx *tenant.Tx, tid uuid.UUID, o *Order, at, from, to time.Time) error {
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM invoices WHERE order_id = $1)`, o.ID); err != nil || exists {
		return err
	}
	var seller struct {
		Name    string `db:"name"`
		Legal   string `db:"legal_name"`
		Address string `db:"legal_address"`
		TaxID   string `db:"tax_id"`
		Email   string `db:"support_email"`
	}
	if err := tx.GetContext(ctx, &seller, `SELECT name, legal_name, legal_address, tax_id, support_email FROM tenants WHERE id = $1`, tid); err != nil {
		return fmt.Errorf("invoice seller: %w", err)
	}
	if seller.Legal == "" {
		seller.Legal = seller.Name
	}
	var email string
	if err := tx.GetContext(ctx, &email, `SELECT email FROM account_directory WHERE id = $1`, o.AccountID); err != nil {
		return fmt.Errorf("invoice customer: %w", err)
	}
	var brand, last4 string
	if o.PaymentMethodID != nil && o.Amount > 0 {
		err := tx.QueryRowxContext(ctx, `SELECT brand, last4 FROM payment_methods WHERE id = $1 AND account_id = $2`, *o.PaymentMethodID, o.AccountID).Scan(&brand, &last4)
		if err != nil && !tenant.IsNoRows(err) {
			return err
		}
	}
	lines := o.Lines
	if len(lines) == 0 || string(lines) == "[]" || string(lines) == "null" { // an order from before price lines
		l := []Line{{Kind: LineVM, Label: o.Description, Cents: o.Subtotal}}
		if o.Discount > 0 {
			l = append(l, Line{Kind: LineDiscount, Label: "Discounts", Cents: -o.Discount})
		}
		lines, _ = json.Marshal(l)
	}
	if !to.After(from) {
		to = from.AddDate(0, max(o.Months, 1), 0)
	}
	var n int64
	if err := tx.GetContext(ctx, &n, `INSERT INTO invoice_counters (tenant_id, last_number) VALUES ($1, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET last_number = invoice_counters.last_number + 1 RETURNING last_number`, tid); err != nil {
		return fmt.Errorf("invoice number: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO invoices (tenant_id, number, order_id, account_id, issued_at, period_from, period_to, seller_name, seller_address,
		seller_tax_id, seller_email, customer_email, card_brand, card_last4, description, currency, lines, credit_cents, total_cents)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb, $18, $19)`,
		tid, n, o.ID, o.AccountID, at, from, to, seller.Legal, seller.Address, seller.TaxID, seller.Email, email, brand, last4,
		o.Description, o.Currency, string(lines), o.Credit, o.Amount)
	if err != nil {
		return fmt.Errorf("invoice %d: %w", n, err)
	}
	return nil
}

// Invoice returns the invoice of a paid order: the customer's own, or any
// of the tenant's for staff (store/orders read). ENOTFOUND when the order
// is not paid, does not exist, or belongs to someone else.
func (s *Service) Invoice(ctx context.Context, orderID uuid.UUID) (*Invoice, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	staff := s.authz.Require(ctx, "admin/billing", "read") == nil
	var inv Invoice
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &inv, `SELECT `+invoiceColumns+` FROM invoices WHERE order_id = $1 AND (account_id = $2 OR $3)`, orderID, actor.ID, staff)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "invoice not found")
	}
	if err != nil {
		return nil, err
	}
	return &inv, nil
}
