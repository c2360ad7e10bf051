package billing

import (
	"bytes"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// PDF renders the invoice as an A4 PDF document (pure Go, fpdf's core
// Helvetica: text outside Windows-1252 prints as '.'). store is the
// storefront's name, printed as the heading; the seller is the legal name.
func (inv *Invoice) PDF(store string) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	// One output for one invoice: the same bytes every time it is asked for.
	pdf.SetCreationDate(inv.IssuedAt)
	pdf.SetModificationDate(inv.IssuedAt)
	pdf.SetCatalogSort(true)
	pdf.SetTitle("Invoice "+inv.Label(), true)
	pdf.SetAuthor(inv.SellerName, true)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddPage()
	cp := pdf.UnicodeTranslatorFromDescriptor("") // Windows-1252, the core fonts' encoding
	tr := func(s string) string { return cp(strings.NewReplacer("−", "-", "\t", " ").Replace(s)) }
	cur := strings.ToUpper(inv.Currency)
	money := func(c Cents) string {
		if c < 0 {
			return "-" + cur + " " + (-c).String()
		}
		return cur + " " + c.String()
	}
	const width = 170.0 // A4 less the margins
	day := func(t interface{ Format(string) string }) string { return t.Format("2 January 2006") }

	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(width/2, 9, tr(store), "", 0, "L", false, 0, "")
	pdf.CellFormat(width/2, 9, "INVOICE", "", 1, "R", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.SetTextColor(90, 90, 90)
	pdf.CellFormat(width, 5, tr(inv.Label()), "", 1, "R", false, 0, "")
	pdf.Ln(6)

	// The seller on the left, the invoice's facts on the right.
	top := pdf.GetY()
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(78, 5, "From", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	seller := []string{inv.SellerName}
	seller = append(seller, strings.Split(inv.SellerAddress, "\n")...)
	if inv.SellerTaxID != "" {
		seller = append(seller, "Tax ID: "+inv.SellerTaxID)
	}
	if inv.SellerEmail != "" {
		seller = append(seller, inv.SellerEmail)
	}
	for _, l := range seller {
		if strings.TrimSpace(l) != "" {
			pdf.CellFormat(78, 5, tr(l), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(78, 5, "Bill to", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(78, 5, tr(inv.CustomerEmail), "", 1, "L", false, 0, "")
	left := pdf.GetY()

	facts := [][2]string{
		{"Invoice number", inv.Label()},
		{"Date of issue", day(inv.IssuedAt)},
		{"Service period", day(inv.PeriodFrom) + " - " + day(inv.PeriodTo)},
	}
	if inv.CardLast4 != "" {
		facts = append(facts, [2]string{"Paid with", CardLabel(inv.CardBrand, inv.CardLast4)})
	} else if inv.Credit > 0 {
		facts = append(facts, [2]string{"Paid with", "Account credit"})
	}
	pdf.SetY(top)
	for _, f := range facts {
		pdf.SetX(20 + 80)
		pdf.SetFont("Helvetica", "", 9)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(28, 5, tr(f[0]), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.SetTextColor(0, 0, 0)
		pdf.CellFormat(62, 5, tr(f[1]), "", 1, "R", false, 0, "")
	}
	pdf.SetY(max(left, pdf.GetY()) + 8)

	if inv.Description != "" {
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(width, 5, tr(inv.Description), "", "L", false)
		pdf.Ln(3)
	}

	// The lines.
	pdf.SetFont("Helvetica", "B", 10)
	pdf.SetFillColor(243, 244, 246)
	pdf.CellFormat(width-40, 7, "Description", "B", 0, "L", true, 0, "")
	pdf.CellFormat(40, 7, "Amount", "B", 1, "R", true, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	row := func(label, amount string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(width-40, 7, tr(label), "B", 0, "L", false, 0, "")
		pdf.CellFormat(40, 7, tr(amount), "B", 1, "R", false, 0, "")
	}
	for _, l := range inv.PriceLines() {
		row(l.Label, money(l.Cents), false)
	}
	if inv.Credit > 0 {
		row("Paid from account credit", money(-inv.Credit), false)
	}
	row("Total charged to the card", money(inv.Total), true)
	pdf.Ln(8)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(90, 90, 90)
	pdf.MultiCell(width, 4.5, tr(fmt.Sprintf("Paid in full on %s. Payment reference %s.", day(inv.IssuedAt), inv.OrderID)), "", "L", false)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("invoice %s: %w", inv.Label(), err)
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
