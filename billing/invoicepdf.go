package billing

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// The documents' typeface: DejaVu Sans 2.37 (Bitstream Vera licence with
// DejaVu's public-domain changes: fonts/LICENSE), embedded as UTF-8 fonts so
// names print as they are written — Latin with any accent (Zoë
// Łukasiewicz), Greek, Cyrillic, arrows, currency signs — where fpdf's core
// Helvetica knows only Windows-1252. fpdf embeds only the glyphs a document
// uses. DejaVu Sans has no CJK ideographs; see README (Invoices).
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

// document is what an invoice and a credit note print alike: a heading,
// the seller and the customer, facts on the right, the lines and a total.
type document struct {
	store, kind, label, author string
	issued                     time.Time
	sellerName, sellerAddress  string
	sellerTaxID, sellerEmail   string
	customer, description      string
	facts                      [][2]string
	currency                   string
	lines                      []Line
	extra                      []Line // after the lines (credit used)
	totalLabel                 string
	total                      Cents
	footer                     string
}

// PDF renders the invoice as an A4 PDF document (pure Go). store is the
// storefront's name, printed as the heading; the seller is the legal name.
func (inv *Invoice) PDF(store string) ([]byte, error) {
	day := func(t time.Time) string { return t.Format("2 January 2006") }
	d := document{store: store, kind: "INVOICE", label: inv.Label(), author: inv.SellerName, issued: inv.IssuedAt,
		sellerName: inv.SellerName, sellerAddress: inv.SellerAddress, sellerTaxID: inv.SellerTaxID, sellerEmail: inv.SellerEmail,
		customer: inv.CustomerEmail, description: inv.Description, currency: inv.Currency, lines: inv.PriceLines(),
		totalLabel: "Total charged to the card", total: inv.Total,
		footer: fmt.Sprintf("Paid in full on %s. Payment reference %s.", day(inv.IssuedAt), inv.OrderID)}
	d.facts = [][2]string{
		{"Invoice number", inv.Label()},
		{"Date of issue", day(inv.IssuedAt)},
		{"Service period", day(inv.PeriodFrom) + " - " + day(inv.PeriodTo)},
	}
	if inv.CardLast4 != "" {
		d.facts = append(d.facts, [2]string{"Paid with", CardLabel(inv.CardBrand, inv.CardLast4)})
	} else if inv.Credit > 0 {
		d.facts = append(d.facts, [2]string{"Paid with", "Account credit"})
	}
	if inv.Credit > 0 {
		d.extra = []Line{{Label: "Paid from account credit", Cents: -inv.Credit}}
	}
	return d.pdf()
}

// PDF renders the credit note as an A4 PDF document, as its invoice is.
func (cn *CreditNote) PDF(store string) ([]byte, error) {
	day := func(t time.Time) string { return t.Format("2 January 2006") }
	why := "Refunded to the card"
	if cn.Source == CreditDisputeLost {
		why = "Dispute lost: taken back by the card's bank"
	}
	inv := InvoiceLabel(cn.InvoiceNumber)
	d := document{store: store, kind: "CREDIT NOTE", label: cn.Label(), author: cn.SellerName, issued: cn.IssuedAt,
		sellerName: cn.SellerName, sellerAddress: cn.SellerAddress, sellerTaxID: cn.SellerTaxID, sellerEmail: cn.SellerEmail,
		customer: cn.CustomerEmail, description: cn.Description, currency: cn.Currency, lines: cn.PriceLines(),
		totalLabel: "Total credited", total: -cn.Amount,
		footer: fmt.Sprintf("This credit note corrects invoice %s. Payment reference %s.", inv, cn.OrderID)}
	d.facts = [][2]string{
		{"Credit note", cn.Label()},
		{"Date of issue", day(cn.IssuedAt)},
		{"Corrects invoice", inv},
		{"Reason", why},
	}
	if cn.CardLast4 != "" && cn.Source == CreditRefund {
		d.facts = append(d.facts, [2]string{"Refunded to", CardLabel(cn.CardBrand, cn.CardLast4)})
	}
	return d.pdf()
}

func (d *document) pdf() ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	// One output for one document: the same bytes every time it is asked for.
	pdf.SetCreationDate(d.issued)
	pdf.SetModificationDate(d.issued)
	pdf.SetCatalogSort(true)
	title := strings.ToUpper(d.kind[:1]) + strings.ToLower(d.kind[1:])
	pdf.SetTitle(title+" "+d.label, true)
	pdf.SetAuthor(d.author, true)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	const family = "DejaVu"
	pdf.AddUTF8FontFromBytes(family, "", fontRegular)
	pdf.AddUTF8FontFromBytes(family, "B", fontBold)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("%s font: %w", strings.ToLower(d.kind), err)
	}
	pdf.AddPage()
	tr := func(s string) string { return strings.ReplaceAll(s, "\t", " ") }
	cur := strings.ToUpper(d.currency)
	money := func(c Cents) string {
		if c < 0 {
			return "-" + cur + " " + (-c).String()
		}
		return cur + " " + c.String()
	}
	const width = 170.0 // A4 less the margins

	pdf.SetFont(family, "B", 18)
	pdf.CellFormat(width/2, 9, tr(d.store), "", 0, "L", false, 0, "")
	pdf.CellFormat(width/2, 9, tr(d.kind), "", 1, "R", false, 0, "")
	pdf.SetFont(family, "", 10)
	pdf.SetTextColor(90, 90, 90)
	pdf.CellFormat(width, 5, tr(d.label), "", 1, "R", false, 0, "")
	pdf.Ln(6)

	// The seller on the left, the document's facts on the right.
	top := pdf.GetY()
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont(family, "B", 10)
	pdf.CellFormat(78, 5, "From", "", 1, "L", false, 0, "")
	pdf.SetFont(family, "", 10)
	seller := []string{d.sellerName}
	seller = append(seller, strings.Split(d.sellerAddress, "\n")...)
	if d.sellerTaxID != "" {
		seller = append(seller, "Tax ID: "+d.sellerTaxID)
	}
	if d.sellerEmail != "" {
		seller = append(seller, d.sellerEmail)
	}
	for _, l := range seller {
		if strings.TrimSpace(l) != "" {
			pdf.CellFormat(78, 5, tr(l), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(4)
	pdf.SetFont(family, "B", 10)
	pdf.CellFormat(78, 5, "Bill to", "", 1, "L", false, 0, "")
	pdf.SetFont(family, "", 10)
	pdf.CellFormat(78, 5, tr(d.customer), "", 1, "L", false, 0, "")
	left := pdf.GetY()

	pdf.SetY(top)
	for _, f := range d.facts {
		pdf.SetX(20 + 80)
		pdf.SetFont(family, "", 9)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(28, 5, tr(f[0]), "", 0, "L", false, 0, "")
		pdf.SetFont(family, "", 10)
		pdf.SetTextColor(0, 0, 0)
		pdf.CellFormat(62, 5, tr(f[1]), "", 1, "R", false, 0, "")
	}
	pdf.SetY(max(left, pdf.GetY()) + 8)

	if d.description != "" {
		pdf.SetFont(family, "", 10)
		pdf.MultiCell(width, 5, tr(d.description), "", "L", false)
		pdf.Ln(3)
	}

	// The lines.
	pdf.SetFont(family, "B", 10)
	pdf.SetFillColor(243, 244, 246)
	pdf.CellFormat(width-40, 7, "Description", "B", 0, "L", true, 0, "")
	pdf.CellFormat(40, 7, "Amount", "B", 1, "R", true, 0, "")
	row := func(label, amount string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont(family, style, 10)
		pdf.CellFormat(width-40, 7, tr(label), "B", 0, "L", false, 0, "")
		pdf.CellFormat(40, 7, tr(amount), "B", 1, "R", false, 0, "")
	}
	for _, l := range append(d.lines, d.extra...) {
		row(l.Label, money(l.Cents), false)
	}
	row(d.totalLabel, money(d.total), true)
	pdf.Ln(8)
	pdf.SetFont(family, "", 9)
	pdf.SetTextColor(90, 90, 90)
	pdf.MultiCell(width, 4.5, tr(d.footer), "", "L", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("%s %s: %w", strings.ToLower(d.kind), d.label, err)
	}
	return buf.Bytes(), nil
}

// CardLabel names a card as people read it: "Visa •••• 4242".
func CardLabel(brand, last4 string) string {
	if brand == "" {
		brand = "Card"
	}
	names := map[string]string{"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover",
		"diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}
	if n, ok := names[strings.ToLower(brand)]; ok {
		brand = n
	} else {
		brand = strings.ToUpper(brand[:1]) + brand[1:]
	}
	return brand + " •••• " + last4
}
