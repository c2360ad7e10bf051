package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Plan is an app's resources, part by part (deploy builds it from the
// app's form: a Kubernetes control plane and its workers, a Nextcloud VM
// and its data disk, a gateway name…). Each part is priced from its grid
// cost under the tenant's price rule and becomes one price line.
type Plan struct {
	App   string     `json:"app"`
	Parts []PlanPart `json:"parts"`
}

// PlanPart is one part of a plan.
type PlanPart struct {
	// Kind is vm (the app's VM or a control plane), worker, disk (a data
	// disk of the vm part), ipv4 or gateway (a gateway name contract).
	Kind  string `json:"kind"`
	Label string `json:"label"`
	// Count is how many VMs of this size the part holds (workers); 0 is 1.
	Count  int    `json:"count,omitempty"`
	CPU    uint64 `json:"cpu,omitempty"`
	RAMGB  uint64 `json:"ram_gb,omitempty"`
	DiskGB uint64 `json:"disk_gb,omitempty"`
}

// Line kinds of an app's plan (LineVM, LineIPv4 and LineRent too).
const (
	LineWorker  = "worker"
	LineDisk    = "disk"
	LineGateway = "gateway"
)

func (pp PlanPart) count() uint64 {
	if pp.Count <= 0 {
		return 1
	}
	return uint64(pp.Count)
}

// Primary is the plan's first vm part (the app's VM, or the control plane).
func (p *Plan) Primary() PlanPart {
	for _, pp := range p.Parts {
		if pp.Kind == LineVM {
			return pp
		}
	}
	return PlanPart{}
}

// Workload is what the plan's contracts hold on the grid in all (the
// wallet must afford its first month).
func (p *Plan) Workload() grid.Workload {
	var w grid.Workload
	for _, pp := range p.Parts {
		n := pp.count()
		switch pp.Kind {
		case LineVM, LineWorker:
			w.CRU += pp.CPU * n
			w.MRU += pp.RAMGB * gib * n
			w.SRU += pp.DiskGB * gib * n
		case LineDisk:
			w.SRU += pp.DiskGB * gib
		case LineIPv4:
			w.PublicIPv4++
		}
	}
	return w
}

// quotePlan prices an app's plan: each part's grid list cost (the chain's
// own formulas, grid.QuoteWorkload) times the margin — the app's own
// (tenant_apps.margin_bps) or the price rule's — one line per part. Every
// VM of a part is its own contract, rounded on its own, so a part of N
// workers is N times one worker. A data disk is priced as what it adds to
// its VM's contract. A gateway name is the name contract at the policy's
// unique-name price (pallet-smart-contract cost.rs: NameContract bills
// unique_name per hour). On a rented node (in.Rent) the rent carries the
// capacity of the VMs and disks on it (cost.rs bills a node contract on a
// rented node for its public IPs only): they are named in the rent line.
func (s *Service) quotePlan(ctx context.Context, tx *tenant.Tx, p *Pricing, in QuoteInput, staff bool) (*PriceQuote, error) {
	plan := in.Plan
	if p.Currency != "usd" {
		return nil, fiatdashboard.Invalid("app", "apps are priced from the grid's USD cost; this %s storefront sells plain servers only", strings.ToUpper(p.Currency))
	}
	marginBPS := p.Rule.MarginBPS
	var own *int64
	if err := tx.GetContext(ctx, &own, `SELECT margin_bps FROM tenant_apps WHERE app = $1`, plan.App); err != nil && !tenant.IsNoRows(err) {
		return nil, err
	}
	if own != nil {
		marginBPS = *own
	}
	margin := func(usd *big.Rat) Cents { return applyBPS(usdCents(usd), 10000+marginBPS) }
	quote := func(w grid.Workload) (grid.Quote, error) {
		return grid.QuoteWorkload(w, grid.MainnetPricingPolicy, referenceTFTPrice, 0)
	}
	primary := plan.Primary()
	spec := Spec{Size: "app:" + plan.App, CPU: primary.CPU, RAMGB: primary.RAMGB, DiskGB: primary.DiskGB, Plan: plan}
	gc := &gridCost{billed: new(big.Rat), backupList: new(big.Rat), backupBilled: new(big.Rat)}
	add := func(q grid.Quote, n uint64) {
		k := new(big.Rat).SetInt64(int64(n))
		gc.billed.Add(gc.billed, new(big.Rat).Mul(q.USDMonth, k))
		gc.tftMonth += q.TFTMonth * grid.TFTUnits(n)
	}
	var lines []Line
	var onRent []string
	var primaryQuote *grid.Quote
	for i, pp := range plan.Parts {
		n := pp.count()
		vmW := grid.Workload{CRU: pp.CPU, MRU: pp.RAMGB * gib, SRU: pp.DiskGB * gib}
		switch pp.Kind {
		case LineVM, LineWorker:
			if pp.CPU < 1 || pp.RAMGB < 1 || pp.DiskGB < 1 {
				return nil, fmt.Errorf("plan part %d (%s) has no size", i, pp.Kind)
			}
			q, err := quote(vmW)
			if err != nil {
				return nil, err
			}
			if primaryQuote == nil {
				primaryQuote = &q
			}
			if in.Rent != nil && pp.Kind == LineVM {
				onRent = append(onRent, pp.Label)
				continue
			}
			add(q, n)
			list := new(big.Rat).Mul(q.ListUSDMonth, new(big.Rat).SetInt64(int64(n)))
			lines = append(lines, Line{Kind: pp.Kind, Label: pp.Label, Cents: margin(list)})
		case LineDisk:
			if in.Rent != nil {
				onRent = append(onRent, pp.Label)
				continue
			}
			base := grid.Workload{CRU: primary.CPU, MRU: primary.RAMGB * gib, SRU: primary.DiskGB * gib}
			with := base
			with.SRU += pp.DiskGB * gib
			qb, err := quote(base)
			if err != nil {
				return nil, err
			}
			qw, err := quote(with)
			if err != nil {
				return nil, err
			}
			gc.billed.Add(gc.billed, new(big.Rat).Sub(qw.USDMonth, qb.USDMonth))
			gc.tftMonth += qw.TFTMonth - qb.TFTMonth
			lines = append(lines, Line{Kind: LineDisk, Label: pp.Label, Cents: margin(new(big.Rat).Sub(qw.ListUSDMonth, qb.ListUSDMonth))})
		case LineIPv4:
			q, err := quote(grid.Workload{PublicIPv4: 1})
			if err != nil {
				return nil, err
			}
			add(q, 1)
			spec.IPv4 = true
			lines = append(lines, Line{Kind: LineIPv4, Label: pp.Label, Cents: margin(q.ListUSDMonth)})
		case LineGateway:
			list := new(big.Rat).Mul(grid.USDPerHour(grid.MainnetPricingPolicy.UniqueName), big.NewRat(grid.HoursPerMonth, 1))
			hour, _, err := grid.NameContractQuote(grid.MainnetPricingPolicy, referenceTFTPrice, 0)
			if err != nil {
				return nil, err
			}
			gc.billed.Add(gc.billed, list)
			gc.tftMonth += hour * grid.HoursPerMonth
			lines = append(lines, Line{Kind: LineGateway, Label: pp.Label, Cents: margin(list)})
		default:
			return nil, fmt.Errorf("plan part %d: unknown kind %q", i, pp.Kind)
		}
	}
	if primaryQuote == nil {
		return nil, fmt.Errorf("the %s plan has no VM", plan.App)
	}
	gc.vm = *primaryQuote
	if in.Rent != nil {
		r, err := rentCostOf(in.Rent)
		if err != nil {
			return nil, err
		}
		gc.billed.Add(gc.billed, r.USDMonth)
		gc.tftMonth += r.TFTMonth
		t := in.Rent.total()
		spec.Rent = &RentedNode{ID: in.Rent.ID, GPUs: in.Rent.GPUs, ExtraFeeMUSDMonth: in.Rent.ExtraFeeMUSDMonth, CRU: t.CRU, MRU: t.MRU, SRU: t.SRU, HRU: t.HRU}
		label := fmt.Sprintf("Node %d rented whole: %d vCPU, %d GB RAM", in.Rent.ID, t.CRU, t.MRU/gib)
		if in.Rent.GPUs > 0 {
			label += fmt.Sprintf(", %d GPU", in.Rent.GPUs)
		}
		if len(onRent) > 0 {
			label += " (runs " + strings.Join(onRent, ", ") + ")"
		}
		// The rent first: it is what the order is about.
		lines = append([]Line{{Kind: LineRent, Label: label, Cents: margin(r.ListUSDMonth)}}, lines...)
	}
	return s.finishQuote(ctx, tx, p, in, spec, lines, gc, staff)
}

// AppSetting is whether a storefront sells an app and at what margin
// (nil: the price rule's).
type AppSetting struct {
	App       string `db:"app" json:"app"`
	Enabled   bool   `db:"enabled" json:"enabled"`
	MarginBPS *int64 `db:"margin_bps" json:"margin_bps"`
}

// AppSettings returns the storefront's app settings by app; an app without
// a row is on sale at the rule's margin. Public: the storefront's catalog
// reads it.
func (s *Service) AppSettings(ctx context.Context) (map[string]AppSetting, error) {
	var rows []AppSetting
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT app, enabled, margin_bps FROM tenant_apps ORDER BY app`)
	})
	out := make(map[string]AppSetting, len(rows))
	for _, r := range rows {
		out[r.App] = r
	}
	return out, err
}

// SaveAppSetting sets whether the storefront sells an app and its margin
// (admin/pricing write); the caller (deploy) has checked the app's key.
// EINVALID on margin_bps outside 0-1000 %.
func (s *Service) SaveAppSetting(ctx context.Context, in AppSetting) (*AppSetting, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "write"); err != nil {
		return nil, err
	}
	if in.MarginBPS != nil && (*in.MarginBPS < 0 || *in.MarginBPS > 100000) {
		return nil, fiatdashboard.Invalid("margin_bps", "the margin must be 0-1000 %%, or null for your price rule's")
	}
	tid, _ := tenant.IDFromContext(ctx)
	var out AppSetting
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &out, `INSERT INTO tenant_apps (tenant_id, app, enabled, margin_bps) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, app) DO UPDATE SET enabled = EXCLUDED.enabled, margin_bps = EXCLUDED.margin_bps, updated_at = now()
			RETURNING app, enabled, margin_bps`, tid, in.App, in.Enabled, in.MarginBPS); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "app.changed", in.App, map[string]any{"enabled": in.Enabled, "margin_bps": in.MarginBPS})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PlanChange is a change of a subscription's plan (Kubernetes workers
// added or removed).
type PlanChange struct {
	Subscription  uuid.UUID
	Spec          Spec   // the new plan
	PaymentMethod string // a saved card; the default when empty
	ClientKey     string // idempotency of the prorated charge
	Description   string
}

// PlanChanged is what a plan change did: the renewal price from now on
// and, when the plan grew, the order charging the prorated rest of the
// current period (the new renewal applies once it is paid).
type PlanChanged struct {
	RenewalCents Cents  `json:"renewal_cents"`
	Order        *Order `json:"order,omitempty"`
}

// ChangePlan prices a subscription's new plan for its period (store/orders
// write; the customer's own subscription). A plan that costs less lowers
// the renewal from the next one on, and nothing is refunded for the
// current period. A plan that costs more is charged now for the rest of
// the paid period, prorated to the second and rounded down (the customer
// never pays for time already used), with one order (idempotent by
// ClientKey); once it is paid (settleUpgrade) the renewal rises. ENOTFOUND
// for another's subscription; ECONFLICT for one that has ended.
func (s *Service) ChangePlan(ctx context.Context, in PlanChange) (*PlanChanged, error) {
	if err := s.authz.Require(ctx, "store/orders", "write"); err != nil {
		return nil, err
	}
	in.ClientKey = strings.TrimSpace(in.ClientKey)
	if len(in.ClientKey) < 8 || len(in.ClientKey) > 64 {
		return nil, fiatdashboard.Invalid("client_key", "send a unique client_key (8-64 characters) per change")
	}
	actor, _ := tenant.ActorFromContext(ctx)
	tid, _ := tenant.IDFromContext(ctx)
	now := s.now()
	out := &PlanChanged{}
	var o Order
	var charge, existing bool
	var acct string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var sub Subscription
		if err := tx.GetContext(ctx, &sub, `SELECT `+subColumns+` FROM subscriptions WHERE id = $1 AND account_id = $2 FOR UPDATE`, in.Subscription, actor.ID); err != nil {
			return err
		}
		if sub.Status != SubActive && sub.Status != SubPastDue {
			return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "a %s subscription cannot change", sub.Status)
		}
		err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE account_id = $1 AND client_key = $2`, actor.ID, in.ClientKey)
		if err == nil {
			existing, charge = true, true // a retried change
			out.RenewalCents = sub.RenewalCents
			return nil
		}
		if !tenant.IsNoRows(err) {
			return err
		}
		q, err := s.quote(ctx, tx, in.Spec.Input(sub.Months), false)
		if err != nil {
			return err
		}
		spec, _ := json.Marshal(q.Spec)
		lines, _ := json.Marshal(OrderLines(q))
		diff := q.Total - sub.RenewalCents
		start := sub.PaidThrough.AddDate(0, -sub.Months, 0)
		period, left := sub.PaidThrough.Sub(start), sub.PaidThrough.Sub(now)
		var prorated Cents
		if diff > 0 && left > 0 && period > 0 {
			prorated = Cents(new(big.Int).Quo(big.NewInt(int64(diff)*int64(left/time.Second)), big.NewInt(int64(period/time.Second))).Int64())
		}
		if prorated <= 0 {
			// Cheaper (or nothing left of the period to pay): the renewal
			// follows the new plan; the current period is not refunded.
			out.RenewalCents = q.Total
			if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET spec = $2::jsonb, renewal_cents = $3, lines = $4::jsonb, updated_at = now() WHERE id = $1`,
				sub.ID, string(spec), q.Total, string(lines)); err != nil {
				return err
			}
			return tenant.Audit(ctx, tx, tid, "subscription.plan_changed", sub.ID.String(), map[string]any{"renewal_cents": q.Total})
		}
		out.RenewalCents = sub.RenewalCents
		charge = true
		if err := s.walletCanPay(ctx, tx, q.Spec); err != nil {
			return err
		}
		var card string
		err = tx.GetContext(ctx, &card, `SELECT id FROM payment_methods WHERE account_id = $1 AND ($2 = '' AND is_default OR id = $2)`, actor.ID, strings.TrimSpace(in.PaymentMethod))
		if tenant.IsNoRows(err) {
			return fiatdashboard.Invalid("payment_method", "add a card first, or pick one of your saved cards")
		}
		if err != nil {
			return err
		}
		fee, err := platformFee(ctx, tx, prorated)
		if err != nil {
			return err
		}
		days := int(left.Hours() / 24)
		desc := in.Description
		if desc == "" {
			desc = "Plan change"
		}
		line, _ := json.Marshal([]Line{{Kind: "change", Label: fmt.Sprintf("%s: the difference for the %d days left of the period", desc, days), Cents: prorated}})
		if err := tx.GetContext(ctx, &o, `INSERT INTO orders (tenant_id, account_id, description, spec, months, currency, subtotal_cents, discount_cents,
			amount_cents, application_fee_cents, payment_method_id, client_key, lines, upgrade_of)
			VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, 0, $7, $8, $9, $10, $11::jsonb, $12) RETURNING `+orderColumns,
			tid, actor.ID, desc, string(spec), sub.Months, sub.Currency, prorated, fee, card, in.ClientKey, string(line), sub.ID); err != nil {
			return err
		}
		if acct, err = chargeAccount(ctx, tx, true); err != nil {
			return err
		}
		return s.snapshotSplit(ctx, tx, &o) // a co-op splits the change like any payment
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "subscription not found")
	}
	if err != nil || !charge {
		return out, err
	}
	if existing && o.Status != OrderAwaitingPayment {
		out.Order = &o
		return out, nil
	}
	if existing {
		if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			var err error
			acct, err = chargeAccount(ctx, tx, true)
			return err
		}); err != nil {
			return nil, err
		}
	}
	paid, err := s.pay(ctx, acct, tid, o)
	if err != nil {
		return nil, err
	}
	out.Order = paid
	return out, nil
}

// settleUpgrade applies a paid plan change in the payment's transaction:
// the subscription renews at the new plan's price, and the order gets its
// invoice for the rest of the period.
func (s *Service) settleUpgrade(ctx context.Context, tx *tenant.Tx, tid uuid.UUID, o *Order, paidAt time.Time) error {
	var spec Spec
	json.Unmarshal(o.Spec, &spec)
	q, err := s.quote(ctx, tx, spec.Input(o.Months), false)
	if err != nil {
		return fmt.Errorf("renewal price after the change: %w", err)
	}
	lines, _ := json.Marshal(OrderLines(q))
	var through time.Time
	err = tx.GetContext(ctx, &through, `UPDATE subscriptions SET spec = $2::jsonb, renewal_cents = $3, lines = $4::jsonb, updated_at = now()
		WHERE id = $1 RETURNING paid_through`, *o.UpgradeOf, string(o.Spec), q.Total, string(lines))
	if err != nil {
		return err
	}
	if err := tenant.Audit(ctx, tx, tid, "subscription.plan_changed", o.UpgradeOf.String(), map[string]any{"renewal_cents": q.Total, "order": o.ID}); err != nil {
		return err
	}
	return issueInvoice(ctx, tx, tid, o, paidAt, paidAt, through)
}
