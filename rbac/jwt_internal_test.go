package rbac

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// TestTokensWithoutExpiryAreRefused: a correctly signed access token that
// carries no exp claim would never expire; it is refused, while the same
// token with exp passes.
func TestTokensWithoutExpiryAreRefused(t *testing.T) {
	kr, err := ParseKeyring("k1:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	realm := uuid.NewString()
	claims := AccessClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: uuid.NewString(), Issuer: "fiatdashboard", IssuedAt: jwt.NewNumericDate(now)},
		Realm: realm, Purpose: "access"}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = "k1"
	noExp, err := tok.SignedString(kr.current().derive("jwt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.parse(noExp, "access", realm, now); err == nil {
		t.Error("a token without exp was accepted")
	}
	withExp, err := kr.sign(claims, time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.parse(withExp, "access", realm, now); err != nil {
		t.Errorf("a token with exp was refused: %v", err)
	}
}
