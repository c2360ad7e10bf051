package rbac

import (
	_ "embed"
	"strings"
	"unicode/utf8"

	"github.com/fiatdashboard/fiatdashboard"
)

// MinPasswordLength follows NIST SP 800-63B's advice: length over complexity rules.
const MinPasswordLength = 12

//go:embed common-passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(commonPasswordsText) {
		m[w] = true
	}
	return m
}()

// CheckPassword returns EINVALID naming field unless password is long enough
// and not one of the common passwords shipped with the code.
func CheckPassword(field, password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return fiatdashboard.Invalid(field, "password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 256 {
		return fiatdashboard.Invalid(field, "password must be at most 256 characters")
	}
	if commonPasswords[strings.ToLower(password)] {
		return fiatdashboard.Invalid(field, "this password is too common; choose another")
	}
	return nil
}
