package rbac

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Keyring holds the platform's secret keys, newest first. The first key signs
// and encrypts; every key verifies and decrypts, so keys rotate by adding a
// new one in front and dropping the old one once its tokens have expired.
type Keyring struct {
	keys []namedKey
}

type namedKey struct {
	id     string
	secret []byte
}

// ParseKeyring reads "kid:base64,kid2:base64" (each key ≥ 32 bytes).
func ParseKeyring(s string) (*Keyring, error) {
	var kr Keyring
	for _, part := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || strings.ContainsAny(id, ".:$ ") {
			return nil, errors.New("each key must be kid:base64")
		}
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(secret) < 32 {
			return nil, errors.New("each key must be at least 32 bytes, base64-encoded")
		}
		kr.keys = append(kr.keys, namedKey{id: id, secret: secret})
	}
	return &kr, nil
}

// derive returns the purpose-specific subkey of k, so one configured secret
// never serves two purposes directly.
func (k namedKey) derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.secret, nil, "fiatdashboard "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce
	}
	return out
}

func (kr *Keyring) current() namedKey { return kr.keys[0] }

func (kr *Keyring) byID(id string) (namedKey, bool) {
	for _, k := range kr.keys {
		if k.id == id {
			return k, true
		}
	}
	return namedKey{}, false
}

// Seal encrypts plaintext for storage: "kid$base64(nonce|ciphertext)".
func (kr *Keyring) Seal(purpose string, plaintext []byte) (string, error) {
	k := kr.current()
	aead, err := newAEAD(k.derive(purpose))
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	ct := aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return k.id + "$" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// SealFor seals plaintext bound to one tenant: the tenant id joins the
// purpose in the key derivation and the additional data, so a sealed value
// copied into another tenant's row does not open there.
func (kr *Keyring) SealFor(purpose string, tenantID uuid.UUID, plaintext []byte) (string, error) {
	return kr.Seal(boundPurpose(purpose, tenantID), plaintext)
}

// OpenFor opens what SealFor sealed for this tenant. A value sealed before
// values were bound to tenants (plain Seal with the same purpose) still
// opens, until `fiatdashboard keys rotate` re-seals it bound.
func (kr *Keyring) OpenFor(purpose string, tenantID uuid.UUID, sealed string) ([]byte, error) {
	b, err := kr.Open(boundPurpose(purpose, tenantID), sealed)
	if err == nil {
		return b, nil
	}
	if legacy, lerr := kr.Open(purpose, sealed); lerr == nil {
		return legacy, nil
	}
	return nil, err
}

func boundPurpose(purpose string, tenantID uuid.UUID) string {
	return purpose + "\x00tenant:" + tenantID.String()
}

// Open decrypts what Seal produced with any key still in the ring.
func (kr *Keyring) Open(purpose, sealed string) ([]byte, error) {
	id, b64, ok := strings.Cut(sealed, "$")
	if !ok {
		return nil, errors.New("sealed value is malformed")
	}
	k, ok := kr.byID(id)
	if !ok {
		return nil, fmt.Errorf("sealed with key %q, which is no longer configured", id)
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("sealed value is malformed")
	}
	aead, err := newAEAD(k.derive(purpose))
	if err != nil {
		return nil, err
	}
	if len(ct) < aead.NonceSize() {
		return nil, errors.New("sealed value is malformed")
	}
	return aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(purpose))
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// newToken returns a random token with a readable prefix and its SHA-256
// hash; only the hash is stored.
func newToken(prefix string) (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
