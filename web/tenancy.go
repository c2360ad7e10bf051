package web

import (
	"time"

	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
	"github.com/fiatdashboard/fiatdashboard/themes"
)

// tlsAsk answers a TLS terminator's on-demand question (Caddy's "ask"):
// 200 when a certificate may be issued for ?domain=, 404 otherwise.
func (s *Server) tlsAsk(c *fiber.Ctx) error {
	if s.deps.Tenants.AllowCertificate(c.UserContext(), c.Query("domain")) {
		return c.SendStatus(fiber.StatusOK)
	}
	return c.SendStatus(fiber.StatusNotFound)
}

// brandingAsset serves the tenant's uploaded logo or favicon on its own host.
func (s *Server) brandingAsset(c *fiber.Ctx) error {
	site := siteOf(c)
	kind := c.Params("kind")
	if site.Tenant == nil || (kind != "logo" && kind != "favicon") {
		return c.Status(fiber.StatusNotFound).Type("txt").SendString("not found")
	}
	a, err := s.deps.Branding.Asset(c.UserContext(), site.Tenant.ID, kind, c.Query("v"))
	if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
		return c.Status(fiber.StatusNotFound).Type("txt").SendString("not found")
	}
	if err != nil {
		return err
	}
	if v := c.Query("v"); v != "" && len(a.SHA256) >= 12 && a.SHA256[:12] == v {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	}
	// An SVG opened on its own must not run anything, whatever slipped through.
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Data)
}

func origin(c *fiber.Ctx) tenant.Origin {
	port := ""
	if h := c.Hostname(); h != "" {
		for i := len(h) - 1; i >= 0 && h[i] != ']'; i-- {
			if h[i] == ':' {
				port = h[i+1:]
				break
			}
		}
	}
	return tenant.Origin{Scheme: c.Protocol(), Port: port}
}

func (s *Server) apply(c *fiber.Ctx) error {
	var in tenant.NewApplication
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Identity.Throttle(c.UserContext(), rbac.RateApplication, strings.ToLower(strings.TrimSpace(in.ContactEmail)), meta(c)); err != nil {
		return err
	}
	a, err := s.deps.Tenants.Apply(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) consoleTenants(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Tenants.Tenants(c.UserContext(), c.Query("status"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(t tenant.ConsoleTenant) string { return t.Slug }))
}

func (s *Server) consoleCreateTenant(c *fiber.Ctx) error {
	var in struct {
		Slug       string `json:"slug"`
		Name       string `json:"name"`
		Kind       string `json:"kind"`
		Pitch      string `json:"pitch"`
		OwnerEmail string `json:"owner_email"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	t, err := s.deps.Tenants.CreateTenant(c.UserContext(), tenant.NewTenant{Slug: in.Slug, Name: in.Name, Kind: tenant.Kind(in.Kind), Pitch: in.Pitch}, in.OwnerEmail, origin(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (s *Server) consoleTenantStatus(to tenant.Status) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathUUID(c, "id")
		if err != nil {
			return err
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if err := bind(c, &in); err != nil {
			return err
		}
		t, err := s.deps.Tenants.SetStatus(c.UserContext(), id, to, in.Reason)
		if err != nil {
			return err
		}
		return c.JSON(t)
	}
}

func (s *Server) consoleApplications(c *fiber.Ctx) error {
	before, limit, err := timePage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Tenants.Applications(c.UserContext(), c.Query("status"), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(a tenant.Application) string { return a.CreatedAt.Format(time.RFC3339Nano) }))
}

func (s *Server) consoleDecideApplication(approve bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathUUID(c, "id")
		if err != nil {
			return err
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if err := bind(c, &in); err != nil {
			return err
		}
		a, err := s.deps.Tenants.DecideApplication(c.UserContext(), id, approve, in.Reason, origin(c))
		if err != nil {
			return err
		}
		return c.JSON(a)
	}
}

func (s *Server) consoleSettings(c *fiber.Ctx) error {
	f, err := s.deps.Tenants.PlatformFee(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (s *Server) consoleSaveSettings(c *fiber.Ctx) error {
	var in tenant.PlatformFee
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Tenants.SetPlatformFee(c.UserContext(), in); err != nil {
		return err
	}
	return c.JSON(in)
}

func (s *Server) consoleDomains(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Tenants.AllDomains(c.UserContext(), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(d tenant.Domain) string { return d.Domain }))
}

func (s *Server) adminSettings(c *fiber.Ctx) error {
	t, err := s.deps.Tenants.Current(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) adminSaveSettings(c *fiber.Ctx) error {
	var in tenant.Settings
	if err := bind(c, &in); err != nil {
		return err
	}
	t, err := s.deps.Tenants.UpdateSettings(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) adminBranding(c *fiber.Ctx) error {
	b, err := s.deps.Branding.Branding(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) adminSaveBranding(c *fiber.Ctx) error {
	var in themes.Theme
	if err := bind(c, &in); err != nil {
		return err
	}
	th, err := s.deps.Branding.SaveTheme(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"theme": th})
}

// adminUploadAsset takes the image as the raw body, or as the "file" field of
// a multipart form.
func (s *Server) adminUploadAsset(c *fiber.Ctx) error {
	data := c.Body()
	if fh, err := c.FormFile("file"); err == nil {
		f, err := fh.Open()
		if err != nil {
			return fiatdashboard.Invalid("file", "the upload cannot be read")
		}
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, themes.MaxAssetBytes+1)); err != nil {
			return fiatdashboard.Invalid("file", "the upload cannot be read")
		}
	}
	th, err := s.deps.Branding.UploadAsset(c.UserContext(), c.Params("kind"), append([]byte(nil), data...))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"theme": th})
}

func (s *Server) adminRemoveAsset(c *fiber.Ctx) error {
	th, err := s.deps.Branding.RemoveAsset(c.UserContext(), c.Params("kind"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"theme": th})
}

func (s *Server) adminDomains(c *fiber.Ctx) error {
	out, err := s.deps.Tenants.Domains(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, 0, func(tenant.Domain) string { return "" }))
}

func (s *Server) adminAddDomain(c *fiber.Ctx) error {
	var in struct {
		Domain string `json:"domain"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	d, err := s.deps.Tenants.AddDomain(c.UserContext(), in.Domain)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) adminVerifyDomain(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Tenants.VerifyDomain(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) adminRemoveDomain(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Tenants.RemoveDomain(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
