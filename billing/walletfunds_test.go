package billing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

// TestCheckoutRefusedWhenTheWalletCannotPay: without a grid wallet, or with
// one whose TFT do not cover the machine's first month, a new order is
// refused with a clear conflict on "wallet" and nothing is stored or
// charged; once the wallet can pay, the same order goes through.
func TestCheckoutRefusedWhenTheWalletCannotPay(t *testing.T) {
	f := newFixture(t)
	f.connectStripe()
	f.addCard("pm_card_visa")
	if _, err := f.svc.CreateCoupon(f.owner, billing.Coupon{Code: "HALF", PctBPS: 5000}); err != nil {
		t.Fatal(err)
	}
	order := billing.CheckoutInput{QuoteInput: billing.QuoteInput{Size: "small", Coupon: "HALF"}, ClientKey: "wallet-check-1"}
	refused := func(when string) {
		t.Helper()
		_, err := f.svc.Checkout(f.customer, order)
		if fiatdashboard.ErrorCode(err) != fiatdashboard.ECONFLICT || fieldOf(err) != "wallet" ||
			!strings.Contains(err.Error(), "this storefront cannot take new orders right now: its grid wallet cannot pay for the deployment") {
			t.Errorf("%s: checkout = %v, want ECONFLICT on wallet", when, err)
		}
		var orders, redeemed int
		if err := f.d.Owner(t).Get(&orders, `SELECT count(*) FROM orders`); err != nil {
			t.Fatal(err)
		}
		if err := f.d.Owner(t).Get(&redeemed, `SELECT redeemed FROM coupons WHERE code = 'HALF'`); err != nil {
			t.Fatal(err)
		}
		if orders != 0 || redeemed != 0 {
			t.Errorf("%s: %d orders stored, coupon redeemed %d times; want nothing", when, orders, redeemed)
		}
	}
	refused("no wallet")
	twin := f.fundWallet(1 * grid.UnitsPerTFT)
	refused("1 TFT")
	if err := f.sim.Fund(twin, 5000*grid.UnitsPerTFT); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.Checkout(f.customer, order)
	if err != nil || o.Status != billing.OrderPaid {
		t.Fatalf("checkout with a funded wallet = %+v, %v", o, err)
	}
}

func fieldOf(err error) string {
	var e *fiatdashboard.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
