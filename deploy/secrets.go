package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Sealer seals and opens secrets with the platform's master keyring
// (rbac.Keyring, FD_MASTER_KEY): the newest key seals, every key opens.
type Sealer interface {
	Seal(purpose string, plaintext []byte) (string, error)
	Open(purpose, sealed string) ([]byte, error)
}

// sealPurpose separates QSFS secrets from every other sealed secret.
const sealPurpose = "qsfs"

// qsfsSecrets returns the deployment's zdb password and QSFS encryption
// key. The first call draws them at random (16 and 32 bytes from
// crypto/rand) and stores them sealed; later calls, a retried provision
// among them, open the stored ones, so every attempt asks the grid for the
// same QSFS. They are never logged nor returned by the API.
func (s *Service) qsfsSecrets(ctx context.Context, id uuid.UUID) (password, key string, err error) {
	if s.sealer == nil {
		return "", "", fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: no keyring to seal QSFS secrets")
	}
	var pw, k [32]byte
	if _, err := rand.Read(pw[:16]); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(k[:]); err != nil {
		return "", "", err
	}
	pwSealed, err := s.sealer.Seal(sealPurpose, []byte(hex.EncodeToString(pw[:16])))
	if err != nil {
		return "", "", err
	}
	kSealed, err := s.sealer.Seal(sealPurpose, []byte(hex.EncodeToString(k[:])))
	if err != nil {
		return "", "", err
	}
	tid, _ := tenant.IDFromContext(ctx)
	var row struct {
		P string `db:"zdb_password_enc"`
		K string `db:"encrypt_key_enc"`
	}
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		// A concurrent or earlier attempt that stored its secrets wins.
		if _, err := tx.ExecContext(ctx, `INSERT INTO deployment_secrets (tenant_id, deployment_id, zdb_password_enc, encrypt_key_enc)
			VALUES ($1, $2, $3, $4) ON CONFLICT (deployment_id) DO NOTHING`, tid, id, pwSealed, kSealed); err != nil {
			return err
		}
		return tx.GetContext(ctx, &row, `SELECT zdb_password_enc, encrypt_key_enc FROM deployment_secrets WHERE deployment_id = $1`, id)
	})
	if err != nil {
		return "", "", fmt.Errorf("QSFS secrets of %s: %w", id, err)
	}
	p, err := s.sealer.Open(sealPurpose, row.P)
	if err != nil {
		return "", "", fmt.Errorf("open the QSFS secrets of %s: %w", id, err)
	}
	kk, err := s.sealer.Open(sealPurpose, row.K)
	if err != nil {
		return "", "", fmt.Errorf("open the QSFS secrets of %s: %w", id, err)
	}
	return string(p), string(kk), nil
}

// RotateSecrets re-seals every deployment's QSFS secrets and apps'
// credentials with the keyring's newest key (`fiatdashboard keys rotate`);
// it returns how many secrets it re-sealed.
func (s *Service) RotateSecrets(ctx context.Context) (int, error) {
	if s.sealer == nil {
		return 0, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: no keyring to seal QSFS secrets")
	}
	n := 0
	err := tenant.SystemTx(ctx, s.db, "keys rotate: QSFS secrets", func(tx *tenant.Tx) error {
		var rows []struct {
			ID uuid.UUID `db:"deployment_id"`
			P  string    `db:"zdb_password_enc"`
			K  string    `db:"encrypt_key_enc"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT deployment_id, zdb_password_enc, encrypt_key_enc FROM deployment_secrets FOR UPDATE`); err != nil {
			return err
		}
		for _, r := range rows {
			var resealed [2]string
			for i, sealed := range []string{r.P, r.K} {
				plain, err := s.sealer.Open(sealPurpose, sealed)
				if err != nil {
					return fmt.Errorf("QSFS secrets of %s: %w", r.ID, err)
				}
				if resealed[i], err = s.sealer.Seal(sealPurpose, plain); err != nil {
					return err
				}
				clear(plain)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE deployment_secrets SET zdb_password_enc = $2, encrypt_key_enc = $3 WHERE deployment_id = $1`,
				r.ID, resealed[0], resealed[1]); err != nil {
				return err
			}
			n++
		}
		// Apps' credentials (appsecrets.go), sealed for purpose "app".
		var apps []struct {
			ID     uuid.UUID `db:"id"`
			Sealed string    `db:"app_secret_enc"`
		}
		if err := tx.SelectContext(ctx, &apps, `SELECT id, app_secret_enc FROM deployments WHERE app_secret_enc IS NOT NULL FOR UPDATE`); err != nil {
			return err
		}
		for _, a := range apps {
			plain, err := s.sealer.Open(appSealPurpose, a.Sealed)
			if err != nil {
				return fmt.Errorf("app secrets of %s: %w", a.ID, err)
			}
			resealed, err := s.sealer.Seal(appSealPurpose, plain)
			clear(plain)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE deployments SET app_secret_enc = $2 WHERE id = $1`, a.ID, resealed); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
