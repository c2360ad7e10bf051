package web

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/deploy"
)

// apps is the storefront's app catalog (public): the apps the tenant
// sells, vm first, with their forms and from-prices.
func (s *Server) apps(c *fiber.Ctx) error {
	if siteOf(c).Tenant == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	// Every storefront visit reads it and it prices each app (a few quotes):
	// cached per tenant like the catalog, dropped by fd_catalog (the price
	// rule, tiers, pool, the tenant's app settings and apps domain).
	body, err := s.appCatalogs.get(c.UserContext(), siteOf(c).Tenant.ID, func(ctx context.Context) (any, error) {
		out, err := s.deps.Deploy.AppCatalog(ctx)
		if err != nil {
			return nil, err
		}
		return fiber.Map{"apps": out}, nil
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

func (s *Server) adminApps(c *fiber.Ctx) error {
	out, err := s.deps.Deploy.AdminApps(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"apps": out})
}

func (s *Server) adminSaveApp(c *fiber.Ctx) error {
	key := utils.CopyString(c.Params("key"))
	var in deploy.AppSettingInput
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Deploy.SaveApp(c.UserContext(), key, in)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// adminAppsDomain is the storefront's apps domain (custom domains on a
// gateway for its web apps).
func (s *Server) adminAppsDomain(c *fiber.Ctx) error {
	out, err := s.deps.Deploy.AppsDomain(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) adminSaveAppsDomain(c *fiber.Ctx) error {
	var in deploy.AppsDomainInput
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Deploy.SaveAppsDomain(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// deploymentCredentials shows an app's credentials once.
func (s *Server) deploymentCredentials(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	out, err := s.deps.Deploy.Credentials(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"credentials": out})
}

// deploymentKubeconfig downloads a Kubernetes app's admin kubeconfig.
func (s *Server) deploymentKubeconfig(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	name, yaml, err := s.deps.Deploy.Kubeconfig(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "application/yaml")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-kubeconfig.yaml"`, name))
	return c.SendString(yaml)
}

// setWorkers changes a Kubernetes app's worker count.
func (s *Server) setWorkers(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	var in deploy.WorkersInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.ClientKey == "" {
		in.ClientKey = c.Get("Idempotency-Key")
	}
	d, err := s.deps.Deploy.SetWorkers(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
