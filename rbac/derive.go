package rbac

import "encoding/base64"

// DeriveSecret returns a secret for purpose derived from the newest key
// (HKDF-SHA256): every process configured with the same keys derives the
// same secret, and no configured key serves two purposes directly. Used for
// the mock Stripe webhook signing secret, which the emitter (any process)
// and the webhook endpoint (serve) must share.
func (kr *Keyring) DeriveSecret(purpose string) string {
	return base64.RawURLEncoding.EncodeToString(kr.current().derive(purpose))
}
