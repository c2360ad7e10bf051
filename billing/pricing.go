package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// MaxMonthlyCents bounds every monthly price a tenant sets (a size's fixed
// price, the IPv4 add-on): 100 000.00 a month for one server is beyond any
// real offer, and 36 months of it, with every line summed, stays far inside
// int64 (an unbounded price let 2^63-1 through and a 36-month quote turn
// negative).
const MaxMonthlyCents Cents = 10_000_000

// Size is a VM preset a tenant sells.
type Size struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CPU        uint64 `json:"cpu"`
	RAMGB      uint64 `json:"ram_gb"`
	DiskGB     uint64 `json:"disk_gb"`
	FixedCents Cents  `json:"fixed_cents,omitempty"` // the monthly price in fixed mode
}

// DefaultSizes are the presets of a tenant that has not set its own.
var DefaultSizes = []Size{
	{ID: "small", Name: "Small", CPU: 1, RAMGB: 2, DiskGB: 25, FixedCents: 900},
	{ID: "medium", Name: "Medium", CPU: 2, RAMGB: 4, DiskGB: 50, FixedCents: 1800},
	{ID: "large", Name: "Large", CPU: 4, RAMGB: 8, DiskGB: 100, FixedCents: 3600},
}

// PriceRule is how a tenant turns grid cost into its price.
type PriceRule struct {
	Mode      string `db:"mode" json:"mode"`             // margin or fixed
	MarginBPS int64  `db:"margin_bps" json:"margin_bps"` // 5000 = grid list cost + 50 %
	IPv4Cents Cents  `db:"ipv4_cents" json:"ipv4_cents"` // a public IPv4 per month, in fixed mode
	// StandbyCents and QSFSCents are fixed monthly add-ons for the backup
	// options; 0 prices the option from its grid cost under the rule (the
	// margin, or in fixed mode: a standby costs the size's own price, and
	// a QSFS swarm needs its add-on set before it is sold).
	StandbyCents Cents  `db:"standby_cents" json:"standby_cents"`
	QSFSCents    Cents  `db:"qsfs_cents" json:"qsfs_cents"`
	Sizes        []Size `db:"-" json:"sizes"`
}

// DiscountTier gives a percentage off from a threshold on.
type DiscountTier struct {
	ID        uuid.UUID `db:"id" json:"id"`
	Kind      string    `db:"kind" json:"kind"` // prepaid_months or active_deployments
	Threshold int       `db:"threshold" json:"threshold"`
	PctBPS    int64     `db:"pct_bps" json:"pct_bps"`
}

// Coupon is a code a customer enters for a percentage off.
type Coupon struct {
	ID             uuid.UUID  `db:"id" json:"id"`
	Code           string     `db:"code" json:"code"`
	PctBPS         int64      `db:"pct_bps" json:"pct_bps"`
	MaxRedemptions *int       `db:"max_redemptions" json:"max_redemptions"`
	Redeemed       int        `db:"redeemed" json:"redeemed"`
	ExpiresAt      *time.Time `db:"expires_at" json:"expires_at"`
}

// Pricing is everything that sets a tenant's prices.
type Pricing struct {
	Currency string         `json:"currency"`
	Rule     PriceRule      `json:"rule"`
	Tiers    []DiscountTier `json:"tiers"`
	Coupons  []Coupon       `json:"coupons,omitempty"`
}

// loadPricing reads the tenant's pricing in tx (the defaults when unset).
func loadPricing(ctx context.Context, tx *tenant.Tx, withCoupons bool) (*Pricing, error) {
	p := &Pricing{Rule: PriceRule{Mode: "margin", MarginBPS: 5000, IPv4Cents: 300, Sizes: DefaultSizes}, Tiers: []DiscountTier{}, Coupons: []Coupon{}}
	if err := tx.GetContext(ctx, &p.Currency, `SELECT base_currency FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`); err != nil {
		return nil, err
	}
	var row struct {
		PriceRule
		Sizes string `db:"sizes"`
	}
	err := tx.GetContext(ctx, &row, `SELECT mode, margin_bps, ipv4_cents, standby_cents, qsfs_cents, sizes::text AS sizes FROM price_rules`)
	if err == nil {
		p.Rule = row.PriceRule
		if err := json.Unmarshal([]byte(row.Sizes), &p.Rule.Sizes); err != nil {
			return nil, fmt.Errorf("stored sizes: %w", err)
		}
	} else if !tenant.IsNoRows(err) {
		return nil, err
	}
	if err := tx.SelectContext(ctx, &p.Tiers, `SELECT id, kind, threshold, pct_bps FROM discount_tiers ORDER BY kind, threshold`); err != nil {
		return nil, err
	}
	if withCoupons {
		if err := tx.SelectContext(ctx, &p.Coupons, `SELECT id, code, pct_bps, max_redemptions, redeemed, expires_at FROM coupons ORDER BY code`); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Pricing returns the tenant's pricing (admin/pricing read).
func (s *Service) Pricing(ctx context.Context) (*Pricing, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "read"); err != nil {
		return nil, err
	}
	var p *Pricing
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		p, err = loadPricing(ctx, tx, true)
		return err
	})
	return p, err
}

// SavePricing replaces the tenant's price rule and discount tiers
// (admin/pricing write). Coupons are managed one by one.
func (s *Service) SavePricing(ctx context.Context, in Pricing) (*Pricing, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "write"); err != nil {
		return nil, err
	}
	r := in.Rule
	switch {
	case r.Mode != "margin" && r.Mode != "fixed":
		return nil, fiatdashboard.Invalid("rule.mode", "the price rule is margin or fixed")
	case r.MarginBPS < 0 || r.MarginBPS > 100000:
		return nil, fiatdashboard.Invalid("rule.margin_bps", "the margin must be 0-1000 %%")
	case r.IPv4Cents < 0 || r.IPv4Cents > MaxMonthlyCents:
		return nil, fiatdashboard.Invalid("rule.ipv4_cents", "the IPv4 price is 0 to %d cents a month", MaxMonthlyCents)
	case r.StandbyCents < 0 || r.StandbyCents > 10_000_00:
		return nil, fiatdashboard.Invalid("rule.standby_cents", "the standby VM add-on is 0 (priced from grid cost) up to 10000 a month")
	case r.QSFSCents < 0 || r.QSFSCents > 10_000_00:
		return nil, fiatdashboard.Invalid("rule.qsfs_cents", "the QSFS swarm add-on is 0 (priced from grid cost) up to 10000 a month")
	case len(r.Sizes) == 0 || len(r.Sizes) > 12:
		return nil, fiatdashboard.Invalid("rule.sizes", "offer 1-12 sizes")
	}
	seen := map[string]bool{}
	for i, z := range r.Sizes {
		field := fmt.Sprintf("rule.sizes[%d]", i)
		switch {
		case z.ID == "" || seen[z.ID] || strings.ContainsAny(z.ID, " /"):
			return nil, fiatdashboard.Invalid(field+".id", "each size needs its own id without spaces")
		case z.Name == "":
			return nil, fiatdashboard.Invalid(field+".name", "name the size")
		case z.CPU < 1 || z.CPU > 64 || z.RAMGB < 1 || z.RAMGB > 512 || z.DiskGB < 15 || z.DiskGB > 10000:
			return nil, fiatdashboard.Invalid(field, "a size has 1-64 vCPU, 1-512 GB RAM and 15-10000 GB disk")
		case r.Mode == "fixed" && z.FixedCents <= 0:
			return nil, fiatdashboard.Invalid(field+".fixed_cents", "in fixed mode every size needs a monthly price")
		case z.FixedCents < 0 || z.FixedCents > MaxMonthlyCents:
			return nil, fiatdashboard.Invalid(field+".fixed_cents", "a monthly price is at most %d cents", MaxMonthlyCents)
		}
		seen[z.ID] = true
	}
	for i, t := range in.Tiers {
		if (t.Kind != "prepaid_months" && t.Kind != "active_deployments") || t.Threshold < 1 || t.Threshold > 100000 || t.PctBPS < 1 || t.PctBPS > 9000 {
			return nil, fiatdashboard.Invalid(fmt.Sprintf("tiers[%d]", i), "a tier is prepaid_months or active_deployments, from a threshold ≥ 1, for 0.01-90 %% off")
		}
	}
	sizes, _ := json.Marshal(r.Sizes)
	tid, _ := tenant.IDFromContext(ctx)
	var out *Pricing
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var currency string
		if err := tx.GetContext(ctx, &currency, `SELECT base_currency FROM tenants WHERE id = $1`, tid); err != nil {
			return err
		}
		if r.Mode == "margin" && currency != "usd" {
			return fiatdashboard.Invalid("rule.mode", "the grid bills in USD: a %s storefront uses fixed prices", strings.ToUpper(currency))
		}
		if r.Mode == "fixed" && r.QSFSCents == 0 {
			return fiatdashboard.Invalid("rule.qsfs_cents", "in fixed mode set the monthly price of the QSFS backup swarm")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO price_rules (tenant_id, mode, margin_bps, ipv4_cents, standby_cents, qsfs_cents, sizes) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
			ON CONFLICT (tenant_id) DO UPDATE SET mode = EXCLUDED.mode, margin_bps = EXCLUDED.margin_bps, ipv4_cents = EXCLUDED.ipv4_cents,
			standby_cents = EXCLUDED.standby_cents, qsfs_cents = EXCLUDED.qsfs_cents, sizes = EXCLUDED.sizes, updated_at = now()`,
			tid, r.Mode, r.MarginBPS, r.IPv4Cents, r.StandbyCents, r.QSFSCents, string(sizes)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM discount_tiers`); err != nil {
			return err
		}
		for i, t := range in.Tiers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO discount_tiers (tenant_id, kind, threshold, pct_bps) VALUES ($1, $2, $3, $4)`, tid, t.Kind, t.Threshold, t.PctBPS); err != nil {
				if isUnique(err) {
					return fiatdashboard.Invalid(fmt.Sprintf("tiers[%d]", i), "two tiers of one kind share a threshold")
				}
				return err
			}
		}
		if err := tenant.Audit(ctx, tx, tid, "pricing.changed", r.Mode, map[string]any{"margin_bps": r.MarginBPS, "sizes": len(r.Sizes), "tiers": len(in.Tiers)}); err != nil {
			return err
		}
		var err error
		out, err = loadPricing(ctx, tx, true)
		return err
	})
	return out, err
}

// QuoteInput is what a customer picks.
type QuoteInput struct {
	Size   string `json:"size"` // a preset id, or "custom"
	CPU    uint64 `json:"cpu"`
	RAMGB  uint64 `json:"ram_gb"`
	DiskGB uint64 `json:"disk_gb"`
	IPv4   bool   `json:"ipv4"`
	Months int    `json:"months"`
	Coupon string `json:"coupon"`
	// Backup is none (or empty), vm (a standby VM on another farm) or qsfs
	// (a QSFS swarm): each is priced on its own line.
	Backup string `json:"backup"`
	// Rent is the node the order rents whole (a GPU server: ZOS attaches a
	// GPU only on a node its twin rents). deploy sets it once it has
	// picked the node; a customer never sends it.
	Rent *RentedNode `json:"-"`
	// Plan is an app's resources part by part (apps.go): deploy builds it
	// from the app's form; a customer never sends it. Set, it replaces the
	// size, IPv4 and backup.
	Plan *Plan `json:"-"`
}

// RentedNode is a node an order rents whole: its rent is priced as its
// own line from the chain's dedicated-node price of the node's whole
// capacity plus the farmer's extra fee (grid.QuoteWorkload, Dedicated).
type RentedNode struct {
	ID                uint32         `json:"node_id"`
	Total             grid.Resources `json:"-"`
	GPUs              int            `json:"gpus"`
	ExtraFeeMUSDMonth uint64         `json:"extra_fee_musd_month"`
	// The node's whole capacity, as the chain bills the rent.
	CRU uint64 `json:"cru"`
	MRU uint64 `json:"mru"`
	SRU uint64 `json:"sru"`
	HRU uint64 `json:"hru"`
}

// total is the node's whole capacity, from Total or the stored fields.
func (n *RentedNode) total() grid.Resources {
	if n.Total != (grid.Resources{}) {
		return n.Total
	}
	return grid.Resources{CRU: n.CRU, MRU: n.MRU, SRU: n.SRU, HRU: n.HRU}
}

// Line is one line of a price. In a quote's Lines the cents are per month;
// in an order's lines they are for the order's period, discounts negative.
type Line struct {
	// Kind is vm, ipv4, standby, qsfs, discount or coupon.
	Kind  string `json:"kind,omitempty"`
	Label string `json:"label"`
	Cents Cents  `json:"cents"`
}

// Price line kinds.
const (
	LineVM       = "vm"
	LineIPv4     = "ipv4"
	LineStandby  = "standby"
	LineQSFS     = "qsfs"
	LineRent     = "rent"
	LineDiscount = "discount"
	LineCoupon   = "coupon"
)

// The QSFS backup swarm every "qsfs" order gets (ARCHITECTURE.md §6): 20
// data zdbs of which any 12 rebuild the data (it survives 8 lost storage
// nodes), 4 metadata zdbs, and an SSD cache on the VM's own node. deploy
// provisions exactly this layout; pricing bills it.
const (
	QSFSExpected = 20
	QSFSMinimal  = 12
	QSFSMeta     = 4
	QSFSShardGB  = 10
	QSFSMetaGB   = 1
	QSFSCacheGB  = 2
)

// PriceQuote is what an order would cost.
type PriceQuote struct {
	Currency     string `json:"currency"`
	MonthlyCents Cents  `json:"monthly_cents"` // list price per month
	Months       int    `json:"months"`
	Subtotal     Cents  `json:"subtotal_cents"`
	Discounts    []Line `json:"discounts"`
	Discount     Cents  `json:"discount_cents"`
	Total        Cents  `json:"total_cents"`
	Coupon       string `json:"coupon,omitempty"`
	Spec         Spec   `json:"spec"`
	// Lines are the parts of the monthly price (VM, public IPv4, standby
	// VM, QSFS swarm), summing to MonthlyCents.
	Lines []Line `json:"lines"`
	// For tenant staff only.
	Breakdown *Breakdown `json:"breakdown,omitempty"`
}

// Spec is the machine an order pays for.
type Spec struct {
	Size   string `json:"size"`
	CPU    uint64 `json:"cpu"`
	RAMGB  uint64 `json:"ram_gb"`
	DiskGB uint64 `json:"disk_gb"`
	IPv4   bool   `json:"ipv4"`
	Backup string `json:"backup,omitempty"` // vm or qsfs; empty for none
	// Rent is the node the order rents whole (a GPU order): its renewals
	// are priced with the same rent.
	Rent *RentedNode `json:"rent,omitempty"`
	// Plan is the app's resources when the order is an app (not a plain
	// VM): renewals are priced from it.
	Plan *Plan `json:"plan,omitempty"`
}

// Input is the quote question that prices spec again for months (a
// subscription's renewal, a changed plan).
func (sp Spec) Input(months int) QuoteInput {
	return QuoteInput{Size: sp.Size, CPU: sp.CPU, RAMGB: sp.RAMGB, DiskGB: sp.DiskGB, IPv4: sp.IPv4, Backup: sp.Backup, Rent: sp.Rent, Plan: sp.Plan, Months: months}
}

// Breakdown shows a tenant what a price is made of.
type Breakdown struct {
	GridUSDMonthCents Cents `json:"grid_usd_month_cents"` // TFT cost at the wallet's staking tier, in USD cents, backup included
	// BackupGridUSDMonthCents is the part of GridUSDMonthCents the backup
	// option costs on the grid (standby VM, or the swarm's zdbs and cache).
	BackupGridUSDMonthCents Cents  `json:"backup_grid_usd_month_cents"`
	TFTMonth                string `json:"tft_month"`
	StakingDiscount         string `json:"staking_discount"`
	StripeFeeCents          Cents  `json:"stripe_fee_cents"`
	PlatformFeeCents        Cents  `json:"platform_fee_cents"`
	MarginCents             Cents  `json:"margin_cents"`
}

const gib = 1 << 30

func ceilDiv(a, b *big.Int) *big.Int {
	q, m := new(big.Int).QuoRem(a, b, new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// usdCents rounds a USD amount up to whole cents.
func usdCents(usd *big.Rat) Cents {
	c := new(big.Rat).Mul(usd, big.NewRat(100, 1))
	return Cents(ceilDiv(c.Num(), c.Denom()).Int64())
}

// applyBPS returns ceil(c × bps / 10000).
func applyBPS(c Cents, bps int64) Cents {
	return Cents(ceilDiv(big.NewInt(int64(c)*bps), big.NewInt(10000)).Int64())
}

// StripeFee estimates Stripe's card fee: 2.9 % + 30 ¢ (standard European
// and US card pricing), rounded up.
func StripeFee(amount Cents) Cents {
	if amount == 0 {
		return 0
	}
	return applyBPS(amount, 290) + 30
}

// quote prices in tx; the caller has the tenant scope.
func (s *Service) quote(ctx context.Context, tx *tenant.Tx, in QuoteInput, staff bool) (*PriceQuote, error) {
	p, err := loadPricing(ctx, tx, false)
	if err != nil {
		return nil, err
	}
	if in.Months == 0 {
		in.Months = 1
	}
	if in.Months < 1 || in.Months > 36 {
		return nil, fiatdashboard.Invalid("months", "pay for 1 to 36 months")
	}
	if in.Plan != nil {
		return s.quotePlan(ctx, tx, p, in, staff) // an app (apps.go)
	}
	spec := Spec{Size: in.Size, IPv4: in.IPv4}
	var fixed Cents
	if in.Size == "custom" {
		if in.CPU < 1 || in.CPU > 32 {
			return nil, fiatdashboard.Invalid("cpu", "choose 1-32 vCPU")
		}
		if in.RAMGB < 1 || in.RAMGB > 256 {
			return nil, fiatdashboard.Invalid("ram_gb", "choose 1-256 GB of memory")
		}
		if in.DiskGB < 15 || in.DiskGB > 4000 {
			return nil, fiatdashboard.Invalid("disk_gb", "choose 15-4000 GB of disk")
		}
		if p.Rule.Mode == "fixed" {
			return nil, fiatdashboard.Invalid("size", "this storefront sells its sizes only; pick one")
		}
		spec.CPU, spec.RAMGB, spec.DiskGB = in.CPU, in.RAMGB, in.DiskGB
	} else {
		found := false
		for _, z := range p.Rule.Sizes {
			if z.ID == in.Size {
				spec.CPU, spec.RAMGB, spec.DiskGB, fixed, found = z.CPU, z.RAMGB, z.DiskGB, z.FixedCents, true
			}
		}
		if !found {
			return nil, fiatdashboard.Invalid("size", "pick one of the sizes on offer")
		}
	}
	switch in.Backup {
	case "", "none":
		in.Backup = ""
	case "vm", "qsfs":
		spec.Backup = in.Backup
	default:
		return nil, fiatdashboard.Invalid("backup", "backup is none, vm or qsfs")
	}
	gc, err := gridCostOf(spec)
	if err != nil {
		return nil, err
	}
	margin := func(usd *big.Rat) Cents { return applyBPS(usdCents(usd), 10000+p.Rule.MarginBPS) }
	vmLabel := fmt.Sprintf("VM %d vCPU, %d GB RAM, %d GB disk", spec.CPU, spec.RAMGB, spec.DiskGB)
	var lines []Line
	var rent *grid.Quote
	if in.Rent != nil {
		// A node contract on a node with an active rent contract is billed
		// for its public IPs only (tfchain pallet-smart-contract cost.rs,
		// calculate_contract_cost: bill_resources is false when
		// ActiveRentContractForNode holds the node): the rent carries the
		// capacity.
		r, err := rentCostOf(in.Rent)
		if err != nil {
			return nil, err
		}
		rent = &r
		t := in.Rent.total()
		spec.Rent = &RentedNode{ID: in.Rent.ID, GPUs: in.Rent.GPUs, ExtraFeeMUSDMonth: in.Rent.ExtraFeeMUSDMonth, CRU: t.CRU, MRU: t.MRU, SRU: t.SRU, HRU: t.HRU}
		gc.billed.Sub(gc.billed, gc.vm.USDMonth)
		gc.billed.Add(gc.billed, r.USDMonth)
		gc.tftMonth += r.TFTMonth - gc.vm.TFTMonth
	}
	switch {
	case rent != nil:
		if p.Rule.Mode == "fixed" {
			lines = append(lines, Line{Kind: LineVM, Label: vmLabel, Cents: fixed})
		}
		t := in.Rent.total()
		label := fmt.Sprintf("Node %d rented whole: %d vCPU, %d GB RAM", in.Rent.ID, t.CRU, t.MRU/gib)
		if in.Rent.GPUs > 0 {
			label += fmt.Sprintf(", %d GPU", in.Rent.GPUs)
		}
		if p.Rule.Mode != "fixed" {
			label += fmt.Sprintf(" (runs your %d vCPU, %d GB RAM, %d GB disk VM)", spec.CPU, spec.RAMGB, spec.DiskGB)
		}
		lines = append(lines, Line{Kind: LineRent, Label: label, Cents: margin(rent.ListUSDMonth)})
		if in.IPv4 {
			c := margin(gc.ipv4.ListUSDMonth)
			if p.Rule.Mode == "fixed" {
				c = p.Rule.IPv4Cents
			}
			lines = append(lines, Line{Kind: LineIPv4, Label: "Public IPv4 address", Cents: c})
		}
	case p.Rule.Mode == "fixed":
		lines = append(lines, Line{Kind: LineVM, Label: vmLabel, Cents: fixed})
		if in.IPv4 {
			lines = append(lines, Line{Kind: LineIPv4, Label: "Public IPv4 address", Cents: p.Rule.IPv4Cents})
		}
	default:
		lines = append(lines, Line{Kind: LineVM, Label: vmLabel, Cents: margin(gc.vm.ListUSDMonth)})
		if in.IPv4 {
			lines = append(lines, Line{Kind: LineIPv4, Label: "Public IPv4 address", Cents: margin(gc.ipv4.ListUSDMonth)})
		}
	}
	switch spec.Backup {
	case "vm":
		c := p.Rule.StandbyCents
		switch {
		case c > 0:
		case p.Rule.Mode == "fixed":
			c = fixed // a standby is a second machine of the same size
		default:
			c = margin(gc.backupList)
		}
		lines = append(lines, Line{Kind: LineStandby, Label: "Backup: standby VM on another farm (failover)", Cents: c})
	case "qsfs":
		c := p.Rule.QSFSCents
		if c == 0 {
			if p.Rule.Mode == "fixed" {
				return nil, fiatdashboard.Invalid("backup", "this storefront does not sell the QSFS backup swarm yet; pick another backup")
			}
			c = margin(gc.backupList)
		}
		lines = append(lines, Line{Kind: LineQSFS, Label: fmt.Sprintf("Backup: QSFS swarm (%d storage nodes, survives %d lost)", QSFSExpected, QSFSExpected-QSFSMinimal), Cents: c})
	}
	return s.finishQuote(ctx, tx, p, in, spec, lines, gc, staff)
}

// finishQuote sums the monthly lines and applies the period, the tiers, the
// coupon and (staff) the breakdown: the part every quote shares.
func (s *Service) finishQuote(ctx context.Context, tx *tenant.Tx, p *Pricing, in QuoteInput, spec Spec, lines []Line, gc *gridCost, staff bool) (*PriceQuote, error) {
	var monthly Cents
	for _, l := range lines {
		monthly += l.Cents
	}
	q := &PriceQuote{Currency: p.Currency, MonthlyCents: monthly, Months: in.Months, Spec: spec, Lines: lines}
	q.Subtotal = monthly * Cents(in.Months)
	// The best prepaid-months tier applies; tiers by active deployments
	// apply once deployments exist.
	var tierBPS int64
	for _, t := range p.Tiers {
		if t.Kind == "prepaid_months" && in.Months >= t.Threshold && t.PctBPS > tierBPS {
			tierBPS = t.PctBPS
		}
	}
	remaining := q.Subtotal
	if tierBPS > 0 {
		d := remaining * Cents(tierBPS) / 10000 // discounts round down: the customer never pays more than shown
		q.Discounts = append(q.Discounts, Line{Kind: LineDiscount, Label: fmt.Sprintf("%d months prepaid: %s %% off", in.Months, bpsPct(tierBPS)), Cents: d})
		remaining -= d
	}
	if code := strings.ToUpper(strings.TrimSpace(in.Coupon)); code != "" {
		var c Coupon
		err := tx.GetContext(ctx, &c, `SELECT id, code, pct_bps, max_redemptions, redeemed, expires_at FROM coupons WHERE code = $1`, code)
		switch {
		case tenant.IsNoRows(err):
			return nil, fiatdashboard.Invalid("coupon", "this coupon code is not valid")
		case err != nil:
			return nil, err
		case c.ExpiresAt != nil && s.now().After(*c.ExpiresAt):
			return nil, fiatdashboard.Invalid("coupon", "this coupon has expired")
		case c.MaxRedemptions != nil && c.Redeemed >= *c.MaxRedemptions:
			return nil, fiatdashboard.Invalid("coupon", "this coupon has been used up")
		}
		d := remaining * Cents(c.PctBPS) / 10000
		q.Discounts = append(q.Discounts, Line{Kind: LineCoupon, Label: fmt.Sprintf("Coupon %s: %s %% off", c.Code, bpsPct(c.PctBPS)), Cents: d})
		remaining -= d
		q.Coupon = c.Code
	}
	q.Discount = q.Subtotal - remaining
	q.Total = remaining
	if q.Discounts == nil {
		q.Discounts = []Line{}
	}
	if staff {
		fee, err := platformFee(ctx, tx, q.Total)
		if err != nil {
			return nil, err
		}
		gridMonth := usdCents(gc.billed)
		grid := gridMonth * Cents(in.Months)
		b := &Breakdown{GridUSDMonthCents: gridMonth, BackupGridUSDMonthCents: usdCents(gc.backupBilled), TFTMonth: gc.tftMonth.String(),
			StakingDiscount: fmt.Sprintf("%s (%d %%)", gc.vm.Discount, gc.vm.DiscountPct), StripeFeeCents: StripeFee(q.Total), PlatformFeeCents: fee}
		b.MarginCents = q.Total - grid - b.StripeFeeCents - b.PlatformFeeCents
		q.Breakdown = b
	}
	return q, nil
}

func bpsPct(bps int64) string {
	if bps%100 == 0 {
		return fmt.Sprint(bps / 100)
	}
	return fmt.Sprintf("%d.%02d", bps/100, bps%100)
}

// platformFee is the platform's application fee on an amount: the tenant's
// override, or the platform's setting.
func platformFee(ctx context.Context, tx *tenant.Tx, amount Cents) (Cents, error) {
	var f struct {
		BPS   int64 `db:"bps"`
		Fixed Cents `db:"fixed"`
	}
	err := tx.GetContext(ctx, &f, `SELECT coalesce(t.platform_fee_bps, p.platform_fee_bps) AS bps, coalesce(t.platform_fee_fixed_cents, p.platform_fee_fixed_cents) AS fixed
		FROM tenants t, platform_settings p WHERE t.id = current_setting('app.tenant_id')::uuid`)
	if err != nil {
		return 0, err
	}
	if amount == 0 {
		return 0, nil
	}
	return min(applyBPS(amount, f.BPS)+f.Fixed, amount), nil
}

// Quote prices a machine for the customer (store/orders read). Staff also
// see the breakdown.
func (s *Service) Quote(ctx context.Context, in QuoteInput) (*PriceQuote, error) {
	if err := s.authz.Require(ctx, "store/orders", "read"); err != nil {
		return nil, err
	}
	staff := s.authz.Require(ctx, "admin/pricing", "read") == nil
	var q *PriceQuote
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		q, err = s.quote(ctx, tx, in, staff)
		return err
	})
	return q, err
}

// PublicQuote prices a machine for a visitor (no account needed): the
// storefront's live price.
func (s *Service) PublicQuote(ctx context.Context, in QuoteInput) (*PriceQuote, error) {
	var q *PriceQuote
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		q, err = s.quote(ctx, tx, in, false)
		return err
	})
	return q, err
}

// Catalog is what a storefront sells: its sizes with monthly prices.
type Catalog struct {
	Currency string         `json:"currency"`
	Sizes    []PricedSize   `json:"sizes"`
	Custom   bool           `json:"custom"` // custom sizes are priced from grid cost
	Tiers    []DiscountTier `json:"tiers"`
}

// PricedSize is a size with its monthly price.
type PricedSize struct {
	Size
	MonthlyCents Cents `json:"monthly_cents"`
}

// Catalog returns the storefront's sizes and prices; public.
func (s *Service) Catalog(ctx context.Context) (*Catalog, error) {
	var c Catalog
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		p, err := loadPricing(ctx, tx, false)
		if err != nil {
			return err
		}
		c = Catalog{Currency: p.Currency, Custom: p.Rule.Mode == "margin", Tiers: p.Tiers, Sizes: []PricedSize{}}
		if c.Tiers == nil {
			c.Tiers = []DiscountTier{} // [] rather than null, as web/openapi.json says
		}
		for _, z := range p.Rule.Sizes {
			q, err := s.quote(ctx, tx, QuoteInput{Size: z.ID}, false)
			if err != nil {
				return err
			}
			z.FixedCents = 0
			c.Sizes = append(c.Sizes, PricedSize{Size: z, MonthlyCents: q.MonthlyCents})
		}
		return nil
	})
	return &c, err
}

// rentCostOf prices renting n whole for a month: the chain's dedicated
// share of the node's whole capacity plus the farmer's extra fee
// (grid.QuoteWorkload with Dedicated; cost.rs calculate_contract_cost,
// RentContract, and calculate_extra_fee_cost).
func rentCostOf(n *RentedNode) (grid.Quote, error) {
	t := n.total()
	return grid.QuoteWorkload(grid.Workload{CRU: t.CRU, MRU: t.MRU, SRU: t.SRU, HRU: t.HRU,
		Dedicated: true, ExtraFeeMUSDMonth: n.ExtraFeeMUSDMonth}, grid.MainnetPricingPolicy, referenceTFTPrice, 0)
}

// gridCost is what a spec's contracts cost on the grid each month: the VM
// (without and with its public IPv4, which the chain bills per address as
// IPU), and the backup option's own contracts.
type gridCost struct {
	vm, ipv4             grid.Quote // the VM's capacity alone; one IPv4 alone
	backupList           *big.Rat   // USD/month, list
	billed, backupBilled *big.Rat   // USD/month, after the staking discount (backup included in billed)
	tftMonth             grid.TFTUnits
}

// gridCostOf prices spec on the grid (grid.QuoteWorkload, the chain's own
// formulas). A standby VM is a second VM of the same capacity without a
// public IPv4 (deploy places it on another farm). A QSFS swarm is
// QSFSExpected data zdbs of QSFSShardGB and QSFSMeta metadata zdbs of
// QSFSMetaGB, each its own node contract billed with its own hourly
// rounding (cost.rs rounds each contract's hourly cost up), placed on HDD
// (deploy picks storage nodes by free HDD), plus the SSD cache that grows
// the VM's own contract by QSFSCacheGB.
func gridCostOf(spec Spec) (*gridCost, error) {
	quote := func(w grid.Workload) (grid.Quote, error) {
		return grid.QuoteWorkload(w, grid.MainnetPricingPolicy, referenceTFTPrice, 0)
	}
	vmW := grid.Workload{CRU: spec.CPU, MRU: spec.RAMGB * gib, SRU: spec.DiskGB * gib}
	c := &gridCost{backupList: new(big.Rat), backupBilled: new(big.Rat)}
	var err error
	if c.vm, err = quote(vmW); err != nil {
		return nil, err
	}
	if c.ipv4, err = quote(grid.Workload{PublicIPv4: 1}); err != nil {
		return nil, err
	}
	c.billed = new(big.Rat).Set(c.vm.USDMonth)
	c.tftMonth = c.vm.TFTMonth
	if spec.IPv4 {
		c.billed.Add(c.billed, c.ipv4.USDMonth)
		c.tftMonth += c.ipv4.TFTMonth
	}
	add := func(w grid.Workload, n int64) error {
		q, err := quote(w)
		if err != nil {
			return err
		}
		k := new(big.Rat).SetInt64(n)
		c.backupList.Add(c.backupList, new(big.Rat).Mul(q.ListUSDMonth, k))
		c.backupBilled.Add(c.backupBilled, new(big.Rat).Mul(q.USDMonth, k))
		c.tftMonth += q.TFTMonth * grid.TFTUnits(n)
		return nil
	}
	switch spec.Backup {
	case "vm":
		err = add(vmW, 1)
	case "qsfs":
		if err = add(grid.Workload{HRU: QSFSShardGB * gib}, QSFSExpected); err == nil {
			err = add(grid.Workload{HRU: QSFSMetaGB * gib}, QSFSMeta)
		}
		if err == nil {
			// The cache: the VM's contract with it, less the VM's contract without.
			withCache := vmW
			withCache.SRU += QSFSCacheGB * gib
			var q grid.Quote
			if q, err = quote(withCache); err == nil {
				c.backupList.Add(c.backupList, new(big.Rat).Sub(q.ListUSDMonth, c.vm.ListUSDMonth))
				c.backupBilled.Add(c.backupBilled, new(big.Rat).Sub(q.USDMonth, c.vm.USDMonth))
				c.tftMonth += q.TFTMonth - c.vm.TFTMonth
			}
		}
	}
	if err != nil {
		return nil, err
	}
	c.billed.Add(c.billed, c.backupBilled)
	return c, nil
}

// referenceTFTPrice converts grid cost to TFT until a live TFT price feed
// arrives with the treasury.
var referenceTFTPrice, _ = grid.ParseDecimal(grid.ReferenceTFTPrice)

// CreateCoupon adds a coupon code (admin/pricing write).
func (s *Service) CreateCoupon(ctx context.Context, c Coupon) (*Coupon, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "write"); err != nil {
		return nil, err
	}
	c.Code = strings.ToUpper(strings.TrimSpace(c.Code))
	switch {
	case !couponCode.MatchString(c.Code):
		return nil, fiatdashboard.Invalid("code", "a code is 3-32 letters, digits, - or _")
	case c.PctBPS < 1 || c.PctBPS > 10000:
		return nil, fiatdashboard.Invalid("pct_bps", "the discount is 0.01-100 %%")
	case c.MaxRedemptions != nil && *c.MaxRedemptions < 1:
		return nil, fiatdashboard.Invalid("max_redemptions", "allow at least one use, or leave it empty for no limit")
	case c.ExpiresAt != nil && c.ExpiresAt.Before(s.now()):
		return nil, fiatdashboard.Invalid("expires_at", "the expiry is in the past")
	}
	tid, _ := tenant.IDFromContext(ctx)
	var out Coupon
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT coupon`); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &out, `INSERT INTO coupons (tenant_id, code, pct_bps, max_redemptions, expires_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING id, code, pct_bps, max_redemptions, redeemed, expires_at`, tid, c.Code, c.PctBPS, c.MaxRedemptions, c.ExpiresAt)
		if isUnique(err) {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "code", Message: "this code exists already"}
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "coupon.created", c.Code, map[string]any{"pct_bps": c.PctBPS})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCoupon removes a coupon (admin/pricing write).
func (s *Service) DeleteCoupon(ctx context.Context, id uuid.UUID) error {
	if err := s.authz.Require(ctx, "admin/pricing", "write"); err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var code string
		err := tx.GetContext(ctx, &code, `DELETE FROM coupons WHERE id = $1 RETURNING code`, id)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "coupon not found")
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "coupon.deleted", code, nil)
	})
}

var couponCode = regexp.MustCompile(`^[A-Z0-9_-]{3,32}$`)
