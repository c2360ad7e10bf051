// Package treasury owns each tenant's grid wallet: sealed secrets, staking tiers,
// the USDC → TFT top-up pipeline (swap, bridge, mint), runway alerts and the
// exchange port (package exchange) it trades through.
package treasury

import (
	"math/big"
	"slices"

	"github.com/fiatdashboard/fiatdashboard/grid"
)

// ContractCost is one running contract's list cost per month, in TFT units.
type ContractCost struct {
	ContractID  uint64        `json:"contract_id"`
	MonthlyList grid.TFTUnits `json:"monthly_list"`
}

// ContractTier is the staking discount one contract gets from the balance.
type ContractTier struct {
	ContractID  uint64               `json:"contract_id"`
	MonthlyList string               `json:"monthly_list_tft"`
	Package     grid.DiscountPackage `json:"package"`
	Pct         int64                `json:"pct"`
	Monthly     string               `json:"monthly_tft"` // after the discount
}

// TierReport is what the wallet page shows about the staking discount.
type TierReport struct {
	Balance   string         `json:"balance_tft"`
	Contracts []ContractTier `json:"contracts"`
	// AllContracts is the tier every contract reaches: the chain evaluates
	// each contract against the whole balance, so the most expensive
	// contract binds.
	AllContracts grid.DiscountPackage `json:"all_contracts"`
	// ByTier counts the contracts at each tier, best tier first, from the
	// same per-contract tiers as Contracts: the page's headline says this,
	// never "every contract is X" while some are at a better tier.
	ByTier []TierCount `json:"by_tier"`
	// Next is the next tier for all contracts and how many TFT more reach it
	// ("reach Gold with N TFT more"); empty at Gold.
	Next        grid.DiscountPackage `json:"next,omitempty"`
	MoreForNext string               `json:"more_for_next_tft,omitempty"`
	BurnMonth   string               `json:"burn_month_tft"` // what the contracts cost a month at their tiers
	RunwayDays  int64                `json:"runway_days"`    // -1: nothing burns
}

// TierCount is how many running contracts are at one tier.
type TierCount struct {
	Package   grid.DiscountPackage `json:"package"`
	Pct       int64                `json:"pct"`
	Contracts int                  `json:"contracts"`
}

// countTiers counts contracts per tier, best tier first.
func countTiers(cs []ContractTier) []TierCount {
	out := []TierCount{}
	for _, c := range cs {
		i := slices.IndexFunc(out, func(t TierCount) bool { return t.Package == c.Package })
		if i < 0 {
			out = append(out, TierCount{Package: c.Package, Pct: c.Pct})
			i = len(out) - 1
		}
		out[i].Contracts++
	}
	slices.SortFunc(out, func(a, b TierCount) int { return int(b.Pct - a.Pct) })
	return out
}

// tierMonths are the chain's thresholds in months of a contract's cost
// (see grid.StakingDiscount): halves, to stay in integers.
var tierHalfMonths = []struct {
	Package grid.DiscountPackage
	Halves  int64
}{{grid.DiscountDefault, 3}, {grid.DiscountBronze, 6}, {grid.DiscountSilver, 12}, {grid.DiscountGold, 36}}

// Tiers computes the tier report for a balance and the running contracts.
func Tiers(balance grid.TFTUnits, contracts []ContractCost) TierReport {
	r := TierReport{Balance: balance.String(), AllContracts: grid.DiscountGold, Contracts: []ContractTier{}}
	var max grid.TFTUnits
	var burn grid.TFTUnits
	for _, c := range contracts {
		p := grid.StakingDiscount(balance, c.MonthlyList)
		// Discounted cost, rounded up to the unit as the chain bills.
		m := grid.TFTUnits(ceilDiv(big.NewInt(int64(c.MonthlyList)*(100-p.Pct())), big.NewInt(100)).Int64())
		burn += m
		r.Contracts = append(r.Contracts, ContractTier{ContractID: c.ContractID, MonthlyList: c.MonthlyList.String(), Package: p, Pct: p.Pct(), Monthly: m.String()})
		if c.MonthlyList > max {
			max = c.MonthlyList
		}
	}
	r.BurnMonth = burn.String()
	r.ByTier = countTiers(r.Contracts)
	if len(contracts) == 0 || max == 0 {
		r.AllContracts, r.RunwayDays = grid.DiscountNone, -1
		return r
	}
	r.AllContracts = grid.StakingDiscount(balance, max)
	for _, t := range tierHalfMonths {
		need := grid.TFTUnits(ceilDiv(big.NewInt(int64(max)*t.Halves), big.NewInt(2)).Int64())
		if balance < need {
			r.Next, r.MoreForNext = t.Package, (need - balance).String()
			break
		}
	}
	if burn > 0 {
		// Days the balance lasts at 30-day months: floor(balance × 30 / burn).
		r.RunwayDays = int64(balance) * 30 / int64(burn)
	} else {
		r.RunwayDays = -1
	}
	return r
}

// ContractPage is one page of the wallet's contracts by contract id, after
// the cursor (a contract id; 0 for the first page), at most limit of them.
// Next is the cursor of the next page, 0 at the end.
func (r TierReport) ContractPage(after uint64, limit int) (page []ContractTier, next uint64) {
	all := slices.Clone(r.Contracts)
	slices.SortFunc(all, func(a, b ContractTier) int {
		switch {
		case a.ContractID < b.ContractID:
			return -1
		case a.ContractID > b.ContractID:
			return 1
		}
		return 0
	})
	page = []ContractTier{}
	for _, c := range all {
		if c.ContractID <= after {
			continue
		}
		if len(page) == limit {
			return page, page[len(page)-1].ContractID
		}
		page = append(page, c)
	}
	return page, 0
}
