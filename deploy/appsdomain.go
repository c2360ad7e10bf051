package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// AppsDomain is a storefront's apps domain: its web apps (the ones reached
// through a gateway) answer at https://<deployment name>.<Domain> through
// an FQDN gateway on GatewayNode, instead of a gateway name under the
// grid's gateway domain. The tenant creates the wildcard DNS record
// DNSName → DNSTarget at its registrar first.
type AppsDomain struct {
	Domain      string `json:"domain"`       // "" when the storefront has none
	GatewayNode uint32 `json:"gateway_node"` // 0 when none
	DNSName     string `json:"dns_name"`     // "*.<domain>"
	DNSTarget   string `json:"dns_target"`   // the gateway node's domain (a CNAME target resolving to its public IP)
	// GatewayNodes are the up gateway nodes to pick from (GET only).
	GatewayNodes []GatewayNode `json:"gateway_nodes"`
}

// GatewayNode is a gateway node the admin can point its apps domain at.
type GatewayNode struct {
	ID      uint32 `json:"id"`
	Domain  string `json:"domain"`
	Country string `json:"country"`
}

// AppsDomainInput is the admin's change: an empty domain removes it.
type AppsDomainInput struct {
	Domain      string `json:"domain"`
	GatewayNode uint32 `json:"gateway_node"`
}

// appsDomain is ctx's tenant's apps domain (zero when none).
func (s *Service) appsDomain(ctx context.Context) (AppsDomain, error) {
	var out AppsDomain
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		err := tx.QueryRowxContext(ctx, `SELECT domain, gateway_node FROM tenant_apps_domains`).Scan(&out.Domain, &out.GatewayNode)
		if tenant.IsNoRows(err) {
			return nil
		}
		return err
	})
	if out.Domain != "" {
		out.DNSName = "*." + out.Domain
	}
	return out, err
}

// AppsDomain returns the storefront's apps domain (admin/pricing read),
// with the DNS record the tenant must create.
func (s *Service) AppsDomain(ctx context.Context) (*AppsDomain, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "read"); err != nil {
		return nil, err
	}
	d, err := s.appsDomain(ctx)
	if err != nil {
		return nil, err
	}
	d.GatewayNodes = []GatewayNode{}
	g, err := s.gridFor(ctx)
	if err != nil {
		return &d, nil // no wallet yet: nothing to pick from
	}
	if d.GatewayNode != 0 {
		if n, err := g.Node(ctx, d.GatewayNode); err == nil {
			d.DNSTarget = n.GatewayDomain
		}
	}
	page, err := g.ListNodes(ctx, grid.NodeFilter{Gateway: true, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: 50}})
	if err != nil {
		return nil, err
	}
	for _, n := range page.Nodes {
		d.GatewayNodes = append(d.GatewayNodes, GatewayNode{ID: n.ID, Domain: n.GatewayDomain, Country: n.Country})
	}
	return &d, nil
}

// SaveAppsDomain sets (or, with an empty domain, removes) the storefront's
// apps domain (admin/pricing write). EINVALID names domain when it is no
// domain ZOS accepts or its wildcard record does not point at the gateway
// node (checked through the grid, as ZOS will check it for every app's
// gateway), and gateway_node when the node is no gateway node. Existing
// deployments keep their gateways; new orders use the domain.
func (s *Service) SaveAppsDomain(ctx context.Context, in AppsDomainInput) (*AppsDomain, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "write"); err != nil {
		return nil, err
	}
	tid, ok := tenant.IDFromContext(ctx)
	if !ok {
		return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "apps domain: no tenant in context")
	}
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(in.Domain)), ".")
	domain = strings.TrimPrefix(domain, "*.")
	out := AppsDomain{}
	if domain != "" {
		if !grid.ValidDomain(domain) || len(domain) > 200 || len(domain) < 4 {
			return nil, fiatdashboard.Invalid("domain", "%q is not a domain name (like apps.example.com)", in.Domain)
		}
		if in.GatewayNode == 0 {
			return nil, fiatdashboard.Invalid("gateway_node", "pick the gateway node your domain points at")
		}
		g, err := s.gridFor(ctx)
		if err != nil {
			return nil, err
		}
		n, err := g.Node(ctx, in.GatewayNode)
		if err != nil || n.GatewayDomain == "" {
			return nil, fiatdashboard.Invalid("gateway_node", "node %d is not a gateway node", in.GatewayNode)
		}
		if domain == n.GatewayDomain || strings.HasSuffix(domain, "."+n.GatewayDomain) {
			// ZOS refuses an FQDN under the gateway's own domain.
			return nil, fiatdashboard.Invalid("domain", "use your own domain, not one under the gateway's %s", n.GatewayDomain)
		}
		if c, ok := g.(grid.DNSChecker); ok {
			// Any single label under the domain must resolve to the node:
			// the wildcard record every app's FQDN gateway relies on.
			if err := c.CheckDNS(ctx, "fiatdashboard-check."+domain, n.ID); err != nil {
				return nil, fiatdashboard.Invalid("domain", "the DNS record *.%s does not point at gateway node %d (%s): create it at your registrar, then save again", domain, n.ID, n.GatewayDomain)
			}
		}
		out = AppsDomain{Domain: domain, GatewayNode: n.ID, DNSName: "*." + domain, DNSTarget: n.GatewayDomain}
	}
	out.GatewayNodes = []GatewayNode{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if domain == "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_apps_domains`); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_apps_domains (tenant_id, domain, gateway_node) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id) DO UPDATE SET domain = EXCLUDED.domain, gateway_node = EXCLUDED.gateway_node, updated_at = now()`,
			tid, domain, int64(out.GatewayNode)); err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "apps_domain.changed", domain, map[string]any{"domain": domain, "gateway_node": out.GatewayNode})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// appHost is the DNS label of a deployment under the apps domain: its
// name when that is a DNS label no other deployment of the tenant holds,
// else its gateway name (name plus a piece of its id).
func (s *Service) appHost(ctx context.Context, d *Deployment, domain string) (string, error) {
	label := strings.ToLower(d.Name)
	ok := len(label) > 0 && len(label) <= 63 && label[0] != '-' && label[len(label)-1] != '-'
	for _, r := range label {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			ok = false
		}
	}
	if ok {
		var taken bool
		err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
			return tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM deployments WHERE app_state->>'fqdn' = $1 AND id <> $2)`,
				label+"."+domain, d.ID)
		})
		if err != nil {
			return "", err
		}
		ok = !taken
	}
	if !ok {
		label = gatewayName(d)
	}
	return fmt.Sprintf("%s.%s", label, domain), nil
}
