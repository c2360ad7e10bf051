package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func runGridCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = runGridCommand(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestGridQuoteJSON(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want map[string]any
	}{
		{
			// 56250 unit-USD/h (see grid/pricing_test.go); at 0.0105 USD/TFT
			// each hour is 5 357 142.857… → 5 357 143 units; × 720.
			name: "small VM",
			args: []string{"--cru", "1", "--mru", "2", "--sru", "25", "--tft-price", "0.0105"},
			want: map[string]any{
				"cu": 0.5, "su": 0.125, "usd_month": "4.05", "tft_month": "385.7142960",
				"discount_package": "none", "discount_pct": 0.0, "tft_price_usd": "0.0105",
				"tft_hour": "0.5357143", "balance_tft": "0.0000000", "hours_per_month": 720.0,
			},
		},
		{
			// List 405 TFT a month at 0.01; 607.5 TFT is 1.5 months → default, 20 %:
			// 45000 unit-USD/h = 4.5 TFT units… → 324 TFT, 3.24 USD a month.
			name: "default staking discount",
			args: []string{"-cru=1", "-mru=2", "-sru=25", "--balance-tft", "607.5"},
			want: map[string]any{
				"usd_month": "3.24", "tft_month": "324.0000000", "list_tft_month": "405.0000000",
				"list_usd_month": "4.05", "discount_package": "default", "discount_pct": 20.0, "tft_price_usd": "0.01",
			},
		},
		{
			// 112500 + 40000 = 152500 unit-USD/h; certified is billed as DIY
			// (cost.rs calculate_contract_cost_tft) → 10.98 USD, 1098 TFT.
			name: "certified with IPv4",
			args: []string{"--cru", "2", "--mru", "4", "--sru", "50", "--ipv4", "--certified"},
			want: map[string]any{"cu": 1.0, "su": 0.25, "usd_month": "10.98", "tft_month": "1098.0000000", "certified_billed_as": "diy"},
		},
		{
			// SU = 4000/1200 + 1000/200 = 25/3, shown rounded; the hour rounds
			// up to 1216667 unit-USD, the rent halves it: 43.800012 USD.
			name: "dedicated",
			args: []string{"--cru", "8", "--mru", "32", "--sru", "1000", "--hru", "4000", "--dedicated"},
			want: map[string]any{"cu": 8.0, "su": 8.3333333, "usd_month": "43.800012", "tft_month": "4380.0012000"},
		},
		{
			// The rent above plus a 36 USD extra fee: 36000 mUSD × 10^4 / 720
			// = 500000 unit-USD/h, never discounted: 79.800012 USD a month.
			// The balance of 26 280 TFT is 6 months of the rent alone
			// (4380.0012): silver, 40 % off the rent, none off the fee.
			name: "dedicated with extra fee and staking",
			args: []string{"--cru", "8", "--mru", "32", "--sru", "1000", "--hru", "4000", "--dedicated", "--extra-fee-usd", "36", "--balance-tft", "26280.0072"},
			want: map[string]any{"discount_package": "silver", "extra_fee_usd_month": "36", "extra_fee_tft_month": "3600.0000000",
				"list_usd_month": "79.800012", "usd_month": "62.2800072"},
		},
		{
			// An average price under MinTftPrice is clamped up to it.
			name: "TFT price clamped",
			args: []string{"--cru", "1", "--mru", "2", "--sru", "25", "--tft-price", "0.005", "--tft-min", "0.01", "--tft-max", "1"},
			want: map[string]any{"tft_price_usd": "0.01", "tft_month": "405.0000000"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runGridCLI(append([]string{"quote", "--json"}, tc.args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, stdout)
			}
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
			policy, _ := got["policy"].(map[string]any)
			for k, want := range map[string]string{"cu_usd_hour": "0.01", "su_usd_hour": "0.005", "ipu_usd_hour": "0.004"} {
				if policy[k] != want {
					t.Errorf("policy.%s = %#v, want %q", k, policy[k], want)
				}
			}
		})
	}
}

func TestGridQuoteText(t *testing.T) {
	code, stdout, _ := runGridCLI("quote", "--cru", "1", "--mru", "2", "--sru", "25")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"CU / SU", "0.5 / 0.125", "4.05 USD/month = 405.0000000 TFT/month", "none (0 %)", "0.01 USD"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestGridBadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"quote", "--cru", "x", "--mru", "2", "--sru", "25"}, "cru"},
		{[]string{"quote", "--cru", "1", "--mru", "two", "--sru", "25"}, "mru"},
		{[]string{"quote", "--cru", "1", "--mru", "2"}, "sru"},
		{[]string{"quote", "--cru", "1", "--mru", "2", "--sru", "25", "--tft-price", "0"}, "tft-price"},
		{[]string{"quote", "--cru", "1", "--mru", "2", "--sru", "25", "--balance-tft", "1.00000001"}, "balance-tft"},
		{[]string{"quote", "--cru", "1", "--mru", "2", "--sru", "25", "--gpu"}, "gpu"},
		{[]string{"sim", "--seed", "-3"}, "seed"},
		{[]string{"sim", "--nodes", "0"}, "nodes"},
	} {
		code, stdout, stderr := runGridCLI(tc.args...)
		if code != 2 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", tc.args, code, stdout)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.flag) {
			t.Errorf("%v: stderr %q, want one line naming %s", tc.args, stderr, tc.flag)
		}
	}
	if code, _, stderr := runGridCLI("frobnicate"); code != 2 || !strings.Contains(stderr, "frobnicate") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	if code, _, _ := runGridCLI(); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
}

func TestGridHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"quote", "-h"}, {"sim", "--help"}} {
		code, stdout, stderr := runGridCLI(args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage: fiatdashboard grid") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestGridSim(t *testing.T) {
	code, stdout, _ := runGridCLI("sim", "--seed", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var s struct{ Seed, Nodes, Farms, Countries, Up, Down, GPU, Certified, IPv4 int }
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Seed != 3 || s.Nodes < 500 || s.Farms < 50 || s.Countries < 30 || s.Up == 0 || s.Down == 0 || s.GPU == 0 || s.Certified == 0 || s.IPv4 == 0 {
		t.Errorf("summary %+v", s)
	}
	_, again, _ := runGridCLI("sim", "--seed", "3", "--json")
	if again != stdout {
		t.Error("the same seed printed another summary")
	}
	code, text, _ := runGridCLI("sim")
	if code != 0 || !strings.Contains(text, "seed 1") || !strings.Contains(text, "Countries") {
		t.Errorf("text summary: exit %d\n%s", code, text)
	}
}
