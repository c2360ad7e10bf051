package coop_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/billing/coop"
)

// TestSplitLosesNoCent splits payments and refunds among co-op members and
// checks the parts sum exactly to the amount, with the remainder rule.
func TestSplitLosesNoCent(t *testing.T) {
	a := uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	b := uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	c := uuid.MustParse("00000000-0000-0000-0000-00000000000c")
	thirds := []coop.Share{{a, 3334}, {b, 3333}, {c, 3333}}
	tests := []struct {
		amount coop.Cents
		shares []coop.Share
		want   []coop.Cents
	}{
		// 100 × 33.34 % = 33.34 → 33 r 3400; b, c: 33.33 → 33 r 3300. One cent left: a (largest remainder).
		{100, thirds, []coop.Cents{34, 33, 33}},
		// 1 cent: a's remainder 3334 wins.
		{1, thirds, []coop.Cents{1, 0, 0}},
		// 2 cents: a (6668), then b and c tie at 6666 and equal shares: b by id.
		{2, thirds, []coop.Cents{1, 1, 0}},
		// 608 (a Small VM after fees) 70/30: 425.6 → 425 r 6000, 182.4 → 182 r 4000; the cent goes to the 70 % member.
		{608, []coop.Share{{a, 7000}, {b, 3000}}, []coop.Cents{426, 182}},
		{0, thirds, []coop.Cents{0, 0, 0}},
		{99999, []coop.Share{{a, 10000}}, []coop.Cents{99999}},
	}
	for _, tt := range tests {
		parts := coop.Split(tt.amount, tt.shares)
		var sum coop.Cents
		for i, p := range parts {
			sum += p.Cents
			if p.Cents != tt.want[i] {
				t.Errorf("Split(%d)[%d] = %d, want %d", tt.amount, i, p.Cents, tt.want[i])
			}
		}
		if sum != tt.amount {
			t.Errorf("Split(%d) sums to %d", tt.amount, sum)
		}
	}
	// Every amount from 0 to 5000 over uneven shares: never a cent lost or made.
	shares := []coop.Share{{a, 5150}, {b, 2925}, {c, 1925}}
	for amount := coop.Cents(0); amount <= 5000; amount++ {
		var sum coop.Cents
		for _, p := range coop.Split(amount, shares) {
			sum += p.Cents
		}
		if sum != amount {
			t.Fatalf("Split(%d) sums to %d", amount, sum)
		}
	}
}
