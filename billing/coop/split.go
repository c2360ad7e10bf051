package coop

import (
	"sort"

	"github.com/google/uuid"
)

// Share is a co-op member's part of the revenue, in basis points (the
// members' shares sum to 10000).
type Share struct {
	Member uuid.UUID `json:"member"`
	BPS    int64     `json:"bps"`
}

// Part is what one member receives.
type Part struct {
	Member uuid.UUID `json:"member"`
	Cents  Cents     `json:"cents"`
}

// Split divides amount among the shares so that the parts sum exactly to
// amount: each member first gets floor(amount × bps / 10000); the cents
// left over (fewer than the number of members) go one each to the members
// with the largest remainders, ties broken by the larger share and then by
// member id. Refunds are split with the same rule, so a member never gives
// back more than it received from a full refund. Shares must sum to 10000.
func Split(amount Cents, shares []Share) []Part {
	type row struct {
		Part
		rem int64
		bps int64
	}
	rows := make([]row, len(shares))
	var given Cents
	for i, s := range shares {
		q := int64(amount) * s.BPS
		rows[i] = row{Part: Part{Member: s.Member, Cents: Cents(q / 10000)}, rem: q % 10000, bps: s.BPS}
		given += rows[i].Cents
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := rows[order[a]], rows[order[b]]
		if ra.rem != rb.rem {
			return ra.rem > rb.rem
		}
		if ra.bps != rb.bps {
			return ra.bps > rb.bps
		}
		return ra.Member.String() < rb.Member.String()
	})
	for i := 0; given < amount && len(order) > 0; i++ {
		rows[order[i%len(order)]].Cents++
		given++
	}
	out := make([]Part, len(rows))
	for i, r := range rows {
		out[i] = r.Part
	}
	return out
}
