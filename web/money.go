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
// name, built with html/template (every value escaped by context).
var receiptPage = template.Must(template.New("receipt").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Receipt {{.Short}}</title><style>{{.CSS}}
body{font-family:var(--fd-font);color:#111;max-width:42rem;margin:3rem auto;padding:0 1rem}h1{color:var(--fd-primary);margin:0}
table{width:100%;border-collapse:collapse;margin:2rem 0}td{padding:.5rem 0;border-bottom:1px solid #e5e7eb}.r{text-align:right}
.muted{color:#6b7280}.total td{font-weight:700}@media print{button{display:none}}</style></head><body>
<h1>{{.Store}}</h1>
<p class="muted">Receipt for payment {{.ID}}<br>Sold by {{.Seller}}<br>Paid {{.Paid}}{{if .Card}}<br>Card: {{.Card}}{{end}}</p>
<p>{{.Description}}</p>
<table data-testid="receipt-lines">
{{range .Lines}}<tr data-kind="{{.Kind}}"><td>{{.Label}}</td><td class="r">{{.Amount}}</td></tr>
{{end}}{{if .Credit}}<tr data-kind="credit"><td>Paid from account credit</td><td class="r">−{{.Credit}}</td></tr>
{{end}}<tr class="total"><td>Total charged to the card</td><td class="r">{{.Total}}</td></tr>
{{if .Refunded}}<tr data-kind="refund"><td>Refunded</td><td class="r">−{{.Refunded}}</td></tr>{{end}}
</table><button onclick="print()">Print</button></body></html>`))

type receiptLine struct {
	Kind, Label, Amount string
}

// receipt serves the HTML receipt of a paid order (the customer's own, or
// any for staff).
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
		CSS                                               template.CSS
		Lines                                             []receiptLine
		Credit, Total, Refunded                           string
	}{Short: o.ID.String()[:8], ID: o.ID.String(), Store: info.Tenant.Name, Seller: seller, Paid: o.PaidAt.Format("2 January 2006 15:04 MST"),
		Description: o.Description, CSS: template.CSS(info.theme.CSS()), Total: amount(o.Amount)}
	if brand, last4 := s.deps.Billing.OrderCard(ctx, o); last4 != "" {
		data.Card = strings.ToUpper(brand[:min(1, len(brand))]) + brand[min(1, len(brand)):] + " •••• " + last4
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
