package grid

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// TFTUnits is an amount of TFT in the chain's smallest unit: TFT has 7
// decimals on TFChain, so 1 TFT = 10^7 units.
type TFTUnits int64

// UnitsPerTFT is the number of TFTUnits in one TFT.
const UnitsPerTFT TFTUnits = 10_000_000

// HoursPerMonth is the month the chain and its calculators use: 30 days,
// billed hour by hour.
const HoursPerMonth = 720

// GB is the byte size the chain divides resources by (cost.rs uses
// factor_base_1024 for MRU, SRU and HRU), so one "GB" here is 2^30 bytes.
const GB uint64 = 1 << 30

// String formats u as a TFT amount with exactly 7 decimals ("12.3400000").
func (u TFTUnits) String() string { return FormatTFT(u) }

// FormatTFT formats u as a TFT amount with exactly 7 decimals.
func FormatTFT(u TFTUnits) string {
	sign := ""
	n := int64(u)
	if n < 0 {
		sign = "-"
		n = -n // TFTUnits never reach math.MinInt64 (that is 92 billion TFT)
	}
	return fmt.Sprintf("%s%d.%07d", sign, n/int64(UnitsPerTFT), n%int64(UnitsPerTFT))
}

// ParseTFT parses a non-negative decimal TFT amount with at most 7 decimals
// ("12", "0.5", "1.0000001"). Anything else is an EINVALID error.
func ParseTFT(s string) (TFTUnits, error) {
	r, err := ParseDecimal(s)
	if err != nil {
		return 0, err
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(UnitsPerTFT)))
	if !r.IsInt() {
		return 0, fiatdashboard.Errorf(fiatdashboard.EINVALID, "%q has more than 7 decimals, the precision of TFT", s)
	}
	if !r.Num().IsInt64() {
		return 0, fiatdashboard.Errorf(fiatdashboard.EINVALID, "%q is too large a TFT amount", s)
	}
	return TFTUnits(r.Num().Int64()), nil
}

var decimalPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// ParseDecimal parses a plain non-negative decimal ("0.0105", "25", "2.5")
// exactly. Signs, exponents and fractions are refused with EINVALID.
func ParseDecimal(s string) (*big.Rat, error) {
	if !decimalPattern.MatchString(s) {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINVALID, "%q is not a plain decimal number", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINVALID, "%q is not a plain decimal number", s)
	}
	return r, nil
}

// ParseGB parses a decimal number of GB (2^30 bytes, as the chain counts)
// into bytes. The result must be a whole number of bytes.
func ParseGB(s string) (uint64, error) {
	r, err := ParseDecimal(s)
	if err != nil {
		return 0, err
	}
	r.Mul(r, new(big.Rat).SetUint64(GB))
	if !r.IsInt() || !r.Num().IsUint64() {
		return 0, fiatdashboard.Errorf(fiatdashboard.EINVALID, "%q GB is not a whole number of bytes", s)
	}
	return r.Num().Uint64(), nil
}

// FormatDecimal formats a non-negative rational as a plain decimal. A value
// whose decimal expansion ends (every amount this package produces in USD)
// is printed exactly, without trailing zeros; any other value (an SU of
// 100 GB HDD is 1/12) is rounded half up to 7 decimals, the chain's unit.
func FormatDecimal(r *big.Rat) string {
	places, exact := decimalPlaces(r.Denom())
	if !exact || places > 30 {
		places = 7
	}
	s := r.FloatString(places) // FloatString rounds half away from zero
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// decimalPlaces reports how many decimals 1/d needs, and whether it ends at
// all (d has no prime factor other than 2 and 5).
func decimalPlaces(d *big.Int) (int, bool) {
	n := new(big.Int).Set(d)
	two, five := big.NewInt(2), big.NewInt(5)
	var twos, fives int
	m := new(big.Int)
	for {
		q, r := new(big.Int).QuoRem(n, two, m)
		if r.Sign() != 0 {
			break
		}
		n, twos = q, twos+1
	}
	for {
		q, r := new(big.Int).QuoRem(n, five, m)
		if r.Sign() != 0 {
			break
		}
		n, fives = q, fives+1
	}
	return max(twos, fives), n.Cmp(big.NewInt(1)) == 0
}

// PricingPolicy holds the values of a TFChain pricing policy. Prices are in
// "unit-USD" per hour, the chain's USD × 10^7, exactly as the chain stores them.
type PricingPolicy struct {
	CU         int64 // per compute unit per hour
	SU         int64 // per storage unit per hour
	IPU        int64 // per public IPv4 address per hour
	NU         int64 // per GB of network traffic
	UniqueName int64 // per name contract (gateway name) per hour
	DomainName int64 // per custom domain per hour

	// DedicatedDiscountPct is the chain's discount_for_dedication_nodes.
	// Despite its name, a rent contract bills this percent of the whole
	// node's cost: cost.rs writes Percent::from_percent(v) * cost. The
	// chain's policy has 50, where that and a 50 % discount agree; at any
	// other value the chain's formula is the one that bills.
	DedicatedDiscountPct int64
}

// MainnetPricingPolicy is pricing policy 1 on TFChain mainnet.
//
// Sources: the values "as per chain" posted by the ThreeFold team in
// threefoldtech/grid_wiki#1442 (CU 0.01 USD/h, SU 0.005 USD/h, IPv4
// 0.004 USD/h, NU 0.0015 USD/GB, unique name 0.00025 USD/h, domain name
// 0.0005 USD/h) and the worked bill in threefoldtech/tfchain#871 (CU 10
// mUSD/h, SU 5 mUSD/h); the same numbers are the tfchain genesis config
// (cu_price_value 100000, su 50000, ipu 40000, nu 15000, unique_name 2500,
// domain_name 5000, discount_for_dedication_nodes 50). The ThreeFold manual's
// published tables (22 USD per CU-month) are list prices, not the chain's.
var MainnetPricingPolicy = PricingPolicy{
	CU:                   100_000,
	SU:                   50_000,
	IPU:                  40_000,
	NU:                   15_000,
	UniqueName:           2_500,
	DomainName:           5_000,
	DedicatedDiscountPct: 50,
}

// ReferenceTFTPrice is the TFT price, in USD, that the simulator and the
// quote command use when no live price is given. It is a round reference
// value near the 2024–2025 market, not a market feed.
const ReferenceTFTPrice = "0.01"

// unitUSD converts unit-USD to USD.
var unitUSD = big.NewRat(1, 10_000_000)

// USDPerHour returns a policy price (unit-USD) in USD.
func USDPerHour(unitUSDValue int64) *big.Rat {
	return new(big.Rat).Mul(new(big.Rat).SetInt64(unitUSDValue), unitUSD)
}

// ComputeUnits returns the CU of cru virtual cores and mru bytes of memory:
// CU = min(max(mru/4, cru/2), max(mru/8, cru), max(mru/2, cru/4)), mru in GB
// (tfchain cost.rs calculate_cu).
func ComputeUnits(cru, mru uint64) *big.Rat {
	m := new(big.Rat).SetFrac(new(big.Int).SetUint64(mru), new(big.Int).SetUint64(GB))
	c := new(big.Rat).SetUint64(cru)
	frac := func(x *big.Rat, d int64) *big.Rat { return new(big.Rat).Quo(x, big.NewRat(d, 1)) }
	maxRat := func(a, b *big.Rat) *big.Rat {
		if a.Cmp(b) >= 0 {
			return a
		}
		return b
	}
	minRat := func(a, b *big.Rat) *big.Rat {
		if a.Cmp(b) <= 0 {
			return a
		}
		return b
	}
	cu1 := maxRat(frac(m, 4), frac(c, 2))
	cu2 := maxRat(frac(m, 8), c)
	cu3 := maxRat(frac(m, 2), frac(c, 4))
	return new(big.Rat).Set(minRat(minRat(cu1, cu2), cu3))
}

// StorageUnits returns the SU of hru bytes of HDD and sru bytes of SSD:
// SU = hru/1200 + sru/200, in GB (tfchain cost.rs calculate_resources_cost).
func StorageUnits(hru, sru uint64) *big.Rat {
	gb := new(big.Int).SetUint64(GB)
	h := new(big.Rat).SetFrac(new(big.Int).SetUint64(hru), new(big.Int).Mul(gb, big.NewInt(1200)))
	s := new(big.Rat).SetFrac(new(big.Int).SetUint64(sru), new(big.Int).Mul(gb, big.NewInt(200)))
	return h.Add(h, s)
}

// DiscountPackage names a TFChain staking discount level (tfchain types.rs
// DiscountLevel: None, Default, Bronze, Silver, Gold).
type DiscountPackage string

// The staking discount packages.
const (
	DiscountNone    DiscountPackage = "none"
	DiscountDefault DiscountPackage = "default"
	DiscountBronze  DiscountPackage = "bronze"
	DiscountSilver  DiscountPackage = "silver"
	DiscountGold    DiscountPackage = "gold"
)

// discountLevels are the chain's staking discount levels, best last: a twin
// whose balance covers at least Months of a contract's cost gets Pct off that
// contract. Source: tfchain docs/architecture/0008-discount-levels-changed.md
// (thresholds halved in 2023 to 1.5 / 3 / 6 / 18 months) and cost.rs
// calculate_discount (d >= 1.5 → Default, >= 3 → Bronze, >= 6 → Silver,
// >= 18 → Gold; price multipliers 0.8 / 0.7 / 0.6 / 0.4).
var discountLevels = []struct {
	Package DiscountPackage
	Months  *big.Rat
	Pct     int64
}{
	{DiscountDefault, big.NewRat(3, 2), 20},
	{DiscountBronze, big.NewRat(3, 1), 30},
	{DiscountSilver, big.NewRat(6, 1), 40},
	{DiscountGold, big.NewRat(18, 1), 60},
}

// Pct returns the discount percentage of the package.
func (p DiscountPackage) Pct() int64 {
	for _, l := range discountLevels {
		if l.Package == p {
			return l.Pct
		}
	}
	return 0
}

// StakingDiscount returns the discount a contract costing monthlyCost gets
// when its twin holds balance: the best level whose threshold
// (months × monthlyCost) the balance reaches. The chain evaluates it per
// contract against the whole balance; a free contract gets none.
func StakingDiscount(balance, monthlyCost TFTUnits) DiscountPackage {
	if monthlyCost <= 0 || balance <= 0 {
		return DiscountNone
	}
	b := new(big.Rat).SetInt64(int64(balance))
	got := DiscountNone
	for _, l := range discountLevels {
		threshold := new(big.Rat).Mul(l.Months, new(big.Rat).SetInt64(int64(monthlyCost)))
		if b.Cmp(threshold) >= 0 {
			got = l.Package
		}
	}
	return got
}

// Workload is what a contract uses, as the chain bills it.
type Workload struct {
	CRU        uint64 // virtual cores
	MRU        uint64 // memory, bytes
	SRU        uint64 // SSD, bytes
	HRU        uint64 // HDD, bytes
	PublicIPv4 uint32 // public IPv4 addresses

	// Certified says the node is certified. The chain bills it as DIY
	// (cost.rs calculate_contract_cost_tft hard-codes
	// NodeCertification::Diy), so it changes no grid cost; a tenant that
	// wants a certified premium puts it in its own price rule.
	Certified bool

	// Dedicated prices a rent contract: the whole node's CU and SU, of
	// which the chain bills Percent::from_percent(policy
	// DedicatedDiscountPct) (cost.rs calculate_contract_cost, RentContract).
	Dedicated bool

	// ExtraFeeMUSDMonth is the farmer's extra fee for renting the node
	// (SmartContractModule DedicatedNodesExtraFee, mUSD a month), billed
	// on the rent contract beside its cost, with no staking discount
	// (cost.rs calculate_extra_fee_cost).
	ExtraFeeMUSDMonth uint64

	// NameContracts prices gateway names: each name contract bills
	// policy.UniqueName unit-USD per hour (cost.rs
	// calculate_contract_cost, ContractData::NameContract), with the
	// staking discount like any contract. A gateway's node contract
	// bills no capacity (ZOS gw_name.go / gw_fqdn.go Capacity is empty),
	// so a name gateway costs exactly its name contract.
	NameContracts uint32
}

// Quote is the price of a workload for one twin at one TFT price. Every
// amount is exact: rationals for units and USD, TFTUnits for TFT. Callers
// must not modify the *big.Rat fields.
type Quote struct {
	Workload Workload
	Policy   PricingPolicy
	TFTPrice *big.Rat // USD per TFT
	Balance  TFTUnits // the twin balance the staking discount was evaluated against

	CU *big.Rat
	SU *big.Rat

	// List prices, before the staking discount (the dedicated share
	// applied, the extra fee included).
	ListUSDHour  *big.Rat
	ListUSDMonth *big.Rat
	ListTFTHour  TFTUnits
	ListTFTMonth TFTUnits

	Discount    DiscountPackage
	DiscountPct int64

	// What the chain bills: list price minus the staking discount, plus
	// the extra fee. A month is 720 hourly bills, each rounded up to the
	// TFT unit.
	USDHour  *big.Rat
	USDMonth *big.Rat
	TFTHour  TFTUnits
	TFTMonth TFTUnits

	// The dedicated node's extra fee, included in the amounts above: all
	// of it goes to the farmer.
	ExtraFeeUSDHour *big.Rat
	ExtraFeeTFTHour TFTUnits
}

// QuoteWorkload prices w under policy at tftPrice (USD per TFT, the
// chain's clamped average: ChainTFTPrice) for a twin whose balance for
// the discount (Balances.ForDiscount) is balance, the way the chain bills
// it every hour (tfchain pallet-smart-contract cost.rs):
//
//  1. resources = ceil(CU × policy.CU + SU × policy.SU + IPv4 ×
//     policy.IPU) unit-USD (calculate_resources_cost rounds up);
//  2. a rent contract (Dedicated) bills the whole node's resources and
//     no IP, times DedicatedDiscountPct / 100: the renter pays that
//     percent, exactly as Percent::from_percent(v) * cost is written;
//  3. no certification factor: calculate_contract_cost_tft bills every
//     contract as DIY;
//  4. the staking discount is judged on a month (720 h) of this cost in
//     TFT, before any factor (calculate_discount), against balance:
//     ≥ 1.5 / 3 / 6 / 18 months → 20 / 30 / 40 / 60 % off;
//  5. the extra fee (ExtraFeeMUSDMonth × 10^4 unit-USD a month, a 720 h
//     month, floored) is added after the discount (billing.rs
//     bill_contract adds calculate_extra_fee_cost_tft to the amount due).
//
// One knowing departure: cost.rs converts to TFT and floors, then
// discounts and rounds up; we keep USD exact and round each hourly bill
// once, up, to the TFT unit.
//
// It returns EINVALID when tftPrice is missing or not positive, or balance
// is negative.
func QuoteWorkload(w Workload, policy PricingPolicy, tftPrice *big.Rat, balance TFTUnits) (Quote, error) {
	if tftPrice == nil || tftPrice.Sign() <= 0 {
		return Quote{}, fiatdashboard.Invalid("tft_price", "the TFT price must be a positive USD amount")
	}
	if balance < 0 {
		return Quote{}, fiatdashboard.Invalid("balance", "the balance must not be negative")
	}
	q := Quote{
		Workload: w,
		Policy:   policy,
		TFTPrice: new(big.Rat).Set(tftPrice),
		Balance:  balance,
		CU:       ComputeUnits(w.CRU, w.MRU),
		SU:       StorageUnits(w.HRU, w.SRU),
	}

	resources := new(big.Rat).Mul(q.CU, new(big.Rat).SetInt64(policy.CU))
	resources.Add(resources, new(big.Rat).Mul(q.SU, new(big.Rat).SetInt64(policy.SU)))
	if !w.Dedicated {
		resources.Add(resources, new(big.Rat).SetInt64(int64(w.PublicIPv4)*policy.IPU))
	}
	units := new(big.Rat).SetInt(ceilRat(resources)) // unit-USD per hour
	if w.Dedicated {
		units.Mul(units, big.NewRat(policy.DedicatedDiscountPct, 100))
	}
	units.Add(units, new(big.Rat).SetInt64(int64(w.NameContracts)*policy.UniqueName))

	regularUSD := new(big.Rat).Mul(units, unitUSD)
	regularTFTMonth := tftForUSD(regularUSD, tftPrice) * HoursPerMonth
	q.ExtraFeeUSDHour = new(big.Rat).Mul(new(big.Rat).SetInt64(ExtraFeeUnitsPerHour(w.ExtraFeeMUSDMonth)), unitUSD)
	if w.ExtraFeeMUSDMonth > 0 {
		q.ExtraFeeTFTHour = tftForUSD(q.ExtraFeeUSDHour, tftPrice)
	}

	q.ListUSDHour = new(big.Rat).Add(regularUSD, q.ExtraFeeUSDHour)
	q.ListUSDMonth = new(big.Rat).Mul(q.ListUSDHour, big.NewRat(HoursPerMonth, 1))
	q.ListTFTHour = tftForUSD(regularUSD, tftPrice) + q.ExtraFeeTFTHour
	q.ListTFTMonth = q.ListTFTHour * HoursPerMonth

	q.Discount = StakingDiscount(balance, regularTFTMonth)
	q.DiscountPct = q.Discount.Pct()
	billed := new(big.Rat).Mul(regularUSD, big.NewRat(100-q.DiscountPct, 100))
	q.USDHour = new(big.Rat).Add(billed, q.ExtraFeeUSDHour)
	q.USDMonth = new(big.Rat).Mul(q.USDHour, big.NewRat(HoursPerMonth, 1))
	q.TFTHour = tftForUSD(billed, tftPrice) + q.ExtraFeeTFTHour
	q.TFTMonth = q.TFTHour * HoursPerMonth
	return q, nil
}

// ExtraFeeUnitsPerHour converts a dedicated node's extra fee (mUSD a
// month) into unit-USD for one hour, floored as cost.rs
// calculate_extra_fee_cost does (fee × 10^4 × seconds / SECS_PER_MONTH,
// a month of 720 hours).
func ExtraFeeUnitsPerHour(mUSDMonth uint64) int64 {
	return int64(mUSDMonth * 10_000 / HoursPerMonth)
}

// ChainTFTPrice is the TFT price the chain bills with: AverageTftPrice
// clamped to [MinTftPrice, MaxTftPrice], all in mUSD (cost.rs
// calculate_cost_in_tft_from_musd). It returns USD per TFT; EINVALID if
// the clamped price is zero.
func ChainTFTPrice(averageMUSD, minMUSD, maxMUSD uint32) (*big.Rat, error) {
	p := max(averageMUSD, minMUSD)
	if maxMUSD > 0 {
		p = min(p, maxMUSD)
	}
	if p == 0 {
		return nil, fiatdashboard.Invalid("tft_price", "the chain reports no TFT price")
	}
	return big.NewRat(int64(p), 1000), nil
}

// NameContractQuote prices one name contract (a gateway name) per hour for
// a twin holding balance: policy.UniqueName unit-USD per hour, converted at
// tftPrice and rounded up, with the staking discount of the contract.
func NameContractQuote(policy PricingPolicy, tftPrice *big.Rat, balance TFTUnits) (hour TFTUnits, discount DiscountPackage, err error) {
	if tftPrice == nil || tftPrice.Sign() <= 0 {
		return 0, DiscountNone, fiatdashboard.Invalid("tft_price", "the TFT price must be a positive USD amount")
	}
	list := USDPerHour(policy.UniqueName)
	discount = StakingDiscount(balance, tftForUSD(list, tftPrice)*HoursPerMonth)
	billed := new(big.Rat).Mul(list, big.NewRat(100-discount.Pct(), 100))
	return tftForUSD(billed, tftPrice), discount, nil
}

// TFTForUSD converts a USD amount to TFT at tftPrice (USD per TFT), rounded
// up to the TFT unit as the chain bills. tftPrice must be positive.
func TFTForUSD(usd, tftPrice *big.Rat) TFTUnits { return tftForUSD(usd, tftPrice) }

func tftForUSD(usd, tftPrice *big.Rat) TFTUnits {
	t := new(big.Rat).Quo(usd, tftPrice)
	t.Mul(t, new(big.Rat).SetInt64(int64(UnitsPerTFT)))
	return TFTUnits(ceilRat(t).Int64())
}

// ceilRat returns the smallest integer not below a non-negative r.
func ceilRat(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}
