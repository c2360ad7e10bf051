package billing

import (
	"strconv"
	"strings"
	"time"

	"github.com/fiatdashboard/fiatdashboard"
)

// signatureTime reads the timestamp (t=) of a Stripe-Signature header
// ("t=1492774577,v1=5257a869…,v0=…"; https://docs.stripe.com/webhooks#verify-manually).
// It returns EINVALID when there is none or it is not a Unix time.
func signatureTime(header string) (time.Time, error) {
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k != "t" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > 1<<40 {
			break
		}
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fiatdashboard.Invalid("stripe-signature", "the event's signature has no valid timestamp")
}

// checkSignatureTime refuses a signature stamped further in the future than
// the tolerance: Stripe's library refuses only stale ones, and a signature
// made for later would stay replayable for as long as it is ahead.
func checkSignatureTime(header string, now time.Time) error {
	ts, err := signatureTime(header)
	if err != nil {
		return err
	}
	if ts.Sub(now) > WebhookTolerance {
		return fiatdashboard.Invalid("stripe-signature", "the event's signature is not valid or too old")
	}
	return nil
}
