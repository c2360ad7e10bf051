package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
)

// Money you can trust (issue 15): the one definition of revenue, invoices.

// adminRevenue reports the month's figures as billing.Revenue defines them
// (?month=YYYY-MM, default this month), with their definitions.
func (s *Server) adminRevenue(c *fiber.Ctx) error {
	at := time.Now()
	if m := c.Query("month"); m != "" {
		t, err := time.Parse("2006-01", m)
		if err != nil {
			return fiatdashboard.Invalid("month", "month is YYYY-MM")
		}
		at = t
	}
	from, to := billing.MonthOf(at)
	r, err := s.deps.Billing.Revenue(c.UserContext(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"figures": r, "definitions": billing.RevenueDefinitions})
}

// receiptPage is the printable receipt of a paid order, in the tenant's
// name, built with html/template (every value escaped by context). With
// the order's invoice it is the invoice's page: number, the seller's legal
// details, the customer and the service period, and a link to its PDF.
var receiptPage = template.Must(template.New("receipt").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{if .Invoice}}Invoice {{.Invoice}}{{else}}Receipt {{.Short}}{{end}}</title><style>{{.CSS}}
body{font-family:var(--fd-font);color:#111;max-width:42rem;margin:3rem auto;padding:0 1rem}h1{color:var(--fd-primary);margin:0}
table{width:100%;border-collapse:collapse;margin:2rem 0}td{padding:.5rem 0;border-bottom:1px solid #e5e7eb}.r{text-align:right}
.muted{color:#6b7280}.total td{font-weight:700}.parties{display:flex;gap:2rem;flex-wrap:wrap;margin-top:1.5rem}.parties div{flex:1;min-width:12rem}
.parties p{margin:.25rem 0;white-space:pre-line}a.button,button{display:inline-block;margin-right:.5rem;padding:.5rem .9rem;border-radius:.375rem;
border:1px solid var(--fd-primary);color:var(--fd-primary);background:#fff;font:inherit;text-decoration:none;cursor:pointer}
@media print{button,a.button{display:none}}</style></head><body>
<h1>{{.Store}}</h1>
<p class="muted">Receipt for payment {{.ID}}{{if .Invoice}}<br>Invoice <strong data-testid="invoice-number">{{.Invoice}}</strong>{{end}}<br>Paid {{.Paid}}{{if .Card}}<br>Card: <span data-testid="receipt-card">{{.Card}}</span>{{end}}{{if .Period}}<br>Service period: <span data-testid="invoice-period">{{.Period}}</span>{{end}}</p>
<div class="parties"><div><strong>Sold by</strong><p data-testid="invoice-seller">{{.Seller}}{{if .Address}}
{{.Address}}{{end}}{{if .TaxID}}
Tax ID: {{.TaxID}}{{end}}</p></div>{{if .Customer}}<div><strong>Bill to</strong><p data-testid="invoice-customer">{{.Customer}}</p></div>{{end}}</div>
<p>{{.Description}}</p>
<table data-testid="receipt-lines">
{{range .Lines}}<tr data-kind="{{.Kind}}"><td>{{.Label}}</td><td class="r">{{.Amount}}</td></tr>
{{end}}{{if .Credit}}<tr data-kind="credit"><td>Paid from account credit</td><td class="r">−{{.Credit}}</td></tr>
{{end}}<tr class="total"><td>Total charged to the card</td><td class="r">{{.Total}}</td></tr>
{{if .Refunded}}<tr data-kind="refund"><td>Refunded</td><td class="r">−{{.Refunded}}</td></tr>{{end}}
</table>{{if .PDF}}<a class="button" href="{{.PDF}}" download data-testid="invoice-download">Download invoice (PDF)</a>{{end}}<button onclick="print()">Print</button></body></html>`))

type receiptLine struct {
	Kind, Label, Amount string
}

// receipt serves the HTML receipt of a paid order (the customer's own, or
// any for staff), with its invoice's details.
func (s *Server) receipt(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	o, err := s.deps.Billing.Order(ctx, id)
	if err != nil {
		return err
	}
	if o.PaidAt == nil {
		return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "this order is not paid")
	}
	info := s.siteInfo(c)
	t := siteOf(c).Tenant
	seller := t.Name
	if t.LegalName != "" {
		seller = t.LegalName
	}
	cur := strings.ToUpper(o.Currency)
	amount := func(v billing.Cents) string {
		if v < 0 {
			return "−" + cur + " " + (-v).String()
		}
		return cur + " " + v.String()
	}
	var lines []billing.Line
	json.Unmarshal(o.Lines, &lines)
	if len(lines) == 0 { // an order from before price lines
		lines = []billing.Line{{Label: o.Description, Cents: o.Subtotal}}
		if o.Discount > 0 {
			lines = append(lines, billing.Line{Kind: billing.LineDiscount, Label: "Discounts", Cents: -o.Discount})
		}
	}
	data := struct {
		Short, ID, Store, Seller, Paid, Card, Description string
		Invoice, Address, TaxID, Customer, Period, PDF    string
		CSS                                               template.CSS
		Lines                                             []receiptLine
		Credit, Total, Refunded                           string
	}{Short: o.ID.String()[:8], ID: o.ID.String(), Store: info.Tenant.Name, Seller: seller, Paid: o.PaidAt.Format("2 January 2006 15:04 MST"),
		Description: o.Description, CSS: template.CSS(info.theme.CSS()), Total: amount(o.Amount)}
	if brand, last4 := s.deps.Billing.OrderCard(ctx, o); last4 != "" {
		data.Card = billing.CardLabel(brand, last4)
	}
	// The invoice, when it has one, says what was true when it was issued.
	if inv, err := s.deps.Billing.Invoice(ctx, o.ID); err == nil {
		data.Invoice, data.Seller, data.Address, data.TaxID = inv.Label(), inv.SellerName, inv.SellerAddress, inv.SellerTaxID
		data.Customer = inv.CustomerEmail
		data.Period = inv.PeriodFrom.Format("2 January 2006") + " – " + inv.PeriodTo.Format("2 January 2006")
		data.PDF = "/api/orders/" + o.ID.String() + "/invoice"
		if inv.CardLast4 != "" {
			data.Card = billing.CardLabel(inv.CardBrand, inv.CardLast4)
		}
		lines = inv.PriceLines()
	} else if fiatdashboard.ErrorCode(err) != fiatdashboard.ENOTFOUND {
		return err
	}
	for _, l := range lines {
		data.Lines = append(data.Lines, receiptLine{Kind: l.Kind, Label: l.Label, Amount: amount(l.Cents)})
	}
	if o.Credit > 0 {
		data.Credit = amount(o.Credit)
	}
	if o.Refunded > 0 {
		data.Refunded = amount(o.Refunded)
	}
	var buf bytes.Buffer
	if err := receiptPage.Execute(&buf, data); err != nil {
		return err
	}
	return c.Type("html").Send(buf.Bytes())
}

// invoicePDF serves the invoice of a paid order as a PDF download (the
// customer's own, or any for staff); 404 for anyone else's or an unpaid one.
func (s *Server) invoicePDF(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	inv, err := s.deps.Billing.Invoice(c.UserContext(), id)
	if err != nil {
		return err
	}
	b, err := inv.PDF(s.siteInfo(c).Tenant.Name)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="invoice-`+inv.Label()+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Type("pdf").Send(b)
}

// creditNotePDF serves a credit note of an order as a PDF download (the
// customer's own, or any for staff); 404 for anyone else's, or one that
// belongs to another order.
func (s *Server) creditNotePDF(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	note, err := pathUUID(c, "note")
	if err != nil {
		return err
	}
	cn, err := s.deps.Billing.CreditNote(c.UserContext(), id, note)
	if err != nil {
		return err
	}
	b, err := cn.PDF(s.siteInfo(c).Tenant.Name)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="credit-note-`+cn.Label()+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Type("pdf").Send(b)
}
