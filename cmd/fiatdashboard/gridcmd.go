package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/grid/gridsim"
)

const gridUsage = `Usage: fiatdashboard grid <command> [flags]

Commands:
  quote   price a workload with the TFChain mainnet pricing policy
  sim     print the catalog summary of the grid simulator

Run "fiatdashboard grid <command> -h" for a command's flags.
`

const gridQuoteUsage = `Usage: fiatdashboard grid quote --cru N --mru GB --sru GB [--hru GB] [--ipv4]
         [--certified] [--dedicated] [--extra-fee-usd X] [--balance-tft X]
         [--tft-price USD] [--tft-min USD] [--tft-max USD] [--json]

Prices a workload the way TFChain bills it (pallet-smart-contract cost.rs):
CU and SU from the resources, the mainnet pricing policy (USD per hour);
certified nodes billed as DIY (calculate_contract_cost_tft); a rent of a
whole node (--dedicated) billed at Percent::from_percent(the policy's
discount_for_dedication_nodes) of its cost, plus the farmer's extra fee,
which no discount touches; and the staking discount the balance earns for
this contract, judged on its month before any factor (1.5 / 3 / 6 / 18
months → 20 / 30 / 40 / 60 %). The TFT price is the chain's average,
clamped to [--tft-min, --tft-max]. A month is 720 hours, each hour billed
in TFT and rounded up to 0.0000001 TFT. GB means 2^30 bytes, as on the chain.

Flags:
  --cru N            virtual cores (required)
  --mru GB           memory in GB, decimals allowed (required)
  --sru GB           SSD in GB (required)
  --hru GB           HDD in GB (default 0)
  --ipv4             one public IPv4 address
  --certified        a certified node (billed as DIY: same price)
  --dedicated        a rent of the whole node (give the node's total resources)
  --extra-fee-usd X  the farmer's extra fee for the rent, USD a month (with --dedicated)
  --balance-tft X    the paying twin's usable + stash TFT balance, for the staking discount (default 0)
  --tft-price USD    the chain's average TFT price in USD (default ` + grid.ReferenceTFTPrice + `)
  --tft-min USD      the chain's MinTftPrice; the price is clamped up to it (default none)
  --tft-max USD      the chain's MaxTftPrice; the price is clamped down to it (default none)
  --json             print one JSON object
`

const gridSimUsage = `Usage: fiatdashboard grid sim [--seed N] [--nodes N] [--farms N] [--json]

Builds the grid simulator (the grid "make run" and the tests use) from a seed
and prints its catalog: nodes, farms, countries, status, GPU, certified,
IPv4 and total capacity. The same seed always builds the same grid.

Flags:
  --seed N     the simulator seed (default 1)
  --nodes N    how many nodes (default 600)
  --farms N    how many farms (default 60)
  --json       print one JSON object
`

// runGridCommand runs "fiatdashboard grid …"; args are the words after
// "grid". It returns the process exit code: 0, or 2 for bad usage.
func runGridCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, gridUsage)
		return 2
	}
	switch args[0] {
	case "quote":
		return runGridQuote(args[1:], stdout, stderr)
	case "sim":
		return runGridSim(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, gridUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "fiatdashboard grid: unknown command %q (want quote or sim)\n", args[0])
		return 2
	}
}

// parseGridFlags parses args into fs. It returns -1 to go on, or the exit code:
// 0 after printing help, 2 after a one-line error naming the flag.
func parseGridFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) int {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "fiatdashboard %s: %v\n", fs.Name(), err)
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "fiatdashboard %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2
	}
	return -1
}

// gridValueFlag is a flag parsed by a function that reports plain messages.
type gridValueFlag struct {
	text  string
	set   bool
	parse func(string) error
}

func (v *gridValueFlag) String() string { return v.text }
func (v *gridValueFlag) Set(s string) error {
	if err := v.parse(s); err != nil {
		return errors.New(fiatdashboard.ErrorMessage(err))
	}
	v.text, v.set = s, true
	return nil
}

func gridGBFlag(fs *flag.FlagSet, name string, dst *uint64) *gridValueFlag {
	v := &gridValueFlag{parse: func(s string) (err error) { *dst, err = grid.ParseGB(s); return err }}
	fs.Var(v, name, "")
	return v
}

// gridQuoteJSON is the stable output of "grid quote --json"; see grid/README.md.
type gridQuoteJSON struct {
	CU              json.Number    `json:"cu"`
	SU              json.Number    `json:"su"`
	USDMonth        string         `json:"usd_month"`
	TFTMonth        string         `json:"tft_month"`
	DiscountPackage string         `json:"discount_package"`
	DiscountPct     int64          `json:"discount_pct"`
	TFTPriceUSD     string         `json:"tft_price_usd"`
	Policy          gridPolicyJSON `json:"policy"`
	USDHour         string         `json:"usd_hour"`
	TFTHour         string         `json:"tft_hour"`
	ListUSDMonth    string         `json:"list_usd_month"`
	ListTFTMonth    string         `json:"list_tft_month"`
	BalanceTFT      string         `json:"balance_tft"`
	HoursPerMonth   int            `json:"hours_per_month"`
	// Added with the cost.rs review; stable from here on.
	ExtraFeeUSDMonth string `json:"extra_fee_usd_month"`
	ExtraFeeTFTMonth string `json:"extra_fee_tft_month"`
	CertifiedBilled  string `json:"certified_billed_as"` // "diy": the chain bills every contract as DIY
}

type gridPolicyJSON struct {
	CUUSDHour            string `json:"cu_usd_hour"`
	SUUSDHour            string `json:"su_usd_hour"`
	IPUUSDHour           string `json:"ipu_usd_hour"`
	DedicatedDiscountPct int64  `json:"dedicated_discount_pct"`
}

func runGridQuote(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("grid quote", flag.ContinueOnError)
	var w grid.Workload
	var balance grid.TFTUnits
	price, _ := grid.ParseDecimal(grid.ReferenceTFTPrice)
	cru := &gridValueFlag{parse: func(s string) error {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n == 0 {
			return errors.New("want a whole number of cores, at least 1")
		}
		w.CRU = n
		return nil
	}}
	fs.Var(cru, "cru", "")
	mru := gridGBFlag(fs, "mru", &w.MRU)
	sru := gridGBFlag(fs, "sru", &w.SRU)
	gridGBFlag(fs, "hru", &w.HRU)
	ipv4 := fs.Bool("ipv4", false, "")
	fs.BoolVar(&w.Certified, "certified", false, "")
	fs.BoolVar(&w.Dedicated, "dedicated", false, "")
	extraFee := &gridValueFlag{parse: func(s string) error {
		r, err := grid.ParseDecimal(s)
		if err != nil {
			return err
		}
		r.Mul(r, big.NewRat(1000, 1))
		if !r.IsInt() || !r.Num().IsUint64() {
			return errors.New("the extra fee is counted in mUSD: at most 3 decimals")
		}
		w.ExtraFeeMUSDMonth = r.Num().Uint64()
		return nil
	}}
	fs.Var(extraFee, "extra-fee-usd", "")
	var minPrice, maxPrice *big.Rat
	priceBound := func(dst **big.Rat) *gridValueFlag {
		return &gridValueFlag{parse: func(s string) error {
			p, err := grid.ParseDecimal(s)
			if err == nil && p.Sign() == 0 {
				err = errors.New("a TFT price bound must be above 0")
			}
			*dst = p
			return err
		}}
	}
	fs.Var(priceBound(&minPrice), "tft-min", "")
	fs.Var(priceBound(&maxPrice), "tft-max", "")
	fs.Var(&gridValueFlag{parse: func(s string) (err error) { balance, err = grid.ParseTFT(s); return err }}, "balance-tft", "")
	fs.Var(&gridValueFlag{parse: func(s string) error {
		p, err := grid.ParseDecimal(s)
		if err == nil && p.Sign() == 0 {
			err = errors.New("the TFT price must be above 0")
		}
		if err == nil {
			price = p
		}
		return err
	}}, "tft-price", "")
	asJSON := fs.Bool("json", false, "")
	if code := parseGridFlags(fs, args, gridQuoteUsage, stdout, stderr); code >= 0 {
		return code
	}
	for _, req := range []struct {
		name string
		v    *gridValueFlag
	}{{"cru", cru}, {"mru", mru}, {"sru", sru}} {
		if !req.v.set {
			fmt.Fprintf(stderr, "fiatdashboard grid quote: flag --%s is required\n", req.name)
			return 2
		}
	}
	if *ipv4 {
		w.PublicIPv4 = 1
	}
	if extraFee.set && !w.Dedicated {
		fmt.Fprintln(stderr, "fiatdashboard grid quote: flag --extra-fee-usd needs --dedicated (the fee is billed on a rent)")
		return 2
	}
	// cost.rs calculate_cost_in_tft_from_musd: AverageTftPrice clamped
	// to [MinTftPrice, MaxTftPrice].
	if minPrice != nil && price.Cmp(minPrice) < 0 {
		price = minPrice
	}
	if maxPrice != nil && price.Cmp(maxPrice) > 0 {
		price = maxPrice
	}
	policy := grid.MainnetPricingPolicy
	q, err := grid.QuoteWorkload(w, policy, price, balance)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard grid quote: %s\n", fiatdashboard.ErrorMessage(err))
		return 2
	}
	if *asJSON {
		out := gridQuoteJSON{
			CU: json.Number(grid.FormatDecimal(q.CU)), SU: json.Number(grid.FormatDecimal(q.SU)),
			USDMonth: grid.FormatDecimal(q.USDMonth), TFTMonth: q.TFTMonth.String(),
			DiscountPackage: string(q.Discount), DiscountPct: q.DiscountPct,
			TFTPriceUSD: grid.FormatDecimal(q.TFTPrice),
			Policy: gridPolicyJSON{
				CUUSDHour:            grid.FormatDecimal(grid.USDPerHour(policy.CU)),
				SUUSDHour:            grid.FormatDecimal(grid.USDPerHour(policy.SU)),
				IPUUSDHour:           grid.FormatDecimal(grid.USDPerHour(policy.IPU)),
				DedicatedDiscountPct: policy.DedicatedDiscountPct,
			},
			USDHour: grid.FormatDecimal(q.USDHour), TFTHour: q.TFTHour.String(),
			ListUSDMonth: grid.FormatDecimal(q.ListUSDMonth), ListTFTMonth: q.ListTFTMonth.String(),
			BalanceTFT: balance.String(), HoursPerMonth: grid.HoursPerMonth,
			ExtraFeeUSDMonth: grid.FormatDecimal(new(big.Rat).Mul(q.ExtraFeeUSDHour, big.NewRat(grid.HoursPerMonth, 1))),
			ExtraFeeTFTMonth: (q.ExtraFeeTFTHour * grid.HoursPerMonth).String(),
			CertifiedBilled:  "diy",
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "fiatdashboard grid quote: %v\n", err)
			return 1
		}
		return 0
	}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	kind := "shared node"
	if w.Dedicated {
		kind = "dedicated node"
	}
	if w.Certified {
		kind = "certified " + kind + " (billed as DIY)"
	}
	fmt.Fprintf(tw, "Workload\t%d vCPU, %s GB memory, %s GB SSD, %s GB HDD, %d public IPv4, %s\n",
		w.CRU, gridGBString(w.MRU), gridGBString(w.SRU), gridGBString(w.HRU), w.PublicIPv4, kind)
	fmt.Fprintf(tw, "CU / SU\t%s / %s\n", grid.FormatDecimal(q.CU), grid.FormatDecimal(q.SU))
	fmt.Fprintf(tw, "Pricing policy\tCU %s, SU %s, IPv4 %s USD/hour; a rent bills %d %% of the node (TFChain mainnet policy 1)\n",
		grid.FormatDecimal(grid.USDPerHour(policy.CU)), grid.FormatDecimal(grid.USDPerHour(policy.SU)),
		grid.FormatDecimal(grid.USDPerHour(policy.IPU)), policy.DedicatedDiscountPct)
	fmt.Fprintf(tw, "TFT price\t%s USD\n", grid.FormatDecimal(q.TFTPrice))
	fmt.Fprintf(tw, "List price\t%s USD/month = %s TFT/month\n", grid.FormatDecimal(q.ListUSDMonth), q.ListTFTMonth)
	if w.ExtraFeeMUSDMonth > 0 {
		fmt.Fprintf(tw, "Extra fee\t%s USD/month = %s TFT/month, the farmer's, not discounted\n",
			grid.FormatDecimal(new(big.Rat).Mul(q.ExtraFeeUSDHour, big.NewRat(grid.HoursPerMonth, 1))), q.ExtraFeeTFTHour*grid.HoursPerMonth)
	}
	fmt.Fprintf(tw, "Staking discount\t%s (%d %%) on a balance of %s TFT\n", q.Discount, q.DiscountPct, balance)
	fmt.Fprintf(tw, "Price\t%s USD/month = %s TFT/month (%s TFT/hour × %d hours)\n",
		grid.FormatDecimal(q.USDMonth), q.TFTMonth, q.TFTHour, grid.HoursPerMonth)
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}

func gridGBString(bytes uint64) string {
	return grid.FormatDecimal(new(big.Rat).SetFrac(new(big.Int).SetUint64(bytes), new(big.Int).SetUint64(grid.GB)))
}

// gridSimJSON is the output of "grid sim --json".
type gridSimJSON struct {
	Seed           uint64            `json:"seed"`
	Nodes          int               `json:"nodes"`
	Farms          int               `json:"farms"`
	Countries      int               `json:"countries"`
	Up             int               `json:"up"`
	Down           int               `json:"down"`
	Standby        int               `json:"standby"`
	GPU            int               `json:"gpu"`
	HDDHeavy       int               `json:"hdd_heavy"`
	Certified      int               `json:"certified"`
	IPv4           int               `json:"ipv4"`
	IPv6           int               `json:"ipv6"`
	Light          int               `json:"light"`
	Dedicated      int               `json:"dedicated"`
	FreePublicIPv4 int               `json:"free_public_ipv4"`
	Gateways       int               `json:"gateways"`
	Total          gridResourcesJSON `json:"total"`
	Used           gridResourcesJSON `json:"used"`
}

type gridResourcesJSON struct {
	CRU   uint64 `json:"cru"`
	MRUGB uint64 `json:"mru_gb"`
	SRUGB uint64 `json:"sru_gb"`
	HRUGB uint64 `json:"hru_gb"`
}

func gridResourcesOut(r grid.Resources) gridResourcesJSON {
	return gridResourcesJSON{r.CRU, r.MRU / grid.GB, r.SRU / grid.GB, r.HRU / grid.GB}
}

func runGridSim(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("grid sim", flag.ContinueOnError)
	seed := fs.Uint64("seed", 1, "")
	nodes := fs.Int("nodes", gridsim.DefaultNodes, "")
	farms := fs.Int("farms", gridsim.DefaultFarms, "")
	asJSON := fs.Bool("json", false, "")
	if code := parseGridFlags(fs, args, gridSimUsage, stdout, stderr); code >= 0 {
		return code
	}
	if *nodes < 1 || *nodes > 100_000 {
		fmt.Fprintln(stderr, "fiatdashboard grid sim: flag --nodes must be between 1 and 100000")
		return 2
	}
	if *farms < 1 || *farms > *nodes {
		fmt.Fprintln(stderr, "fiatdashboard grid sim: flag --farms must be between 1 and the number of nodes")
		return 2
	}
	s := gridsim.New(gridsim.Config{Seed: *seed, Nodes: *nodes, Farms: *farms}).Summary()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(gridSimJSON{
			Seed: s.Seed, Nodes: s.Nodes, Farms: s.Farms, Countries: s.Countries,
			Up: s.Up, Down: s.Down, Standby: s.Standby, GPU: s.GPU, HDDHeavy: s.HDDHeavy,
			Certified: s.Certified, IPv4: s.IPv4, IPv6: s.IPv6, Light: s.Light, Dedicated: s.Dedicated,
			FreePublicIPv4: s.FreePublicIPv4, Gateways: s.Gateways, Total: gridResourcesOut(s.Total), Used: gridResourcesOut(s.Used),
		})
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	t, u := gridResourcesOut(s.Total), gridResourcesOut(s.Used)
	lines := []string{
		fmt.Sprintf("Simulated grid\tseed %d", s.Seed),
		fmt.Sprintf("Nodes\t%d (%d up, %d down, %d standby)", s.Nodes, s.Up, s.Down, s.Standby),
		fmt.Sprintf("Farms\t%d", s.Farms),
		fmt.Sprintf("Countries\t%d", s.Countries),
		fmt.Sprintf("GPU nodes\t%d", s.GPU),
		fmt.Sprintf("HDD-heavy nodes\t%d (10 TB HDD or more)", s.HDDHeavy),
		fmt.Sprintf("Certified nodes\t%d", s.Certified),
		fmt.Sprintf("Public IPv4\t%d nodes in farms with free addresses, %d addresses free", s.IPv4, s.FreePublicIPv4),
		fmt.Sprintf("IPv6 nodes\t%d", s.IPv6),
		fmt.Sprintf("ZOS 4 light\t%d", s.Light),
		fmt.Sprintf("Dedicated nodes\t%d", s.Dedicated),
		fmt.Sprintf("Gateway nodes\t%d (a public config with a domain)", s.Gateways),
		fmt.Sprintf("Capacity\t%d cores, %d GB memory, %d GB SSD, %d GB HDD", t.CRU, t.MRUGB, t.SRUGB, t.HRUGB),
		fmt.Sprintf("In use\t%d cores, %d GB memory, %d GB SSD, %d GB HDD", u.CRU, u.MRUGB, u.SRUGB, u.HRUGB),
	}
	fmt.Fprintln(tw, strings.Join(lines, "\n"))
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}
