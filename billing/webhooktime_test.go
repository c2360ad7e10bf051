package billing

import (
	"fmt"
	"testing"
	"time"
)

// TestFutureSignaturesAreRefused: a signature stamped beyond the tolerance
// in the future is refused (Stripe's library accepts it), one within it and
// a current one pass, a header without a timestamp is refused.
func TestFutureSignaturesAreRefused(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tt := range []struct {
		header string
		ok     bool
	}{
		{fmt.Sprintf("t=%d,v1=abc", now.Unix()), true},
		{fmt.Sprintf("t=%d,v1=abc", now.Add(WebhookTolerance-time.Second).Unix()), true},
		{fmt.Sprintf("t=%d,v1=abc", now.Add(WebhookTolerance+time.Minute).Unix()), false},
		{fmt.Sprintf("v1=abc, t=%d", now.Add(24*time.Hour).Unix()), false},
		{"v1=abc", false},
		{"t=abc,v1=x", false},
		{"", false},
	} {
		if err := checkSignatureTime(tt.header, now); (err == nil) != tt.ok {
			t.Errorf("%q: err %v, want ok=%v", tt.header, err, tt.ok)
		}
	}
}

// FuzzSignatureTime: any header parses without panicking, and an accepted
// timestamp is what its t= says.
func FuzzSignatureTime(f *testing.F) {
	for _, s := range []string{"t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39", "t=,v1=", "v1=x,t=1", "t=99999999999999999999", ",,,=", "t=1\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		ts, err := signatureTime(header)
		if err == nil && (ts.Unix() <= 0 || ts.Unix() > 1<<40) {
			t.Errorf("%q: accepted an out-of-range timestamp %v", header, ts)
		}
		_ = checkSignatureTime(header, time.Now())
	})
}
