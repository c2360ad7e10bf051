package web

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

func nodeParam(c *fiber.Ctx) (uint32, error) {
	n, err := strconv.ParseUint(c.Params("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	return uint32(n), nil
}

func (s *Server) twinChallenge(c *fiber.Ctx) error {
	var in struct {
		TwinID uint32 `json:"twin_id"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	ch, err := s.deps.Deploy.NewChallenge(c.UserContext(), in.TwinID)
	if err != nil {
		return err
	}
	return c.JSON(ch)
}

func (s *Server) linkTwin(c *fiber.Ctx) error {
	var in struct {
		KeyType   string `json:"key_type"`
		Signature string `json:"signature"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.KeyType != "ed25519" && in.KeyType != "sr25519" {
		return fiatdashboard.Invalid("key_type", "key_type is ed25519 or sr25519")
	}
	t, err := s.deps.Deploy.LinkTwin(c.UserContext(), in.KeyType, in.Signature)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) myTwin(c *fiber.Ctx) error {
	t, err := s.deps.Deploy.MyTwin(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"twin": t})
}

func (s *Server) myNodes(c *fiber.Ctx) error {
	out, err := s.deps.Deploy.MyNodes(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": out})
}

func (s *Server) registerNode(c *fiber.Ctx) error {
	var in struct {
		NodeID uint32 `json:"node_id"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	n, err := s.deps.Deploy.RegisterNode(c.UserContext(), in.NodeID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(n)
}

func (s *Server) setExposure(c *fiber.Ctx) error {
	id, err := nodeParam(c)
	if err != nil {
		return err
	}
	var in struct {
		TenantSlug string `json:"tenant_slug"`
		Exposed    bool   `json:"exposed"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	running, err := s.deps.Deploy.SetExposure(c.UserContext(), id, in.TenantSlug, in.Exposed)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"exposed": in.Exposed, "running_deployments": running})
}

func (s *Server) earnings(c *fiber.Ctx) error {
	to := time.Now().UTC()
	from := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
	var err error
	if v := c.Query("from"); v != "" {
		if from, err = time.Parse("2006-01-02", v); err != nil {
			return fiatdashboard.Invalid("from", "from is a date like 2026-01-01")
		}
	}
	if v := c.Query("to"); v != "" {
		if to, err = time.Parse("2006-01-02", v); err != nil {
			return fiatdashboard.Invalid("to", "to is a date like 2026-12-31")
		}
	}
	price, _ := grid.ParseDecimal(grid.ReferenceTFTPrice)
	lines, err := s.deps.Deploy.Earnings(c.UserContext(), from, to, price)
	if err != nil {
		return err
	}
	if strings.HasSuffix(c.Path(), ".csv") {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="earnings.csv"`)
		w := csv.NewWriter(c.Response().BodyWriter())
		w.Write([]string{"month", "node_id", "tenant", "billed_tft", "earned_tft", "earned_usd"})
		for _, l := range lines {
			w.Write([]string{l.Month, strconv.FormatUint(uint64(l.NodeID), 10), l.Tenant, l.BilledTF, l.EarnedTF, l.USD})
		}
		w.Flush()
		return w.Error()
	}
	return c.JSON(fiber.Map{"items": lines, "tft_price_usd": grid.ReferenceTFTPrice})
}

func (s *Server) adminPool(c *fiber.Ctx) error {
	out, sum, err := s.deps.Deploy.Pool(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": out, "summary": sum})
}

// adminPoolCatalog filters the grid's node catalog: ?country=&farm=&certified=&gpu=&hdd=&ipv4=&min_cpu=&min_ram_gb=&min_disk_gb=&page=&size=
func (s *Server) adminPoolCatalog(c *fiber.Ctx) error {
	f := grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}}
	if v := c.Query("country"); v != "" {
		f.Countries = []string{utilsCopy(v)}
	}
	num := func(name string) (uint64, error) {
		v := c.Query(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, fiatdashboard.Invalid(name, "%s must be a whole number", name)
		}
		return n, nil
	}
	farm, err := num("farm")
	if err != nil {
		return err
	}
	if farm > 0 {
		f.FarmIDs = []uint32{uint32(farm)}
	}
	f.Certified, f.GPU, f.PublicIPv4 = c.QueryBool("certified"), c.QueryBool("gpu"), c.QueryBool("ipv4")
	for _, q := range []struct {
		name string
		dst  *uint64
		mul  uint64
	}{{"min_cpu", &f.MinFree.CRU, 1}, {"min_ram_gb", &f.MinFree.MRU, 1 << 30}, {"min_disk_gb", &f.MinFree.SRU, 1 << 30}, {"min_hdd_gb", &f.MinFree.HRU, 1 << 30}} {
		n, err := num(q.name)
		if err != nil {
			return err
		}
		*q.dst = n * q.mul
	}
	if c.QueryBool("hdd") && f.MinFree.HRU == 0 {
		f.MinFree.HRU = 1 << 40
	}
	pageN, err := num("page")
	if err != nil {
		return err
	}
	size, err := num("size")
	if err != nil {
		return err
	}
	f.Page = grid.Page{Number: int(pageN), Size: int(size)}
	out, err := s.deps.Deploy.Catalog(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (s *Server) adminAddToPool(c *fiber.Ctx) error {
	var in struct {
		NodeIDs []uint32 `json:"node_ids"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Deploy.AddToPool(c.UserContext(), in.NodeIDs); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"added": len(in.NodeIDs)})
}

func (s *Server) adminRemoveFromPool(c *fiber.Ctx) error {
	id, err := nodeParam(c)
	if err != nil {
		return err
	}
	if err := s.deps.Deploy.RemoveFromPool(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminSetPickable(c *fiber.Ctx) error {
	id, err := nodeParam(c)
	if err != nil {
		return err
	}
	var in struct {
		CustomerPickable bool `json:"customer_pickable"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := s.deps.Deploy.SetPickable(c.UserContext(), id, in.CustomerPickable); err != nil {
		return err
	}
	return c.JSON(in)
}

// pickableNodes are the nodes a customer may choose in advanced mode.
func (s *Server) pickableNodes(c *fiber.Ctx) error {
	if siteOf(c).Tenant == nil {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	capability, err := s.offerCapability(c) // ?offer=: only nodes with the offer's capability
	if err != nil {
		return err
	}
	// What is free on each node after pending orders' reservations: the
	// picker shows IPv4, GPU, certified, free capacity and uptime.
	nodes, err := s.deps.Deploy.PickableNodes(c.UserContext(), capability)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": nodes})
}
