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
