package rbac

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// AccessTTL is the life of an access token. Short, because it is checked
// without the database; revocation reaches it through the session denylist.
const AccessTTL = 10 * time.Minute

// mfaTTL is how long the password step of a two-factor login stays valid.
const mfaTTL = 5 * time.Minute

// AccessClaims are what an access token says.
type AccessClaims struct {
	jwt.RegisteredClaims
	Realm     string    `json:"realm"` // tenant id, or "platform"
	SessionID uuid.UUID `json:"sid"`
	Email     string    `json:"email"`
	MFA       bool      `json:"mfa"`
	Purpose   string    `json:"pur"` // "access" or "mfa"
}

func (kr *Keyring) sign(c AccessClaims, ttl time.Duration, now time.Time) (string, error) {
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	c.Issuer = "fiatdashboard"
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	k := kr.current()
	tok.Header["kid"] = k.id
	return tok.SignedString(k.derive("jwt"))
}

// parse verifies a token signed by any key in the ring, for the purpose and
// realm given, and returns its claims.
func (kr *Keyring) parse(token, purpose, realm string, now time.Time) (*AccessClaims, error) {
	var c AccessClaims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := kr.byID(kid)
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return k.derive("jwt"), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("fiatdashboard"), jwt.WithTimeFunc(func() time.Time { return now }),
		// A token without exp would never expire: refused.
		jwt.WithExpirationRequired())
	if err != nil {
		return nil, err
	}
	if c.Purpose != purpose {
		return nil, errors.New("token is for another purpose")
	}
	if c.Realm != realm {
		return nil, errors.New("token is for another realm")
	}
	return &c, nil
}

func jwtSubject(id uuid.UUID) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{Subject: id.String()}
}
