package deploy

import (
	"context"
	"crypto/rsa"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// SSHKey is a public key a customer saved to reuse on new servers.
type SSHKey struct {
	ID          uuid.UUID `db:"id" json:"id"`
	Name        string    `db:"name" json:"name"`
	PublicKey   string    `db:"public_key" json:"public_key"`
	KeyType     string    `db:"key_type" json:"key_type"`
	Bits        int       `db:"bits" json:"bits"`
	Fingerprint string    `db:"fingerprint" json:"fingerprint"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

const sshKeyColumns = `id, name, public_key, key_type, bits, fingerprint, created_at`

// MaxSSHKeys is how many keys one account may save; the list is never
// longer, so it is not paged.
const MaxSSHKeys = 50

// ParsedSSHKey is a validated public key in authorized_keys form.
type ParsedSSHKey struct {
	Line        string // "type base64 comment", normalized
	Type        string // ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256 …
	Bits        int    // RSA modulus or ECDSA curve size; 256 for ed25519
	Fingerprint string // SHA256:… as ssh-keygen -l prints it
	Comment     string
}

// keyTypes are the keys a server accepts: ed25519, RSA (2048 bits or
// more) and ECDSA on the NIST curves, and their security-key (FIDO) forms.
var keyTypes = map[string]int{
	ssh.KeyAlgoED25519:    256,
	ssh.KeyAlgoSKED25519:  256,
	ssh.KeyAlgoRSA:        0,
	ssh.KeyAlgoECDSA256:   256,
	ssh.KeyAlgoSKECDSA256: 256,
	ssh.KeyAlgoECDSA384:   384,
	ssh.KeyAlgoECDSA521:   521,
}

// ParseSSHKey validates one OpenSSH public key line; field names the input
// in the EINVALID error.
func ParseSSHKey(field, value string) (ParsedSSHKey, error) {
	value = strings.TrimSpace(value)
	bad := func(format string, args ...any) (ParsedSSHKey, error) {
		return ParsedSSHKey{}, fiatdashboard.Invalid(field, format, args...)
	}
	switch {
	case value == "":
		return bad("paste your SSH public key, e.g. ssh-ed25519 AAAA… you@laptop")
	case strings.Contains(value, "PRIVATE KEY"):
		return bad("this is a private key: paste the public one (the .pub file), and keep the private key to yourself")
	case strings.ContainsAny(value, "\r\n"):
		return bad("paste one SSH public key, on one line")
	case len(value) > 16<<10:
		return bad("this is too long for an SSH public key")
	}
	pk, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(value))
	if err != nil || len(strings.TrimSpace(string(rest))) > 0 || len(options) > 0 {
		return bad("paste one SSH public key, e.g. ssh-ed25519 AAAA… you@laptop")
	}
	bits, ok := keyTypes[pk.Type()]
	if !ok {
		return bad("%s keys are not accepted: use an ed25519, RSA (2048 bits or more) or ECDSA key", pk.Type())
	}
	if pk.Type() == ssh.KeyAlgoRSA {
		cpk, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			return bad("this RSA key cannot be read")
		}
		rk, ok := cpk.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return bad("this RSA key cannot be read")
		}
		if bits = rk.N.BitLen(); bits < 2048 {
			return bad("this RSA key has %d bits; use one of 2048 bits or more (or an ed25519 key)", bits)
		}
	}
	comment = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, strings.TrimSpace(comment))
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
	if comment != "" {
		line += " " + comment
	}
	return ParsedSSHKey{Line: line, Type: pk.Type(), Bits: bits, Fingerprint: ssh.FingerprintSHA256(pk), Comment: comment}, nil
}

// SSHKeyInput saves a key.
type SSHKeyInput struct {
	Name      string `json:"name"`
	PublicKey string `json:"public_key"`
}

// SSHKeys returns the customer's saved keys, newest first (store/ssh_keys read).
func (s *Service) SSHKeys(ctx context.Context) ([]SSHKey, error) {
	if err := s.authz.Require(ctx, "store/ssh_keys", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	out := []SSHKey{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+sshKeyColumns+` FROM ssh_keys WHERE account_id = $1 ORDER BY created_at DESC LIMIT $2`, actor.ID, MaxSSHKeys)
	})
	return out, err
}

// SaveSSHKey validates and saves a key under a name of the customer's
// (store/ssh_keys write). Names and keys are unique per account: EINVALID
// on "name" or "public_key" otherwise.
func (s *Service) SaveSSHKey(ctx context.Context, in SSHKeyInput) (*SSHKey, error) {
	if err := s.authz.Require(ctx, "store/ssh_keys", "write"); err != nil {
		return nil, err
	}
	k, err := ParseSSHKey("public_key", in.PublicKey)
	if err != nil {
		return nil, err
	}
	return s.saveSSHKey(ctx, "name", "public_key", in.Name, k)
}

func (s *Service) saveSSHKey(ctx context.Context, nameField, keyField, name string, k ParsedSSHKey) (*SSHKey, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 64 || strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return nil, fiatdashboard.Invalid(nameField, "name the key in 1 to 64 characters, e.g. laptop")
	}
	actor, _ := tenant.ActorFromContext(ctx)
	tid, _ := tenant.IDFromContext(ctx)
	var out SSHKey
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var clash struct {
			Name        string `db:"name"`
			Fingerprint string `db:"fingerprint"`
		}
		err := tx.GetContext(ctx, &clash, `SELECT name, fingerprint FROM ssh_keys WHERE account_id = $1 AND (name = $2 OR fingerprint = $3)
			ORDER BY fingerprint = $3 DESC LIMIT 1`, actor.ID, name, k.Fingerprint)
		switch {
		case err == nil && clash.Fingerprint == k.Fingerprint:
			return fiatdashboard.Invalid(keyField, "this key is saved already, as %q", clash.Name)
		case err == nil:
			return fiatdashboard.Invalid(nameField, "you already have a key called %q", name)
		case !tenant.IsNoRows(err):
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM ssh_keys WHERE account_id = $1`, actor.ID); err != nil {
			return err
		}
		if n >= MaxSSHKeys {
			return fiatdashboard.Invalid(keyField, "you have %d saved keys, the most there may be; delete one first", n)
		}
		return tx.GetContext(ctx, &out, `INSERT INTO ssh_keys (tenant_id, account_id, name, public_key, key_type, bits, fingerprint)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+sshKeyColumns, tid, actor.ID, name, k.Line, k.Type, k.Bits, k.Fingerprint)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteSSHKey removes one of the customer's keys (store/ssh_keys write);
// servers that have it keep it. ENOTFOUND if it is not theirs.
func (s *Service) DeleteSSHKey(ctx context.Context, id uuid.UUID) error {
	if err := s.authz.Require(ctx, "store/ssh_keys", "write"); err != nil {
		return err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ssh_keys WHERE id = $1 AND account_id = $2`, id, actor.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "SSH key not found")
		}
		return nil
	})
}

// savedSSHKey returns one of the customer's keys; EINVALID on field if it
// is not theirs.
func (s *Service) savedSSHKey(ctx context.Context, field string, id uuid.UUID) (*SSHKey, error) {
	actor, _ := tenant.ActorFromContext(ctx)
	var k SSHKey
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &k, `SELECT `+sshKeyColumns+` FROM ssh_keys WHERE id = $1 AND account_id = $2`, id, actor.ID)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Invalid(field, "pick one of your saved keys, or paste a new one")
	}
	return &k, err
}

// keepSSHKey saves a key pasted in the deploy form ("save this key"),
// named name or else after its comment; a key saved already stays as it is.
func (s *Service) keepSSHKey(ctx context.Context, line, name string) error {
	k, err := ParseSSHKey("ssh_key", line)
	if err != nil {
		return err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var saved bool
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &saved, `SELECT EXISTS (SELECT 1 FROM ssh_keys WHERE account_id = $1 AND fingerprint = $2)`, actor.ID, k.Fingerprint)
	}); err != nil || saved {
		return err
	}
	if name = strings.TrimSpace(name); name == "" {
		name = k.Comment
	}
	if name == "" {
		name = "key " + strings.TrimPrefix(k.Fingerprint, "SHA256:")[:8]
	}
	_, err = s.saveSSHKey(ctx, "ssh_key_name", "ssh_key", name, k)
	return err
}
