package tenant

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
)

// DNSResolver looks up TXT records. Production uses *net.Resolver; tests a
// table of records.
type DNSResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

var _ DNSResolver = (*net.Resolver)(nil)

// Domain is a tenant's custom domain and what proves it.
type Domain struct {
	ID            uuid.UUID  `db:"id" json:"id"`
	TenantID      uuid.UUID  `db:"tenant_id" json:"-"`
	Domain        string     `db:"domain" json:"domain"`
	TXTToken      string     `db:"txt_token" json:"-"`
	Status        string     `db:"status" json:"status"`
	VerifiedAt    *time.Time `db:"verified_at" json:"verified_at"`
	LastCheckedAt *time.Time `db:"last_checked_at" json:"last_checked_at"`
	LastError     string     `db:"last_error" json:"last_error"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	// The records to create at the DNS provider.
	TXTName     string `db:"-" json:"txt_name"`
	TXTValue    string `db:"-" json:"txt_value"`
	CNAMETarget string `db:"-" json:"cname_target"`
	// TenantName is filled for the console's overview.
	TenantName *string `db:"tenant_name" json:"tenant,omitempty"`
}

const domainColumns = `id, tenant_id, domain, txt_token, status, verified_at, last_checked_at, last_error, created_at`

// TXTPrefix names the record that proves control of a domain.
const TXTPrefix = "_fiatdashboard."

var domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

func validDomain(d string) bool {
	return len(d) <= 253 && domainPattern.MatchString(d)
}

func (s *Service) describe(d *Domain, slug string) {
	d.TXTName = TXTPrefix + d.Domain
	d.TXTValue = "fiatdashboard-verify=" + d.TXTToken
	d.CNAMETarget = slug + "." + s.resolver.BaseDomain()
}

// Domains lists the tenant's custom domains with their DNS records (admin/domains read).
func (s *Service) Domains(ctx context.Context) ([]Domain, error) {
	if err := s.authz.Require(ctx, "admin/domains", "read"); err != nil {
		return nil, err
	}
	var out []Domain
	var slug string
	err := InTx(ctx, s.db, func(tx *Tx) error {
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = current_setting('app.tenant_id')::uuid`); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &out, `SELECT `+domainColumns+` FROM tenant_domains ORDER BY domain LIMIT 100`)
	})
	for i := range out {
		s.describe(&out[i], slug)
	}
	return out, err
}

// AddDomain registers a custom domain for the tenant, pending verification
// (admin/domains write). EINVALID for a malformed domain or one of the
// platform's own; ECONFLICT when any tenant already has it.
func (s *Service) AddDomain(ctx context.Context, domain string) (*Domain, error) {
	if err := s.authz.Require(ctx, "admin/domains", "write"); err != nil {
		return nil, err
	}
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if !validDomain(domain) {
		return nil, fiatdashboard.Invalid("domain", "enter a domain name such as cloud.example.com")
	}
	base := s.resolver.BaseDomain()
	if domain == base || strings.HasSuffix(domain, "."+base) || domain == s.resolver.ConsoleHost() {
		return nil, fiatdashboard.Invalid("domain", "%s is served by the platform already", domain)
	}
	b := make([]byte, 16)
	rand.Read(b)
	id, _ := IDFromContext(ctx)
	// The one lookup across tenants: a domain another storefront has
	// verified is taken. A pending claim elsewhere blocks nobody.
	var verified bool
	if err := SystemTx(ctx, s.db, "domains: is it verified elsewhere", func(tx *Tx) error {
		return tx.GetContext(ctx, &verified, `SELECT EXISTS (SELECT 1 FROM tenant_domains WHERE domain = $1 AND status = 'verified' AND tenant_id <> $2)`, domain, id)
	}); err != nil {
		return nil, err
	}
	if verified {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "domain", Message: "this domain is verified by another storefront"}
	}
	var d Domain
	var slug string
	err := InTx(ctx, s.db, func(tx *Tx) error {
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = $1`, id); err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM tenant_domains`); err != nil {
			return err
		}
		if n >= 20 {
			return fiatdashboard.Invalid("domain", "a storefront can have at most 20 custom domains")
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT add_domain`); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &d, `INSERT INTO tenant_domains (tenant_id, domain, txt_token) VALUES ($1, $2, $3) RETURNING `+domainColumns, id, domain, hex.EncodeToString(b))
		if isUnique(err) {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "domain", Message: "you have added this domain already"}
		}
		if err != nil {
			return err
		}
		return Audit(ctx, tx, id, "domain.added", domain, nil)
	})
	if err != nil {
		return nil, err
	}
	s.describe(&d, slug)
	return &d, nil
}

// VerifyDomain checks the TXT record now (admin/domains write) and returns
// the domain with its new status; a failed check is not an error, it is
// reported in LastError.
func (s *Service) VerifyDomain(ctx context.Context, id uuid.UUID) (*Domain, error) {
	if err := s.authz.Require(ctx, "admin/domains", "write"); err != nil {
		return nil, err
	}
	var d Domain
	var slug string
	err := InTx(ctx, s.db, func(tx *Tx) error {
		err := tx.GetContext(ctx, &d, `SELECT `+domainColumns+` FROM tenant_domains WHERE id = $1`, id)
		if IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "domain not found")
		}
		if err != nil {
			return err
		}
		return tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = $1`, d.TenantID)
	})
	if err != nil {
		return nil, err
	}
	if err := s.check(ctx, &d); err != nil {
		return nil, err
	}
	s.describe(&d, slug)
	return &d, nil
}

// check looks the TXT record up and stores the outcome.
func (s *Service) check(ctx context.Context, d *Domain) error {
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	records, lerr := s.dns.LookupTXT(lctx, TXTPrefix+d.Domain)
	cancel()
	want := "fiatdashboard-verify=" + d.TXTToken
	ok := lerr == nil && slices.Contains(records, want)
	d.LastError = ""
	switch {
	case ok:
	case lerr != nil:
		d.LastError = fmt.Sprintf("no TXT record found at %s%s yet (DNS changes can take a while)", TXTPrefix, d.Domain)
	default:
		d.LastError = fmt.Sprintf("the TXT record at %s%s does not contain %s", TXTPrefix, d.Domain, want)
	}
	was := d.Status
	tctx := WithID(ctx, d.TenantID)
	err := InTx(tctx, s.db, func(tx *Tx) error {
		q := `UPDATE tenant_domains SET last_checked_at = now(), last_error = $2 WHERE id = $1 RETURNING ` + domainColumns
		if ok {
			q = `UPDATE tenant_domains SET last_checked_at = now(), last_error = $2, status = 'verified', verified_at = coalesce(verified_at, now()) WHERE id = $1 RETURNING ` + domainColumns
		}
		if _, err := tx.ExecContext(tctx, `SAVEPOINT check_domain`); err != nil {
			return err
		}
		err := tx.GetContext(tctx, d, q, d.ID, d.LastError)
		if ok && isUnique(err) {
			// Another storefront verified it first: this claim stays pending.
			ok = false
			d.LastError = "another storefront has verified this domain"
			if _, err := tx.ExecContext(tctx, `ROLLBACK TO SAVEPOINT check_domain`); err != nil {
				return err
			}
			err = tx.GetContext(tctx, d, `UPDATE tenant_domains SET last_checked_at = now(), last_error = $2 WHERE id = $1 RETURNING `+domainColumns, d.ID, d.LastError)
		}
		if err != nil {
			return err
		}
		if ok && was != "verified" {
			return Audit(tctx, tx, d.TenantID, "domain.verified", d.Domain, nil)
		}
		return nil
	})
	if err == nil && ok && was != "verified" {
		s.changes.DomainChanged(ctx, d.Domain)
	}
	return err
}

// VerifyPendingDomains re-checks the pending domains least recently checked
// (the periodic job); it returns how many it checked and how many verified.
func (s *Service) VerifyPendingDomains(ctx context.Context, limit int) (checked, verified int, err error) {
	var pending []Domain
	err = SystemTx(ctx, s.db, "job: verify pending domains", func(tx *Tx) error {
		// Claims never verified expire after 30 days.
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_domains WHERE status = 'pending' AND created_at < now() - interval '30 days'`); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &pending, `SELECT `+domainColumns+` FROM tenant_domains WHERE status = 'pending'
			AND created_at > now() - interval '30 days' ORDER BY last_checked_at NULLS FIRST LIMIT $1`, limit)
	})
	if err != nil {
		return 0, 0, err
	}
	for i := range pending {
		if err := s.check(ctx, &pending[i]); err != nil {
			return checked, verified, err
		}
		checked++
		if pending[i].Status == "verified" {
			verified++
		}
	}
	return checked, verified, nil
}

// RemoveDomain deletes a custom domain; it stops serving at once (admin/domains write).
func (s *Service) RemoveDomain(ctx context.Context, id uuid.UUID) error {
	if err := s.authz.Require(ctx, "admin/domains", "write"); err != nil {
		return err
	}
	tid, _ := IDFromContext(ctx)
	var domain string
	err := InTx(ctx, s.db, func(tx *Tx) error {
		err := tx.GetContext(ctx, &domain, `DELETE FROM tenant_domains WHERE id = $1 RETURNING domain`, id)
		if IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "domain not found")
		}
		if err != nil {
			return err
		}
		return Audit(ctx, tx, tid, "domain.removed", domain, nil)
	})
	if err == nil {
		s.changes.DomainChanged(ctx, domain)
	}
	return err
}

// AllDomains lists every tenant's domains for the console (console/tenants read).
func (s *Service) AllDomains(ctx context.Context, after string, limit int) ([]Domain, error) {
	if err := s.authz.Require(ctx, "console/tenants", "read"); err != nil {
		return nil, err
	}
	var out []Domain
	err := SystemTx(ctx, s.db, "console: domains", func(tx *Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+prefixed("d.", domainColumns)+`, t.name AS tenant_name
			FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id WHERE d.domain > $1 ORDER BY d.domain LIMIT $2`, after, limit)
	})
	return out, err
}

// AllowCertificate answers a TLS terminator's on-demand question: may a
// certificate be issued for host? Yes for the console, for a tenant's
// subdomain and for a verified custom domain, each of an active tenant.
// One indexed look-up, or none for a cached host.
func (s *Service) AllowCertificate(ctx context.Context, host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if host == "" || len(host) > 253 || strings.ContainsAny(host, ":/ ") {
		return false
	}
	site, err := s.resolver.Resolve(ctx, host)
	if err != nil {
		return false
	}
	return site.Realm == RealmPlatform || site.Tenant.Status == StatusActive
}
