package stripemock_test

import (
	"net/http"
	"testing"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/fiatdashboard/fiatdashboard/billing/stripemock"
)

// TestStripeGoTalksToStripeMock proves the harness's stripe-mock answers
// stripe-go, and that it validates requests (a bad parameter is refused).
func TestStripeGoTalksToStripeMock(t *testing.T) {
	srv := stripemock.ForTest(t)
	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: stripe.String(srv.URL), HTTPClient: &http.Client{}})
	sc := client.New("sk_test_123", backends)

	c, err := sc.Customers.New(&stripe.CustomerParams{Email: stripe.String("ada@example.com")})
	if err != nil {
		t.Fatalf("create customer on stripe-mock: %v", err)
	}
	if c.ID == "" || c.Object != "customer" {
		t.Errorf("customer = %+v, want an object with an id", c)
	}
	_, err = sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(1000)}) // currency missing
	if err == nil {
		t.Error("stripe-mock accepted a PaymentIntent without currency; want a validation error")
	}
}
