package deploy

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Node capabilities a co-op offer can be tied to.
const (
	CapGPU       = "gpu"       // the node has a GPU
	CapHDD       = "hdd"       // the node has HDD capacity (zdb backends of a QSFS swarm)
	CapBandwidth = "bandwidth" // public IPv4 available at the node's farm (the grid model has no link speed)
	CapCertified = "certified" // a certified node
)

// Capabilities are the capabilities an offer may name, in display order.
var Capabilities = []string{CapGPU, CapHDD, CapBandwidth, CapCertified}

// HasCapability reports whether node n has capability c ("" always holds).
// The grid's node model has no link speed, so "high bandwidth" means a
// public IPv4 is free at the node's farm (a routed public address rather
// than only Mycelium/IPv6).
func HasCapability(n grid.Node, c string) bool {
	switch c {
	case "":
		return true
	case CapGPU:
		return len(n.GPUs) > 0
	case CapHDD:
		return n.Free().HRU > 0
	case CapBandwidth:
		return n.PublicIPv4 > 0
	case CapCertified:
		return n.Certified
	}
	return false
}

// Offer is a co-op's specialised product on its storefront: machines on
// pool nodes with one capability, optionally only in some size presets.
type Offer struct {
	ID          uuid.UUID `db:"id" json:"id"`
	Name        string    `db:"name" json:"name"`
	Description string    `db:"description" json:"description"`
	Capability  string    `db:"capability" json:"capability"`
	Sizes       []string  `db:"-" json:"sizes"` // size preset ids; empty: every size
	SizesRaw    string    `db:"sizes" json:"-"`
	Published   bool      `db:"published" json:"published"`
	// App is the app the offer sells ("": plain VMs), on nodes with its
	// capability (the GPU co-op's Open WebUI).
	App       string    `db:"app" json:"app"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
	// AvailableNodes counts the pool nodes a customer's order from this
	// offer may run on now (exposed, up, with the capability).
	AvailableNodes int `db:"-" json:"available_nodes"`
}

// OfferInput is the offer form.
type OfferInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Capability  string   `json:"capability"`
	Sizes       []string `json:"sizes"`
	Published   bool     `json:"published"`
	App         string   `json:"app"` // "": plain VMs
}

const offerColumns = `id, name, description, capability, sizes::text AS sizes, published, coalesce(app, '') AS app, created_at, updated_at`

func (o *Offer) decode() {
	json.Unmarshal([]byte(o.SizesRaw), &o.Sizes)
	if o.Sizes == nil {
		o.Sizes = []string{}
	}
}

func (s *Service) validateOffer(ctx context.Context, in *OfferInput) error {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if n := len([]rune(in.Name)); n < 2 || n > 60 {
		return fiatdashboard.Invalid("name", "a name is 2-60 characters")
	}
	if len([]rune(in.Description)) > 500 {
		return fiatdashboard.Invalid("description", "the description must be at most 500 characters")
	}
	if !slices.Contains(Capabilities, in.Capability) {
		return fiatdashboard.Invalid("capability", "capability is gpu, hdd, bandwidth or certified")
	}
	if in.App == AppVM {
		in.App = ""
	}
	if _, ok := Apps[in.App]; in.App != "" && !ok {
		return fiatdashboard.Invalid("app", "app is empty (plain VMs) or one of %s", strings.Join(AppKeys[1:], ", "))
	}
	if in.Sizes == nil || in.App != "" {
		in.Sizes = []string{} // an app's form sets its own sizes
	}
	if len(in.Sizes) > 0 && s.billing != nil {
		cat, err := s.billing.Catalog(ctx)
		if err != nil {
			return err
		}
		for _, id := range in.Sizes {
			if !slices.ContainsFunc(cat.Sizes, func(z billing.PricedSize) bool { return z.ID == id }) {
				return fiatdashboard.Invalid("sizes", "%q is not one of your size presets", id)
			}
		}
	}
	slices.Sort(in.Sizes)
	in.Sizes = slices.Compact(in.Sizes)
	return nil
}

// AdminOffers lists the co-op's offers, drafts too (admin/offers read).
func (s *Service) AdminOffers(ctx context.Context) ([]Offer, error) {
	if err := s.authz.Require(ctx, "admin/offers", "read"); err != nil {
		return nil, err
	}
	return s.offers(ctx, false)
}

// Offers lists the storefront's published offers with the number of pool
// nodes each can run on now; public (the storefront's home shows them).
func (s *Service) Offers(ctx context.Context) ([]Offer, error) {
	return s.offers(ctx, true)
}

func (s *Service) offers(ctx context.Context, published bool) ([]Offer, error) {
	out := []Offer{}
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+offerColumns+` FROM coop_offers o
			WHERE (o.published OR NOT $1) AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = o.tenant_id AND t.kind = 'coop')
			ORDER BY created_at LIMIT 100`, published)
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	// One look at the pool for every offer: no query per offer.
	nodes, err := s.EligibleNodes(ctx, grid.Resources{}, false)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].decode()
		for _, n := range nodes {
			if HasCapability(n, out[i].Capability) {
				out[i].AvailableNodes++
			}
		}
	}
	return out, nil
}

// Offer returns one published offer of the storefront; public. ENOTFOUND
// for an unknown, unpublished or other tenant's offer.
func (s *Service) Offer(ctx context.Context, id uuid.UUID) (*Offer, error) {
	var o Offer
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &o, `SELECT `+offerColumns+` FROM coop_offers WHERE id = $1 AND published`, id)
	})
	if tenant.IsNoRows(err) {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Field: "offer_id", Message: "this offer is not available"}
	}
	if err != nil {
		return nil, err
	}
	o.decode()
	return &o, nil
}

// SaveOffer creates (id uuid.Nil) or updates a co-op's offer (admin/offers
// write). EINVALID on field "capability" for an operator tenant: only
// co-ops publish offers. ENOTFOUND for an unknown offer.
func (s *Service) SaveOffer(ctx context.Context, id uuid.UUID, in OfferInput) (*Offer, error) {
	if err := s.authz.Require(ctx, "admin/offers", "write"); err != nil {
		return nil, err
	}
	if err := s.validateOffer(ctx, &in); err != nil {
		return nil, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	sizes, _ := json.Marshal(in.Sizes)
	var o Offer
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var kind tenant.Kind
		if err := tx.GetContext(ctx, &kind, `SELECT kind FROM tenants WHERE id = $1`, tid); err != nil {
			return err
		}
		if kind != tenant.KindCoop {
			return fiatdashboard.Invalid("capability", "only co-op storefronts publish offers tied to node capabilities")
		}
		var err error
		action := "offer.created"
		if id == uuid.Nil {
			err = tx.GetContext(ctx, &o, `INSERT INTO coop_offers (tenant_id, name, description, capability, sizes, published, app)
				VALUES ($1, $2, $3, $4, $5::jsonb, $6, nullif($7, '')) RETURNING `+offerColumns, tid, in.Name, in.Description, in.Capability, string(sizes), in.Published, in.App)
		} else {
			action = "offer.updated"
			err = tx.GetContext(ctx, &o, `UPDATE coop_offers SET name = $2, description = $3, capability = $4, sizes = $5::jsonb, published = $6,
				app = nullif($7, ''), updated_at = now() WHERE id = $1 RETURNING `+offerColumns, id, in.Name, in.Description, in.Capability, string(sizes), in.Published, in.App)
		}
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "offer not found")
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, action, o.ID.String(), map[string]any{"name": o.Name, "capability": o.Capability, "published": o.Published, "app": o.App})
	})
	if err != nil {
		return nil, err
	}
	o.decode()
	return &o, nil
}

// DeleteOffer removes an offer (admin/offers write); deployments ordered
// from it keep their capability. ENOTFOUND for an unknown offer.
func (s *Service) DeleteOffer(ctx context.Context, id uuid.UUID) error {
	if err := s.authz.Require(ctx, "admin/offers", "write"); err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var name string
		err := tx.GetContext(ctx, &name, `DELETE FROM coop_offers WHERE id = $1 RETURNING name`, id)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "offer not found")
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "offer.deleted", id.String(), map[string]any{"name": name})
	})
}

// EligibleForCapability are the eligible nodes (EligibleNodes) that have
// capability c; "" is no restriction.
func (s *Service) EligibleForCapability(ctx context.Context, need grid.Resources, customerPick bool, c string) ([]grid.Node, error) {
	nodes, err := s.EligibleNodes(ctx, need, customerPick)
	if err != nil || c == "" {
		return nodes, err
	}
	out := make([]grid.Node, 0, len(nodes))
	for _, n := range nodes {
		if HasCapability(n, c) {
			out = append(out, n)
		}
	}
	return out, nil
}

// orderOffer checks a deploy form's offer: published, and the size one of
// its presets. It returns nil without an offer.
func (s *Service) orderOffer(ctx context.Context, in *CreateInput) (*Offer, error) {
	if in.OfferID == nil || *in.OfferID == uuid.Nil {
		return nil, nil
	}
	o, err := s.Offer(ctx, *in.OfferID)
	if err != nil {
		return nil, err
	}
	app := in.App
	if app == "" {
		app = AppVM
	}
	switch {
	case o.App != "" && app != o.App:
		return nil, fiatdashboard.Invalid("app", "the %s offer sells %s", o.Name, Apps[o.App].Name)
	case o.App == "" && app != AppVM:
		return nil, fiatdashboard.Invalid("app", "the %s offer sells servers, not apps", o.Name)
	case o.App != "":
		return o, nil // the app's own form sets its sizes
	}
	if len(o.Sizes) > 0 && !slices.Contains(o.Sizes, in.Size) {
		return nil, fiatdashboard.Invalid("size", "the %s offer comes in these sizes: %s", o.Name, strings.Join(o.Sizes, ", "))
	}
	return o, nil
}

// placementCheck refuses a deploy form whose node (advanced) is not an
// eligible node with the offer's capability, or (default) when no such node
// has room. EINVALID names node_id or size.
func (s *Service) placementCheck(ctx context.Context, in *CreateInput, need grid.Resources, o *Offer) error {
	c := ""
	if o != nil {
		c = o.Capability
	}
	if in.Placement == "advanced" {
		nodes, err := s.EligibleForCapability(ctx, need, true, c)
		if err != nil {
			return err
		}
		if !slicesContainsNode(nodes, in.NodeID) {
			if o != nil {
				if all, err := s.EligibleNodes(ctx, need, true); err == nil && slicesContainsNode(all, in.NodeID) {
					return fiatdashboard.Invalid("node_id", "node %d does not have what the %s offer needs (%s); pick one of the offer's nodes", in.NodeID, o.Name, CapabilityLabel(c))
				}
			}
			return fiatdashboard.Invalid("node_id", "node %d is not available for this size; pick another", in.NodeID)
		}
		return nil
	}
	room, err := s.hasRoom(ctx, need, c) // fresh capacity, less what orders in flight hold
	if err != nil {
		return err
	}
	if !room {
		if o != nil {
			return fiatdashboard.Invalid("size", "no %s node has room for this size right now; pick a smaller one", CapabilityLabel(c))
		}
		return fiatdashboard.Invalid("size", "no node has room for this size right now; pick a smaller one")
	}
	return nil
}

// CapabilityLabel names a capability for people.
func CapabilityLabel(c string) string {
	switch c {
	case CapGPU:
		return "GPU"
	case CapHDD:
		return "HDD storage"
	case CapBandwidth:
		return "high bandwidth (public IPv4)"
	case CapCertified:
		return "certified"
	}
	return c
}

// setOffer records, in the deployment's own transaction, the offer it was
// ordered from and the capability its node must have.
func setOffer(ctx context.Context, tx *tenant.Tx, id uuid.UUID, o *Offer) error {
	if o == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE deployments SET offer_id = $2, offer_capability = $3 WHERE id = $1`, id, o.ID, o.Capability)
	return err
}

// eligibleForDeployment are the nodes a deployment's default placement may
// use: eligible, with the capability of the offer it was ordered from.
func (s *Service) eligibleForDeployment(ctx context.Context, id uuid.UUID, need grid.Resources) ([]grid.Node, error) {
	var c string
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &c, `SELECT offer_capability FROM deployments WHERE id = $1`, id)
	}); err != nil && !tenant.IsNoRows(err) {
		return nil, err
	}
	return s.EligibleForCapability(ctx, need, false, c)
}

// QuoteInput is the deploy form's price question: the machine, and the
// offer and node it would be ordered from.
type QuoteInput struct {
	billing.QuoteInput
	// App and AppConfig price an app's form (apps.go); "" is a plain VM.
	App       string          `json:"app,omitempty"`
	AppConfig json.RawMessage `json:"app_config,omitempty"`
	OfferID   *uuid.UUID      `json:"offer_id,omitempty"`
	Placement string          `json:"placement,omitempty"` // default or advanced
	NodeID    uint32          `json:"node_id,omitempty"`   // advanced: the customer's pick
}

// Quote prices the deploy form as Create will charge it: an order from a
// GPU offer rents its node whole, so the node it would take (the customer's
// pick, or the one default placement takes now) is priced as its own rent
// line. Without such an offer it is billing's quote; public is a visitor's
// question (no account).
func (s *Service) Quote(ctx context.Context, in QuoteInput, public bool) (*billing.PriceQuote, error) {
	quote := s.billing.Quote
	if public {
		quote = s.billing.PublicQuote
	}
	if in.App != "" && in.App != AppVM {
		return s.quoteApp(ctx, in, quote)
	}
	q, err := quote(ctx, in.QuoteInput)
	if err != nil || in.OfferID == nil || *in.OfferID == uuid.Nil {
		return q, err
	}
	c := CreateInput{QuoteInput: in.QuoteInput, OfferID: in.OfferID, Placement: in.Placement, NodeID: in.NodeID}
	if c.Placement == "" {
		c.Placement = "default"
	}
	offer, err := s.orderOffer(ctx, &c)
	if err != nil || offer.Capability != CapGPU {
		return q, err
	}
	eligible, err := s.EligibleForCapability(ctx, needOf(q.Spec), c.Placement == "advanced", CapGPU)
	if err != nil {
		return nil, err
	}
	pick, err := s.deliverable(ctx, &c, q.Spec, eligible, CapGPU)
	if err != nil {
		return nil, err
	}
	in.QuoteInput.Rent = rentedNode(eligible, pick)
	return quote(ctx, in.QuoteInput)
}
