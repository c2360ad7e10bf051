package themes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// ThemeSaver stores a tenant's validated theme (tenant.Service implements it).
type ThemeSaver interface {
	SetTheme(ctx context.Context, theme []byte) error
}

// Service is the tenant admin's branding: tokens, presets, logo and favicon.
type Service struct {
	db    *sqlx.DB
	authz tenant.Authorizer
	saver ThemeSaver

	mu     sync.RWMutex
	assets map[string]Asset // by tenant/kind/hash prefix: immutable under its hash
}

// NewService wires the branding service.
func NewService(db *sqlx.DB, authz tenant.Authorizer, saver ThemeSaver) *Service {
	return &Service{db: db, authz: authz, saver: saver, assets: map[string]Asset{}}
}

// Branding is what the admin branding page edits.
type Branding struct {
	Theme   Theme    `json:"theme"`
	Presets []Preset `json:"presets"`
	Fonts   []string `json:"fonts"`
}

func (s *Service) current(ctx context.Context) (Theme, error) {
	id, _ := tenant.IDFromContext(ctx)
	var raw string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &raw, `SELECT theme::text FROM tenants WHERE id = $1`, id)
	})
	if err != nil {
		return Theme{}, err
	}
	th, err := Parse([]byte(raw))
	if err != nil {
		return Default(), nil // a stored theme that no longer validates starts over from the default
	}
	return th, nil
}

// Branding returns the tenant's theme and the presets (admin/branding read).
func (s *Service) Branding(ctx context.Context) (*Branding, error) {
	if err := s.authz.Require(ctx, "admin/branding", "read"); err != nil {
		return nil, err
	}
	th, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	b := &Branding{Theme: th, Fonts: []string{"inter", "system", "serif", "rounded", "mono"}}
	for _, name := range []string{"indigo", "lagoon", "ember", "midnight", "paper"} {
		b.Presets = append(b.Presets, Presets[name])
	}
	return b, nil
}

// SaveTheme validates and stores the tokens (admin/branding write). The
// logo and favicon stay as uploaded.
func (s *Service) SaveTheme(ctx context.Context, th Theme) (Theme, error) {
	if err := s.authz.Require(ctx, "admin/branding", "write"); err != nil {
		return Theme{}, err
	}
	cur, err := s.current(ctx)
	if err != nil {
		return Theme{}, err
	}
	th.LogoURL, th.FaviconURL = cur.LogoURL, cur.FaviconURL
	if err := th.Validate(); err != nil {
		return Theme{}, err
	}
	raw, _ := json.Marshal(th)
	return th, s.saver.SetTheme(ctx, raw)
}

// Asset is an uploaded image.
type Asset struct {
	ContentType string
	Data        []byte
	SHA256      string
}

// UploadAsset stores a logo or favicon (admin/branding write) and points the
// theme at it. EINVALID on field "file" for an image that is not acceptable.
func (s *Service) UploadAsset(ctx context.Context, kind string, data []byte) (Theme, error) {
	if err := s.authz.Require(ctx, "admin/branding", "write"); err != nil {
		return Theme{}, err
	}
	if kind != "logo" && kind != "favicon" {
		return Theme{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	ctype, err := ValidateImage(data)
	if err != nil {
		return Theme{}, err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	id, _ := tenant.IDFromContext(ctx)
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenant_assets (tenant_id, kind, content_type, data, sha256) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, kind) DO UPDATE SET content_type = EXCLUDED.content_type, data = EXCLUDED.data, sha256 = EXCLUDED.sha256, updated_at = now()`,
			id, kind, ctype, data, hash)
		return err
	})
	if err != nil {
		return Theme{}, err
	}
	th, err := s.current(ctx)
	if err != nil {
		return Theme{}, err
	}
	url := fmt.Sprintf("/branding/%s?v=%s", kind, hash[:12])
	if kind == "logo" {
		th.LogoURL = url
	} else {
		th.FaviconURL = url
	}
	raw, _ := json.Marshal(th)
	return th, s.saver.SetTheme(ctx, raw)
}

// RemoveAsset deletes the logo or favicon (admin/branding write).
func (s *Service) RemoveAsset(ctx context.Context, kind string) (Theme, error) {
	if err := s.authz.Require(ctx, "admin/branding", "write"); err != nil {
		return Theme{}, err
	}
	id, _ := tenant.IDFromContext(ctx)
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM tenant_assets WHERE tenant_id = $1 AND kind = $2`, id, kind)
		return err
	}); err != nil {
		return Theme{}, err
	}
	th, err := s.current(ctx)
	if err != nil {
		return Theme{}, err
	}
	if kind == "logo" {
		th.LogoURL = ""
	} else {
		th.FaviconURL = ""
	}
	raw, _ := json.Marshal(th)
	return th, s.saver.SetTheme(ctx, raw)
}

// Asset returns the tenant's current logo or favicon for serving; public,
// since every visitor of the storefront sees it. Assets are cached in memory
// by content hash (they never change under a hash). ENOTFOUND when none.
func (s *Service) Asset(ctx context.Context, tenantID uuid.UUID, kind, hashPrefix string) (Asset, error) {
	key := tenantID.String() + "/" + kind + "/" + hashPrefix
	s.mu.RLock()
	a, ok := s.assets[key]
	s.mu.RUnlock()
	if ok {
		return a, nil
	}
	err := tenant.InTx(tenant.WithID(ctx, tenantID), s.db, func(tx *tenant.Tx) error {
		return tx.QueryRowxContext(ctx, `SELECT content_type, data, sha256 FROM tenant_assets WHERE tenant_id = $1 AND kind = $2`, tenantID, kind).
			Scan(&a.ContentType, &a.Data, &a.SHA256)
	})
	if tenant.IsNoRows(err) {
		return Asset{}, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	if err != nil {
		return Asset{}, err
	}
	if hashPrefix != "" && len(a.SHA256) >= 12 && a.SHA256[:12] == hashPrefix {
		s.mu.Lock()
		if len(s.assets) > 1000 {
			s.assets = map[string]Asset{}
		}
		s.assets[key] = a
		s.mu.Unlock()
	}
	return a, nil
}
