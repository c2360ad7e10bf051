package treasury_test

import (
	"fmt"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

const tft = grid.TFTUnits(10_000_000)

// TestTiers works the staking tiers by hand: a contract of 100 TFT/month
// reaches Default at 150 TFT, Bronze at 300, Silver at 600, Gold at 1800;
// the most expensive contract binds the tier of all.
func TestTiers(t *testing.T) {
	one := []treasury.ContractCost{{ContractID: 1, MonthlyList: 100 * tft}}
	two := []treasury.ContractCost{{ContractID: 1, MonthlyList: 100 * tft}, {ContractID: 2, MonthlyList: 10 * tft}}
	tests := []struct {
		name      string
		balance   grid.TFTUnits
		contracts []treasury.ContractCost
		all, next grid.DiscountPackage
		more      string
		burn      string
		runway    int64
	}{
		// 149.9999999 TFT: just under 1.5 months → none; Default needs 1 unit more.
		{"just under default", 150*tft - 1, one, grid.DiscountNone, grid.DiscountDefault, "0.0000001", "100.0000000", 44},
		// 150 TFT: default (20 %): burn 80/month; runway 150 × 30 / 80 = 56 days.
		{"exactly default", 150 * tft, one, grid.DiscountDefault, grid.DiscountBronze, "150.0000000", "80.0000000", 56},
		{"exactly bronze", 300 * tft, one, grid.DiscountBronze, grid.DiscountSilver, "300.0000000", "70.0000000", 128},
		{"just under silver", 600*tft - 1, one, grid.DiscountBronze, grid.DiscountSilver, "0.0000001", "70.0000000", 257},
		{"exactly silver", 600 * tft, one, grid.DiscountSilver, grid.DiscountGold, "1200.0000000", "60.0000000", 300},
		{"exactly gold", 1800 * tft, one, grid.DiscountGold, "", "", "40.0000000", 1350},
		// 200 TFT over 100 and 10 TFT contracts: the big one gets Default (2 months),
		// the small one Gold (20 months ≥ 18): burn 80 + 4 = 84, runway 200 × 30 / 84 = 71;
		// the binding tier is Default, Bronze needs 300 − 200 = 100 TFT more.
		{"most expensive binds", 200 * tft, two, grid.DiscountDefault, grid.DiscountBronze, "100.0000000", "84.0000000", 71},
		{"no contracts", 50 * tft, nil, grid.DiscountNone, "", "", "0.0000000", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := treasury.Tiers(tt.balance, tt.contracts)
			if r.AllContracts != tt.all || r.Next != tt.next || r.MoreForNext != tt.more || r.BurnMonth != tt.burn || r.RunwayDays != tt.runway {
				t.Errorf("Tiers = all %s next %s more %q burn %s runway %d; want %s %s %q %s %d",
					r.AllContracts, r.Next, r.MoreForNext, r.BurnMonth, r.RunwayDays, tt.all, tt.next, tt.more, tt.burn, tt.runway)
			}
		})
	}
	r := treasury.Tiers(200*tft, two)
	if r.Contracts[1].Package != grid.DiscountGold || r.Contracts[1].Monthly != "4.0000000" {
		t.Errorf("small contract = %+v, want gold at 4 TFT", r.Contracts[1])
	}
}

// TestTierCountsAgreeWithEachContract: the headline's counts come from the
// same per-contract tiers as the table (issue 15 item 7: the headline said
// every contract was Silver while the table said Gold), best tier first, and
// the table pages by contract id without losing or repeating a contract.
func TestTierCountsAgreeWithEachContract(t *testing.T) {
	// 700 TFT: the 100 TFT/month contracts reach Silver (7 months), the
	// 10 TFT/month ones Gold (70 months).
	var cs []treasury.ContractCost
	for i := uint64(1); i <= 7; i++ {
		list := 10 * tft
		if i%3 == 0 {
			list = 100 * tft
		}
		cs = append(cs, treasury.ContractCost{ContractID: 100 - i, MonthlyList: list})
	}
	r := treasury.Tiers(700*tft, cs)
	want := []treasury.TierCount{{Package: grid.DiscountGold, Pct: 60, Contracts: 5}, {Package: grid.DiscountSilver, Pct: 40, Contracts: 2}}
	if len(r.ByTier) != len(want) || r.ByTier[0] != want[0] || r.ByTier[1] != want[1] {
		t.Errorf("by tier = %+v, want %+v", r.ByTier, want)
	}
	counted := map[grid.DiscountPackage]int{}
	for _, c := range r.Contracts {
		counted[c.Package]++
	}
	for _, b := range r.ByTier {
		if counted[b.Package] != b.Contracts {
			t.Errorf("by tier says %d at %s, the table %d", b.Contracts, b.Package, counted[b.Package])
		}
	}
	var seen []uint64
	var after uint64
	for pages := 0; ; pages++ {
		page, next := r.ContractPage(after, 3)
		if pages > 3 || len(page) > 3 {
			t.Fatalf("page %d = %+v (next %d)", pages, page, next)
		}
		for _, c := range page {
			seen = append(seen, c.ContractID)
		}
		if next == 0 {
			break
		}
		after = next
	}
	if fmt.Sprint(seen) != "[93 94 95 96 97 98 99]" {
		t.Errorf("pages by id = %v, want every contract once in id order", seen)
	}
	if empty := treasury.Tiers(10*tft, nil); empty.ByTier == nil || len(empty.ByTier) != 0 {
		t.Errorf("no contracts: by tier = %#v, want []", empty.ByTier)
	}
}
