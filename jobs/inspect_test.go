package jobs_test

import (
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard/jobs"
)

// TestRedactErrorHidesSecrets proves a task error shown on the console
// keeps its meaning but not the secrets a handler may have quoted.
func TestRedactErrorHidesSecrets(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"card declined (key sk_test_51AbC)", "card declined (key [redacted])"},
		{"webhook whsec_abc_123 rejected", "webhook [redacted] rejected"},
		{"dial redis://user:hunter2@10.0.0.1:6379: refused", "dial redis://[redacted]@10.0.0.1:6379: refused"},
		{"Authorization: Bearer eyJhbGciOi.x.y failed", "Authorization: [redacted] failed"},
		{"mnemonic=abandon token: fdr_xyz password=\"a b\"", "mnemonic=[redacted] token: [redacted] password=[redacted]"},
		{"stellar SBZVMB74Z76QZ3ZOY7UTDFYKMEGKW5XFJEB6PFKBF4UYSSWHG4EDH7PY bad", "stellar [redacted] bad"},
		{"node 42 is down", "node 42 is down"},
	} {
		if got := jobs.RedactError(c.in); got != c.want {
			t.Errorf("RedactError(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := jobs.RedactError(strings.Repeat("é", 400))
	if len(long) > 504 || !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "éé") {
		t.Errorf("a long error is not cut to about 500 bytes on a rune boundary: %d bytes", len(long))
	}
}
