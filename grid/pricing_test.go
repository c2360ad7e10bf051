package grid_test

import (
	"math/big"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// Every case below is worked by hand with the mainnet policy:
// CU 100000, SU 50000, IPU 40000 unit-USD per hour (1 unit-USD = 1e-7 USD),
// dedicated discount 50 %. At a TFT price p, one unit-USD costs 1/p TFT
// units (USD/p TFT × 1e7 units/TFT ÷ 1e7 unit-USD/USD), rounded up per hour.

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

func TestQuoteWorkload(t *testing.T) {
	gb := grid.GB
	tests := []struct {
		name     string
		w        grid.Workload
		price    string
		balance  grid.TFTUnits
		cu, su   string
		usdMonth string // exact
		tftHour  grid.TFTUnits
		tftMonth string
		discount grid.DiscountPackage
	}{
		{
			// The SDK calculator's integer division prices this VM at 0.
			// CU = min(max(2/4, 1/2), max(2/8, 1), max(2/2, 1/4))
			//    = min(0.5, 1, 1) = 0.5
			// SU = 0/1200 + 25/200 = 0.125
			// USD/h = 0.5×100000 + 0.125×50000 = 50000 + 6250 = 56250 units
			//       = 0.005625 USD; × 720 = 4.05 USD/month
			// TFT/h at 0.01 = 56250 / 0.01 = 5 625 000 units = 0.5625 TFT
			// TFT/month = 720 × 5 625 000 = 4 050 000 000 units = 405 TFT
			name:  "1 vCPU / 2 GB / 25 GB is not 0",
			w:     grid.Workload{CRU: 1, MRU: 2 * gb, SRU: 25 * gb},
			price: "0.01", cu: "0.5", su: "0.125",
			usdMonth: "4.05", tftHour: 5_625_000, tftMonth: "405.0000000",
			discount: grid.DiscountNone,
		},
		{
			// Same VM at 0.0105 USD/TFT:
			// TFT/h = 56250 / 0.0105 = 5 357 142.857… → rounded up 5 357 143
			// TFT/month = 720 × 5 357 143 = 3 857 142 960 units = 385.7142960
			// (not 4.05 / 0.0105 = 385.7142857…: every hour rounds up)
			name:  "hourly TFT rounds up to the unit",
			w:     grid.Workload{CRU: 1, MRU: 2 * gb, SRU: 25 * gb},
			price: "0.0105", cu: "0.5", su: "0.125",
			usdMonth: "4.05", tftHour: 5_357_143, tftMonth: "385.7142960",
			discount: grid.DiscountNone,
		},
		{
			// CU = min(max(4/4, 2/2), max(4/8, 2), max(4/2, 2/4)) = min(1, 2, 2) = 1
			// SU = 50/200 = 0.25
			// resources = 1×100000 + 0.25×50000 = 112500; + 1 IPv4 40000 = 152500
			// certified: billed as DIY (cost.rs calculate_contract_cost_tft
			// hard-codes NodeCertification::Diy), no ×1.25
			// 152500 units/h × 720 = 109 800 000 = 10.98 USD
			// TFT/h = 152500 / 0.01 = 15 250 000; month = 10 980 000 000 = 1098 TFT
			name:  "certified with one public IPv4",
			w:     grid.Workload{CRU: 2, MRU: 4 * gb, SRU: 50 * gb, PublicIPv4: 1, Certified: true},
			price: "0.01", cu: "1", su: "0.25",
			usdMonth: "10.98", tftHour: 15_250_000, tftMonth: "1098.0000000",
			discount: grid.DiscountNone,
		},
		{
			// A rented node: 8 cores, 32 GB, 1000 GB SSD, 4000 GB HDD.
			// CU = min(max(8, 4), max(4, 8), max(16, 2)) = min(8, 8, 16) = 8
			// SU = 4000/1200 + 1000/200 = 10/3 + 5 = 25/3 (8.3333333 shown)
			// resources = 8×100000 + 25/3×50000 = 800000 + 416666.67
			//           = 1216666.67 → chain rounds up → 1216667 units
			// dedicated 50 % → 608333.5 units/h; × 720 = 438 000 120 = 43.800012 USD
			// TFT/h = 608333.5 / 0.01 = 60 833 350; month = 43 800 012 000 = 4380.0012 TFT
			name:  "dedicated node with HDD",
			w:     grid.Workload{CRU: 8, MRU: 32 * gb, SRU: 1000 * gb, HRU: 4000 * gb, Dedicated: true},
			price: "0.01", cu: "8", su: "8.3333333",
			usdMonth: "43.800012", tftHour: 60_833_350, tftMonth: "4380.0012000",
			discount: grid.DiscountNone,
		},
		{
			// A rent with the farmer's extra fee of 36 USD (36000 mUSD) a
			// month: 36000 × 10^4 / 720 = 500000 units/h, not discounted,
			// added to the rent's 608333.5; the rent bills no IPv4 (public
			// IPs are on the node contracts):
			// 1108333.5 units/h × 720 = 798 000 120 = 79.800012 USD;
			// TFT/h = 60 833 350 + 50 000 000 = 110 833 350;
			// month = 79 800 012 000 = 7980.0012 TFT
			name:  "dedicated node with an extra fee",
			w:     grid.Workload{CRU: 8, MRU: 32 * gb, SRU: 1000 * gb, HRU: 4000 * gb, Dedicated: true, PublicIPv4: 2, ExtraFeeMUSDMonth: 36_000},
			price: "0.01", cu: "8", su: "8.3333333",
			usdMonth: "79.800012", tftHour: 110_833_350, tftMonth: "7980.0012000",
			discount: grid.DiscountNone,
		},
		{
			// SU = 100/1200 = 1/12; 50000/12 = 4166.67 → 4167 units/h
			// × 720 = 3 000 240 = 0.300024 USD; TFT/h = 416 700; month = 300 024 000
			name:  "HDD only: the hourly unit-USD rounds up",
			w:     grid.Workload{HRU: 100 * gb},
			price: "0.01", cu: "0", su: "0.0833333",
			usdMonth: "0.300024", tftHour: 416_700, tftMonth: "30.0024000",
			discount: grid.DiscountNone,
		},
		{
			// Half a GB of memory: CU = min(max(0.125, 0.5), max(0.0625, 1),
			// max(0.25, 0.25)) = min(0.5, 1, 0.25) = 0.25 → 25000 units/h
			// × 720 = 18 000 000 = 1.8 USD; TFT/h at 0.02 = 25000/0.02 = 1 250 000
			// month = 900 000 000 = 90 TFT
			name:  "fractional memory",
			w:     grid.Workload{CRU: 1, MRU: gb / 2},
			price: "0.02", cu: "0.25", su: "0",
			usdMonth: "1.8", tftHour: 1_250_000, tftMonth: "90.0000000",
			discount: grid.DiscountNone,
		},
		{
			// Nothing used costs nothing and earns no discount.
			name: "empty workload", w: grid.Workload{}, price: "0.01", balance: 1_000_000_000,
			cu: "0", su: "0", usdMonth: "0", tftHour: 0, tftMonth: "0.0000000",
			discount: grid.DiscountNone,
		},
		{
			// Default package at 0.0105: list 56250 units/h, list TFT month
			// 3 857 142 960; 1.5 months = 5 785 714 440 ≤ balance 6e9 → 20 %.
			// billed = 56250 × 0.8 = 45000 units/h; × 720 = 32 400 000 = 3.24 USD
			// TFT/h = 45000/0.0105 = 4 285 714.2857 → 4 285 715
			// month = 720 × 4 285 715 = 3 085 714 800 units = 308.5714800 TFT
			name:  "default discount with rounding",
			w:     grid.Workload{CRU: 1, MRU: 2 * gb, SRU: 25 * gb},
			price: "0.0105", balance: 6_000_000_000, cu: "0.5", su: "0.125",
			usdMonth: "3.24", tftHour: 4_285_715, tftMonth: "308.5714800",
			discount: grid.DiscountDefault,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := grid.QuoteWorkload(tc.w, grid.MainnetPricingPolicy, rat(tc.price), tc.balance)
			if err != nil {
				t.Fatal(err)
			}
			if got := grid.FormatDecimal(q.CU); got != tc.cu {
				t.Errorf("CU = %s, want %s", got, tc.cu)
			}
			if got := grid.FormatDecimal(q.SU); got != tc.su {
				t.Errorf("SU = %s, want %s", got, tc.su)
			}
			if q.USDMonth.Cmp(rat(tc.usdMonth)) != 0 {
				t.Errorf("USD/month = %s, want exactly %s", q.USDMonth.RatString(), tc.usdMonth)
			}
			if got := grid.FormatDecimal(q.USDMonth); got != tc.usdMonth {
				t.Errorf("USD/month formats as %s, want %s", got, tc.usdMonth)
			}
			if q.TFTHour != tc.tftHour {
				t.Errorf("TFT/hour = %d units, want %d", q.TFTHour, tc.tftHour)
			}
			if q.TFTMonth != tc.tftHour*grid.HoursPerMonth {
				t.Errorf("TFT/month = %d, want 720 hourly bills = %d", q.TFTMonth, tc.tftHour*grid.HoursPerMonth)
			}
			if got := q.TFTMonth.String(); got != tc.tftMonth {
				t.Errorf("TFT/month = %s, want %s", got, tc.tftMonth)
			}
			if q.Discount != tc.discount {
				t.Errorf("discount = %s, want %s", q.Discount, tc.discount)
			}
		})
	}
}

// The tiers for the 1 vCPU / 2 GB / 25 GB VM at 0.01 USD/TFT: its list cost
// is 4 050 000 000 units (405 TFT) a month, so the thresholds are
// 1.5 × = 6 075 000 000, 3 × = 12 150 000 000, 6 × = 24 300 000 000 and
// 18 × = 72 900 000 000 units. Billed per hour: 56250 units × (1 − pct),
// i.e. default 45000, bronze 39375, silver 33750, gold 22500 unit-USD, so
// 4 500 000 / 3 937 500 / 3 375 000 / 2 250 000 TFT units an hour and
// 324 / 283.5 / 243 / 162 TFT a month.
func TestStakingDiscountTiers(t *testing.T) {
	w := grid.Workload{CRU: 1, MRU: 2 * grid.GB, SRU: 25 * grid.GB}
	tests := []struct {
		balance  grid.TFTUnits
		pkg      grid.DiscountPackage
		pct      int64
		tftMonth string
	}{
		{0, grid.DiscountNone, 0, "405.0000000"},
		{6_074_999_999, grid.DiscountNone, 0, "405.0000000"},
		{6_075_000_000, grid.DiscountDefault, 20, "324.0000000"},
		{12_149_999_999, grid.DiscountDefault, 20, "324.0000000"},
		{12_150_000_000, grid.DiscountBronze, 30, "283.5000000"},
		{24_299_999_999, grid.DiscountBronze, 30, "283.5000000"},
		{24_300_000_000, grid.DiscountSilver, 40, "243.0000000"},
		{72_899_999_999, grid.DiscountSilver, 40, "243.0000000"},
		{72_900_000_000, grid.DiscountGold, 60, "162.0000000"},
		{1 << 50, grid.DiscountGold, 60, "162.0000000"},
	}
	for _, tc := range tests {
		q, err := grid.QuoteWorkload(w, grid.MainnetPricingPolicy, rat("0.01"), tc.balance)
		if err != nil {
			t.Fatal(err)
		}
		if q.ListTFTMonth != 4_050_000_000 {
			t.Fatalf("list TFT/month = %d, want 4050000000", q.ListTFTMonth)
		}
		if q.Discount != tc.pkg || q.DiscountPct != tc.pct {
			t.Errorf("balance %d: discount %s %d%%, want %s %d%%", tc.balance, q.Discount, q.DiscountPct, tc.pkg, tc.pct)
		}
		if got := q.TFTMonth.String(); got != tc.tftMonth {
			t.Errorf("balance %d: TFT/month %s, want %s", tc.balance, got, tc.tftMonth)
		}
	}
}

func TestStakingDiscountIsPerContract(t *testing.T) {
	// 1000 TFT covers 2 months of a 500 TFT contract (default, 20 %) and
	// 20 months of a 50 TFT one (gold, 60 %): the same balance, two levels.
	balance := 1000 * grid.UnitsPerTFT
	if got := grid.StakingDiscount(balance, 500*grid.UnitsPerTFT); got != grid.DiscountDefault {
		t.Errorf("big contract: %s, want default", got)
	}
	if got := grid.StakingDiscount(balance, 50*grid.UnitsPerTFT); got != grid.DiscountGold {
		t.Errorf("small contract: %s, want gold", got)
	}
	if got := grid.StakingDiscount(balance, 0); got != grid.DiscountNone {
		t.Errorf("free contract: %s, want none", got)
	}
}

func TestNameContractQuote(t *testing.T) {
	// 2500 unit-USD/h at 0.01 = 250 000 units = 0.025 TFT an hour, 18 TFT a month.
	// With 27 TFT (1.5 months) the default package bills 2000 → 200 000 units.
	hour, pkg, err := grid.NameContractQuote(grid.MainnetPricingPolicy, rat("0.01"), 0)
	if err != nil || hour != 250_000 || pkg != grid.DiscountNone {
		t.Errorf("no balance: %d %s %v, want 250000 none", hour, pkg, err)
	}
	hour, pkg, err = grid.NameContractQuote(grid.MainnetPricingPolicy, rat("0.01"), 27*grid.UnitsPerTFT)
	if err != nil || hour != 200_000 || pkg != grid.DiscountDefault {
		t.Errorf("27 TFT: %d %s %v, want 200000 default", hour, pkg, err)
	}
}

// A gateway line: Workload{NameContracts: n} prices n name contracts at
// the policy's unique-name price, exactly as NameContractQuote does, and
// adds to a VM's price without changing it.
func TestQuotePricesNameContracts(t *testing.T) {
	q, err := grid.QuoteWorkload(grid.Workload{NameContracts: 1}, grid.MainnetPricingPolicy, rat("0.01"), 27*grid.UnitsPerTFT)
	if err != nil {
		t.Fatal(err)
	}
	if q.TFTHour != 200_000 || q.ListTFTHour != 250_000 || q.Discount != grid.DiscountDefault || q.ListUSDMonth.Cmp(rat("0.18")) != 0 {
		t.Errorf("one name: %s TFT/h (list %s), %s, list %s USD/month; want 0.02, 0.025, default, 0.18",
			q.TFTHour, q.ListTFTHour, q.Discount, q.ListUSDMonth.FloatString(4))
	}
	two, _ := grid.QuoteWorkload(grid.Workload{NameContracts: 2}, grid.MainnetPricingPolicy, rat("0.01"), 0)
	if two.ListTFTHour != 500_000 {
		t.Errorf("two names list %s TFT/h, want 0.05", two.ListTFTHour)
	}
	vm := grid.Workload{CRU: 1, MRU: 2 * grid.GB, SRU: 25 * grid.GB}
	alone, _ := grid.QuoteWorkload(vm, grid.MainnetPricingPolicy, rat("0.01"), 0)
	vm.NameContracts = 1
	with, _ := grid.QuoteWorkload(vm, grid.MainnetPricingPolicy, rat("0.01"), 0)
	if with.ListTFTHour != alone.ListTFTHour+250_000 {
		t.Errorf("a VM with a name: %s TFT/h, want %s + 0.025", with.ListTFTHour, alone.ListTFTHour)
	}
}

func TestQuoteRefusesBadInput(t *testing.T) {
	w := grid.Workload{CRU: 1, MRU: grid.GB}
	for _, price := range []*big.Rat{nil, new(big.Rat), big.NewRat(-1, 100)} {
		if _, err := grid.QuoteWorkload(w, grid.MainnetPricingPolicy, price, 0); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
			t.Errorf("price %v: error %v, want EINVALID", price, err)
		}
	}
	if _, err := grid.QuoteWorkload(w, grid.MainnetPricingPolicy, rat("0.01"), -1); fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
		t.Errorf("negative balance: error %v, want EINVALID", err)
	}
}

func TestTFTFormatting(t *testing.T) {
	for _, tc := range []struct {
		units grid.TFTUnits
		s     string
	}{
		{0, "0.0000000"}, {1, "0.0000001"}, {10_000_000, "1.0000000"},
		{3_857_142_960, "385.7142960"}, {-25_000_000, "-2.5000000"},
	} {
		if got := tc.units.String(); got != tc.s {
			t.Errorf("%d formats as %s, want %s", tc.units, got, tc.s)
		}
	}
	for _, tc := range []struct {
		s     string
		units grid.TFTUnits
		ok    bool
	}{
		{"12", 120_000_000, true}, {"0.5", 5_000_000, true}, {"1.0000001", 10_000_001, true},
		{"1.00000001", 0, false}, {"-1", 0, false}, {"1e3", 0, false}, {"", 0, false}, {"1/3", 0, false},
	} {
		got, err := grid.ParseTFT(tc.s)
		if (err == nil) != tc.ok || got != tc.units {
			t.Errorf("ParseTFT(%q) = %d, %v; want %d ok=%v", tc.s, got, err, tc.units, tc.ok)
		}
	}
}

func TestParseGB(t *testing.T) {
	if b, err := grid.ParseGB("0.5"); err != nil || b != 1<<29 {
		t.Errorf("0.5 GB = %d, %v; want %d", b, err, 1<<29)
	}
	if b, err := grid.ParseGB("25"); err != nil || b != 25<<30 {
		t.Errorf("25 GB = %d, %v", b, err)
	}
	// 2^-31 GB is half a byte.
	if _, err := grid.ParseGB("0.0000000004656612873077392578125"); err == nil {
		t.Error("half a byte accepted")
	}
}

func TestFormatDecimal(t *testing.T) {
	for _, tc := range []struct{ r, s string }{
		{"81/20", "4.05"}, {"1/12", "0.0833333"}, {"2/3", "0.6666667"}, {"7", "7"},
		{"43800012/1000000", "43.800012"}, {"1/1024", "0.0009765625"},
	} {
		if got := grid.FormatDecimal(rat(tc.r)); got != tc.s {
			t.Errorf("FormatDecimal(%s) = %s, want %s", tc.r, got, tc.s)
		}
	}
}

// TestRentPaysTheDedicationPercentAsWritten: cost.rs bills a rent
// Percent::from_percent(discount_for_dedication_nodes) * cost, so at a
// policy value of 70 the renter pays 70 % of the node's cost (not 30 %).
func TestRentPaysTheDedicationPercentAsWritten(t *testing.T) {
	policy := grid.MainnetPricingPolicy
	policy.DedicatedDiscountPct = 70
	node := grid.Workload{CRU: 8, MRU: 32 * grid.GB, SRU: 1000 * grid.GB, HRU: 4000 * grid.GB}
	shared, _ := grid.QuoteWorkload(node, policy, big.NewRat(1, 100), 0)
	node.Dedicated = true
	rent, _ := grid.QuoteWorkload(node, policy, big.NewRat(1, 100), 0)
	want := new(big.Rat).Mul(shared.ListUSDHour, big.NewRat(70, 100))
	if rent.ListUSDHour.Cmp(want) != 0 {
		t.Errorf("rent %s USD/h, want 70 %% of %s = %s", rent.ListUSDHour.FloatString(7), shared.ListUSDHour.FloatString(7), want.FloatString(7))
	}
}

// TestChainTFTPriceClampsTheAverage: the chain converts at AverageTftPrice
// clamped to [MinTftPrice, MaxTftPrice] (mUSD).
func TestChainTFTPriceClampsTheAverage(t *testing.T) {
	for _, tc := range []struct {
		avg, min, max uint32
		want          string
	}{
		{10, 5, 1000, "0.01"}, // inside the bounds
		{3, 5, 1000, "0.005"}, // below MinTftPrice
		{2000, 5, 1000, "1"},  // above MaxTftPrice
		{10, 0, 0, "0.01"},    // no bounds set
	} {
		p, err := grid.ChainTFTPrice(tc.avg, tc.min, tc.max)
		if err != nil || grid.FormatDecimal(p) != tc.want {
			t.Errorf("ChainTFTPrice(%d, %d, %d) = %v, %v; want %s", tc.avg, tc.min, tc.max, p, err, tc.want)
		}
	}
	if _, err := grid.ChainTFTPrice(0, 0, 0); err == nil {
		t.Error("a zero price was accepted")
	}
}
