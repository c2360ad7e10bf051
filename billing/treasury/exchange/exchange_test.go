package exchange_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing/treasury/exchange"
)

func TestAmountRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    exchange.Amount
		out     string
		wantErr bool
	}{
		{in: "12.34", want: 123_400_000, out: "12.3400000"},
		{in: "0.0000001", want: 1, out: "0.0000001"},
		{in: "100", want: 100 * exchange.One, out: "100.0000000"},
		{in: "-1.5", want: -15_000_000, out: "-1.5000000"},
		{in: "922337203685.4775807", want: 1<<63 - 1, out: "922337203685.4775807"},
		{in: "922337203685.4775808", wantErr: true},
		{in: "0.00000001", wantErr: true}, // 8 decimals: never rounded
		{in: "1.", wantErr: true},
		{in: ".5", wantErr: true},
		{in: "1e3", wantErr: true},
		{in: "+1", wantErr: true},
		{in: "1.-5", wantErr: true},
		{in: "", wantErr: true},
		{in: " 1", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := exchange.ParseAmount(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseAmount(%q) = %d, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			if s := got.String(); s != tc.out {
				t.Fatalf("String() = %q, want %q", s, tc.out)
			}
		})
	}
}

func TestFailedSpeaksPlainWordsAndKeepsTheCode(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tx       string
		ops      []string
		wantCode string
		wantMsg  string
	}{
		{"slippage", "tx_failed", []string{"op_over_source_max"}, "op_over_source_max", "op_over_source_max: the price moved past the slippage cap"},
		{"first failing operation names the cause", "tx_failed", []string{"op_success", "op_underfunded"}, "op_underfunded", "op_underfunded: the account does not hold enough of the asset it sends"},
		{"transaction-level code", "tx_too_late", nil, "tx_too_late", "tx_too_late: the transaction expired before it reached the ledger; build a new transaction"},
		{"operation code alone", "", []string{"op_too_few_offers"}, "op_too_few_offers", "op_too_few_offers: the order book is too thin for this amount"},
		{"unknown code kept verbatim", "tx_soroban_invalid", nil, "tx_soroban_invalid", "tx_soroban_invalid: the network refused the transaction"},
		{"no code at all", "", nil, "tx_failed", "tx_failed: the transaction failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := exchange.Failed(tc.tx, tc.ops...)
			if err.Code != fiatdashboard.ECONFLICT || err.Message != tc.wantMsg {
				t.Fatalf("Failed = %q %q, want conflict %q", err.Code, err.Message, tc.wantMsg)
			}
			wrapped := fmt.Errorf("swap topup 9: %w", err)
			if got := exchange.FailureCode(wrapped); got != tc.wantCode {
				t.Fatalf("FailureCode = %q, want %q", got, tc.wantCode)
			}
		})
	}
}

func TestFailureCodeIgnoresOtherErrors(t *testing.T) {
	for _, err := range []error{
		nil,
		errors.New("op_underfunded: not ours"),
		fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "op_underfunded: wrong code"),
		fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "the tenant already has a wallet"),
		fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "tx failed badly: two words"),
	} {
		if got := exchange.FailureCode(err); got != "" {
			t.Errorf("FailureCode(%v) = %q, want \"\"", err, got)
		}
	}
}
