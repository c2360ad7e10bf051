package rbac

import (
	"context"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ConfirmSecondFactor asks the signed-in person for two-factor again before a
// sensitive change (replacing a wallet): code must be a current TOTP code of
// the actor's account (each code works once) or an unused recovery code.
// Failures count towards the sign-in brute-force limit. Returns EINVALID on
// field when the code is missing or wrong, EFORBIDDEN on "mfa" when the
// account has no two-factor set up, EUNAUTHORIZED without a signed-in actor.
func (s *Service) ConfirmSecondFactor(ctx context.Context, field, code string) error {
	if strings.TrimSpace(code) == "" {
		return fiatdashboard.Invalid(field, "enter the 6-digit code from your authenticator app to confirm")
	}
	var a *Account
	var actor tenant.Actor
	var ok bool
	err := s.realmTx(ctx, "confirm second factor", func(tx *tenant.Tx) error {
		var err error
		if a, actor, err = s.actorAccount(ctx, tx); err != nil {
			return err
		}
		if a.TOTPEnabledAt == nil {
			return &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "mfa", Message: "set up two-factor authentication first"}
		}
		if err := s.limiter.Check(ctx, realmKey(ctx), a.Email, actor.IP); err != nil {
			return err
		}
		ok, err = s.checkSecondFactor(ctx, tx, a, code)
		return err
	})
	if err != nil {
		return err
	}
	if !ok {
		s.limiter.Fail(ctx, realmKey(ctx), a.Email, actor.IP)
		s.audit(ctx, actor, "auth.mfa_failed", a.Email, map[string]any{"step_up": field})
		return fiatdashboard.Invalid(field, "that code is not right; check your authenticator app's clock, or use a recovery code")
	}
	return nil
}
