package tfgrid

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"github.com/centrifuge/go-substrate-rpc-client/v4/types"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	substrate "github.com/threefoldtech/tfchain/clients/tfchain-client-go"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/deployer"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/subi"
	proxytypes "github.com/threefoldtech/tfgrid-sdk-go/grid-proxy/pkg/types"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// chain returns the TFChain client under the SDK's.
func (c *Client) chain() (*substrate.Substrate, error) {
	impl, ok := c.tf.SubstrateConn.(*subi.SubstrateImpl)
	if !ok || impl.Substrate == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "the grid client has no TFChain connection")
	}
	return impl.Substrate, nil
}

// PricingPolicy reads pricing policy 1, the one the chain bills with.
func (c *Client) PricingPolicy(ctx context.Context) (grid.PricingPolicy, error) {
	p, err := c.tf.SubstrateConn.GetPricingPolicy(1)
	if err != nil {
		return grid.PricingPolicy{}, translate(err, "read the pricing policy")
	}
	return grid.PricingPolicy{
		CU: int64(p.CU.Value), SU: int64(p.SU.Value), IPU: int64(p.IPU.Value), NU: int64(p.NU.Value),
		UniqueName: int64(p.UniqueName.Value), DomainName: int64(p.DomainName.Value),
		DedicatedDiscountPct: int64(p.DedicatedNodesDiscount),
	}, nil
}

// TFTPrice returns the TFT price the chain bills with, as USD per TFT:
// TFTPriceModule AverageTftPrice clamped to [MinTftPrice, MaxTftPrice]
// (all mUSD; cost.rs calculate_cost_in_tft_from_musd), not the spot
// TftPrice.
func (c *Client) TFTPrice(ctx context.Context) (*big.Rat, error) {
	sub, err := c.chain()
	if err != nil {
		return nil, err
	}
	avg, err := sub.GetAverageTFTPrice()
	if err != nil {
		return nil, translate(err, "read the TFT price")
	}
	var bounds [2]types.U32
	for i, item := range []string{"MinTftPrice", "MaxTftPrice"} {
		if err := readStorage(sub, "TFTPriceModule", item, &bounds[i]); err != nil {
			return nil, translate(err, "read the TFT price bounds")
		}
	}
	p, err := grid.ChainTFTPrice(uint32(avg), uint32(bounds[0]), uint32(bounds[1]))
	if err != nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the chain reports no TFT price")
	}
	return p, nil
}

// readStorage reads one plain storage item of a pallet into v; a missing
// item leaves v zero.
func readStorage(sub *substrate.Substrate, pallet, item string, v any, args ...[]byte) error {
	cl, meta, err := sub.GetClient()
	if err != nil {
		return err
	}
	key, err := types.CreateStorageKey(meta, pallet, item, args...)
	if err != nil {
		return err
	}
	_, err = cl.RPC.State.GetStorageLatest(key, v)
	return err
}

// Quote implements grid.Grid with the chain's policy, TFT price and this
// twin's balance.
func (c *Client) Quote(ctx context.Context, w grid.Workload) (grid.Quote, error) {
	policy, err := c.PricingPolicy(ctx)
	if err != nil {
		return grid.Quote{}, err
	}
	price, err := c.TFTPrice(ctx)
	if err != nil {
		return grid.Quote{}, err
	}
	b, err := c.TwinBalances(ctx, c.tf.TwinID)
	if err != nil {
		return grid.Quote{}, err
	}
	return grid.QuoteWorkload(w, policy, price, b.ForDiscount())
}

// twinAccount returns a twin's account. Returns ENOTFOUND for an unknown twin.
func (c *Client) twinAccount(twinID uint32) (substrate.AccountID, error) {
	sub, err := c.chain()
	if err != nil {
		return substrate.AccountID{}, err
	}
	t, err := sub.GetTwin(twinID)
	if errors.Is(err, substrate.ErrNotFound) {
		return substrate.AccountID{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "twin %d does not exist", twinID)
	}
	if err != nil {
		return substrate.AccountID{}, translate(err, "read the twin")
	}
	return t.Account, nil
}

// TwinBalance implements grid.Grid.
func (c *Client) TwinBalance(ctx context.Context, twinID uint32) (grid.TFTUnits, error) {
	account, err := c.twinAccount(twinID)
	if err != nil {
		return 0, err
	}
	sub, _ := c.chain()
	b, err := sub.GetBalance(account)
	if errors.Is(err, substrate.ErrAccountNotFound) || errors.Is(err, substrate.ErrNotFound) {
		return 0, nil // an account the chain never funded
	}
	if err != nil {
		return 0, translate(err, "read the balance")
	}
	if b.Free.Int == nil {
		return 0, nil
	}
	if !b.Free.IsInt64() {
		return 0, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "twin %d holds more TFT than fits in an int64", twinID)
	}
	return grid.TFTUnits(b.Free.Int64()), nil
}

// TwinBalances implements grid.Grid: free, what billing locked (free
// minus pallet_balances' usable), and the usable balance of the stash
// account bonded to the twin (TfgridModule TwinBoundedAccountID), as
// billing.rs bill_contract adds them for the staking discount.
func (c *Client) TwinBalances(ctx context.Context, twinID uint32) (grid.Balances, error) {
	account, err := c.twinAccount(twinID)
	if err != nil {
		return grid.Balances{}, err
	}
	sub, _ := c.chain()
	usable := func(a substrate.AccountID) (free, locked grid.TFTUnits, err error) {
		b, err := sub.GetBalance(a)
		if errors.Is(err, substrate.ErrAccountNotFound) || errors.Is(err, substrate.ErrNotFound) {
			return 0, 0, nil
		}
		if err != nil {
			return 0, 0, translate(err, "read the balance")
		}
		f, frozen := units(b.Free), max(units(b.MiscFrozen), units(b.FreeFrozen))
		return f, min(frozen, f), nil
	}
	var out grid.Balances
	if out.Free, out.Locked, err = usable(account); err != nil {
		return grid.Balances{}, err
	}
	var stash types.OptionBytes32
	arg, _ := substrate.Encode(twinID)
	if err := readStorage(sub, "TfgridModule", "TwinBoundedAccountID", &stash, arg); err == nil {
		if ok, v := stash.Unwrap(); ok {
			free, locked, err := usable(substrate.AccountID(v))
			if err != nil {
				return grid.Balances{}, err
			}
			out.Stash = free - locked
		}
	}
	return out, nil
}

// units converts a chain amount to TFTUnits, saturating.
func units(v types.U128) grid.TFTUnits {
	if v.Int == nil {
		return 0
	}
	if !v.IsInt64() {
		return grid.TFTUnits(1<<63 - 1)
	}
	return grid.TFTUnits(v.Int64())
}

// TwinKYC implements grid.Grid by asking the network's KYC service, as the
// SDK does before it lets a twin deploy.
func (c *Client) TwinKYC(ctx context.Context, twinID uint32) (bool, error) {
	if _, err := c.twinAccount(twinID); err != nil {
		return false, err
	}
	u, err := url.JoinPath(deployer.KycURLs[c.network], "/api/v1/status")
	if err != nil {
		return false, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "no KYC service for network %s", c.network)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"?twin_id="+strconv.FormatUint(uint64(twinID), 10), nil)
	if err != nil {
		return false, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "build the KYC request: %v", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, translate(err, "ask the KYC service")
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return false, nil
	}
	if res.StatusCode != http.StatusOK {
		return false, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the KYC service answered %s", res.Status)
	}
	var body struct{ Result struct{ Status string } }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return false, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the KYC service sent an unreadable answer")
	}
	return strings.EqualFold(body.Result.Status, "VERIFIED"), nil
}

// TransferTFT implements grid.Grid.
func (c *Client) TransferTFT(ctx context.Context, toTwin uint32, amount grid.TFTUnits) error {
	if amount <= 0 {
		return fiatdashboard.Invalid("amount", "a transfer must move a positive amount")
	}
	to, err := c.twinAccount(toTwin)
	if err != nil {
		return err
	}
	balance, err := c.TwinBalance(ctx, c.tf.TwinID)
	if err != nil {
		return err
	}
	if balance < amount {
		return grid.Fail(grid.ReasonInsufficientFunds, "twin %d holds %s TFT, less than the %s TFT to transfer", c.tf.TwinID, balance, amount)
	}
	sub, _ := c.chain()
	if err := sub.Transfer(c.tf.Identity, uint64(amount), to); err != nil {
		return translate(err, "transfer TFT")
	}
	return nil
}

// BillReports implements grid.Grid from the grid proxy's contract bills.
func (c *Client) BillReports(ctx context.Context, q grid.BillQuery) ([]grid.BillReport, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	type owner struct {
		twin, node uint32
		farm       uint64
	}
	contracts := map[uint64]owner{}
	list := func(f proxytypes.ContractFilter) error {
		for p := uint64(1); ; p++ {
			page, total, err := c.tf.GridProxyClient.Contracts(ctx, f, proxytypes.Limit{Size: proxyPageSize, Page: p, RetCount: true})
			if err != nil {
				return translate(err, "list contracts")
			}
			for _, pc := range page {
				var d proxytypes.NodeContractDetails
				if raw, err := json.Marshal(pc.Details); err == nil {
					_ = json.Unmarshal(raw, &d)
				}
				contracts[uint64(pc.ContractID)] = owner{twin: uint32(pc.TwinID), node: uint32(d.NodeID), farm: d.FarmId}
			}
			if len(page) < proxyPageSize || int(p)*proxyPageSize >= total {
				return nil
			}
		}
	}
	for _, id := range q.ContractIDs {
		if err := list(proxytypes.ContractFilter{ContractID: &id}); err != nil {
			return nil, err
		}
	}
	if q.TwinID != 0 && len(q.ContractIDs) == 0 {
		twin := uint64(q.TwinID)
		if err := list(proxytypes.ContractFilter{TwinID: &twin}); err != nil {
			return nil, err
		}
	}
	if len(q.ContractIDs) == 0 {
		for _, n := range q.NodeIDs {
			node := uint64(n)
			if err := list(proxytypes.ContractFilter{NodeID: &node}); err != nil {
				return nil, err
			}
		}
	}

	var out []grid.BillReport
	for id, o := range contracts {
		for p := uint64(1); ; p++ {
			bills, total, err := c.tf.GridProxyClient.ContractBills(ctx, uint32(id), proxytypes.Limit{Size: proxyPageSize, Page: p, RetCount: true})
			if err != nil {
				return nil, translate(err, "read contract bills")
			}
			for _, b := range bills {
				r := grid.BillReport{
					ContractID: id, TwinID: o.twin, NodeID: o.node, FarmID: uint32(o.farm),
					At: time.Unix(int64(b.Timestamp), 0).UTC(), Amount: grid.TFTUnits(b.AmountBilled),
					Discount: grid.DiscountPackage(strings.ToLower(b.DiscountReceived)),
				}
				if r.NodeID != 0 {
					// The grid proxy's bill has no separate extra fee; for
					// a rent the farmer's share is recomputed by the
					// earnings job from the node's extra fee.
					r.FarmerShare = grid.FarmerShare(r.Amount)
				}
				if q.Match(r) {
					out = append(out, r)
				}
			}
			if len(bills) < proxyPageSize || int(p)*proxyPageSize >= int(total) {
				break
			}
		}
	}
	sortBills(out)
	// One page after the cursor.
	page := out[:0]
	for _, r := range out {
		if q.Past(r) && len(page) < q.PageLimit() {
			page = append(page, r)
		}
	}
	return page, nil
}

func sortBills(b []grid.BillReport) {
	slices.SortFunc(b, func(x, y grid.BillReport) int {
		if c := x.At.Compare(y.At); c != 0 {
			return c
		}
		return cmp.Compare(x.ContractID, y.ContractID)
	})
}

// TwinAccountKey returns the 32-byte public key of a twin's account, which
// a node operator proves to hold by signing a challenge. ENOTFOUND for an
// unknown twin.
func (c *Client) TwinAccountKey(_ context.Context, twinID uint32) ([32]byte, error) {
	a, err := c.twinAccount(twinID)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(a), nil
}
