// Package treasury owns each tenant's grid wallet: sealed secrets, staking tiers,
// the USDC → TFT top-up pipeline (swap, bridge, mint), runway alerts and the
// exchange port (package exchange) it trades through.
package treasury

import (
	"math/big"

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
	// Next is the next tier for all contracts and how many TFT more reach it
	// ("reach Gold with N TFT more"); empty at Gold.
	Next        grid.DiscountPackage `json:"next,omitempty"`
	MoreForNext string               `json:"more_for_next_tft,omitempty"`
	BurnMonth   string               `json:"burn_month_tft"` // what the contracts cost a month at their tiers
	RunwayDays  int64                `json:"runway_days"`    // -1: nothing burns
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
