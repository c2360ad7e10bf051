package tenant

import (
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// EmailPrefix turns a search box's text into a LIKE pattern matching the
// e-mail addresses that start with it ("" when there is nothing to search
// for). EINVALID on field "q" when it is too long to be part of an e-mail.
func EmailPrefix(q string) (string, error) {
	q = strings.ToLower(strings.TrimSpace(q))
	if len(q) > 254 {
		return "", fiatdashboard.Invalid("q", "search for at most 254 characters of an e-mail address")
	}
	if q == "" {
		return "", nil
	}
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%", nil
}

// EmailStart is the search box's text as the prefix for `email ^@ $n`
// ("" when there is nothing to search for). Unlike LIKE, PostgreSQL's ^@
// (starts_with) is leakproof, so under row-level security the planner may
// use it as an index condition on (tenant_id, email text_pattern_ops): a
// search reads the matching rows only, not every account of the tenant.
// EINVALID on field "q" when it is too long to be part of an e-mail.
func EmailStart(q string) (string, error) {
	q = strings.ToLower(strings.TrimSpace(q))
	if len(q) > 254 {
		return "", fiatdashboard.Invalid("q", "search for at most 254 characters of an e-mail address")
	}
	return q, nil
}
