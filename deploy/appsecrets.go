package deploy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// appSealPurpose separates apps' secrets from every other sealed secret.
const appSealPurpose = "app"

// Credential is one secret of an app shown to its customer once (an admin
// password, LiveKit's API key and secret).
type Credential struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// appSecrets are an app's secrets, sealed as one value
// (deployments.app_secret_enc): Shown are the customer's credentials; the
// rest the app needs and nobody is shown.
type appSecrets struct {
	Shown    []Credential `json:"shown"`
	K3sToken string       `json:"k3s_token,omitempty"` // the cluster secret of a Kubernetes app
	WebUIKey string       `json:"webui_key,omitempty"` // Open WebUI's session-signing key
}

const alnum = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// randomString draws n characters of alnum from crypto/rand.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		if err != nil {
			return "", err
		}
		b[i] = alnum[k.Int64()]
	}
	return string(b), nil
}

// showsCredentials reports whether an app has credentials for its
// customer. Nextcloud has none of ours: its All-in-One image creates the
// admin account in its own setup page (the TF dashboard's "Nextcloud
// Setup" link, <domain>/aio), which shows the password there.
func showsCredentials(app string) bool { return app == AppLiveKit }

// newAppSecrets draws an app's secrets at random.
func newAppSecrets(app string) (*appSecrets, error) {
	var sec appSecrets
	var err error
	draw := func(n int) string {
		var v string
		if err == nil {
			v, err = randomString(n)
		}
		return v
	}
	switch app {
	case AppLiveKit:
		sec.Shown = []Credential{{Label: "API key", Value: "API" + draw(12)}, {Label: "API secret", Value: draw(40)}}
	case AppKubernetes:
		sec.K3sToken = draw(15) // grid-client ValidateToken: 6 to 15 letters or digits
	case AppOpenWebUI:
		sec.WebUIKey = draw(48)
	}
	return &sec, err
}

// secretsOf returns the deployment's app secrets. The first call draws
// them and stores them sealed; later calls (a retried provision) open the
// stored ones, so every attempt deploys the same secrets. Never logged.
func (s *Service) secretsOf(ctx context.Context, d *Deployment) (*appSecrets, error) {
	if s.sealer == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: no keyring to seal app secrets")
	}
	fresh, err := newAppSecrets(d.App)
	if err != nil {
		return nil, err
	}
	plain, _ := json.Marshal(fresh)
	sealed, err := s.sealer.Seal(appSealPurpose, plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	var stored string
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		// A concurrent or earlier attempt that stored its secrets wins.
		if _, err := tx.ExecContext(ctx, `UPDATE deployments SET app_secret_enc = $2 WHERE id = $1 AND app_secret_enc IS NULL`, d.ID, sealed); err != nil {
			return err
		}
		return tx.GetContext(ctx, &stored, `SELECT app_secret_enc FROM deployments WHERE id = $1`, d.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("app secrets of %s: %w", d.ID, err)
	}
	return s.openSecrets(d.ID, stored)
}

func (s *Service) openSecrets(id uuid.UUID, sealed string) (*appSecrets, error) {
	b, err := s.sealer.Open(appSealPurpose, sealed)
	if err != nil {
		return nil, fmt.Errorf("open the app secrets of %s: %w", id, err)
	}
	defer clear(b)
	var sec appSecrets
	if err := json.Unmarshal(b, &sec); err != nil {
		return nil, fmt.Errorf("app secrets of %s: %w", id, err)
	}
	return &sec, nil
}

// Credentials returns the app's credentials to its customer, the first
// time only (store/deployments write): the deployment remembers it showed
// them. ENOTFOUND for another's deployment; ECONFLICT on field
// credentials when they were shown already, the app has none, or it is not
// running yet.
func (s *Service) Credentials(ctx context.Context, id uuid.UUID) ([]Credential, error) {
	if err := s.authz.Require(ctx, "store/deployments", "write"); err != nil {
		return nil, err
	}
	if s.sealer == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "deployments: no keyring to open app secrets")
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var out []Credential
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var row struct {
			Status string     `db:"status"`
			Sealed *string    `db:"app_secret_enc"`
			Shown  *time.Time `db:"credentials_shown_at"`
		}
		if err := tx.GetContext(ctx, &row, `SELECT status, app_secret_enc, credentials_shown_at FROM deployments
			WHERE id = $1 AND account_id = $2 FOR UPDATE`, id, actor.ID); err != nil {
			return err
		}
		conflict := func(msg string) error {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "credentials", Message: msg}
		}
		switch {
		case row.Shown != nil:
			return conflict("the credentials were shown once, on " + row.Shown.UTC().Format("2 Jan 2006 15:04 MST") + "; they are never shown again")
		case row.Status != Running && row.Status != Suspended:
			return conflict("the credentials are shown once the app is running")
		case row.Sealed == nil:
			return conflict("this app has no credentials to show")
		}
		sec, err := s.openSecrets(id, *row.Sealed)
		if err != nil {
			return err
		}
		if len(sec.Shown) == 0 {
			return conflict("this app has no credentials to show")
		}
		out = sec.Shown
		_, err = tx.ExecContext(ctx, `UPDATE deployments SET credentials_shown_at = now() WHERE id = $1`, id)
		return err
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "deployment not found")
	}
	return out, err
}
