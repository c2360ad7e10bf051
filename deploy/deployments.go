package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Deployment states (ARCHITECTURE.md §6).
const (
	AwaitingPayment = "awaiting_payment"
	Paid            = "paid"
	Provisioning    = "provisioning"
	Running         = "running"
	Suspended       = "suspended"
	Terminating     = "terminating"
	Terminated      = "terminated"
	Failed          = "failed"
)

// transitions are the only moves the lifecycle allows.
var transitions = map[string][]string{
	AwaitingPayment: {Paid, Failed, Terminated},
	Paid:            {Provisioning, Failed, Terminating},
	Provisioning:    {Running, Failed, Terminating},
	Running:         {Suspended, Terminating, Provisioning},
	Suspended:       {Running, Terminating, Terminated},
	Terminating:     {Terminated},
}

// Images a storefront offers, as grid flists.
var Images = map[string]string{
	"ubuntu-24.04": "https://hub.grid.tf/tf-official-vms/ubuntu-24.04-full.flist",
	"ubuntu-22.04": "https://hub.grid.tf/tf-official-vms/ubuntu-22.04-full.flist",
	"debian-12":    "https://hub.grid.tf/tf-official-vms/debian-12.flist",
	"nixos":        "https://hub.grid.tf/tf-official-vms/nixos-micro.flist",
}

// Enqueuer starts provisioning in the background (jobs implements it).
type Enqueuer interface {
	// EnqueueDeploy queues the deploy:vm task with task id deploy:<id>.
	EnqueueDeploy(ctx context.Context, id uuid.UUID) error
}

// Deployment is a customer's VM.
type Deployment struct {
	ID            uuid.UUID       `db:"id" json:"id"`
	AccountID     uuid.UUID       `db:"account_id" json:"-"`
	OrderID       uuid.UUID       `db:"order_id" json:"order_id"`
	Name          string          `db:"name" json:"name"`
	Image         string          `db:"image" json:"image"`
	Spec          json.RawMessage `db:"spec" json:"spec"`
	SSHKey        string          `db:"ssh_key" json:"ssh_key"`
	Placement     string          `db:"placement" json:"placement"`
	NodeID        *uint32         `db:"node_id" json:"node_id"`
	Backup        string          `db:"backup" json:"backup"`
	StandbyNodeID *uint32         `db:"standby_node_id" json:"standby_node_id"`
	Status        string          `db:"status" json:"status"`
	Project       string          `db:"project" json:"-"`
	IPv4          string          `db:"ipv4" json:"ipv4"`
	IPv6          string          `db:"ipv6" json:"ipv6"`
	Mycelium      string          `db:"mycelium" json:"mycelium"`
	Failure       string          `db:"failure" json:"failure"`
	CreatedAt     time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time       `db:"updated_at" json:"updated_at"`
	// Incident is the last time the server moved off a failed node:
	// "failover" (the standby took over) or "reprovision" (re-created
	// elsewhere, its disk lost); NotifiedAt when the customer was mailed.
	Incident        string     `db:"incident" json:"incident"`
	IncidentMessage string     `db:"incident_message" json:"incident_message"`
	IncidentAt      *time.Time `db:"incident_at" json:"incident_at"`
	NotifiedAt      *time.Time `db:"notified_at" json:"notified_at"`
	// Order is the payment, when the caller asked for it.
	Order *billing.Order `db:"-" json:"order,omitempty"`
	// Swarm is the QSFS backup's backends and tolerance (backup "qsfs").
	Swarm *Swarm `db:"-" json:"swarm,omitempty"`
	// GPUs are the GPUs attached to the VM (a GPU offer rents its node).
	GPUs []DeploymentGPU `db:"-" json:"gpus,omitempty"`
	// RentContractID is the rent contract of the node the VM runs on, when
	// the platform rented that node whole (a GPU offer, a dedicated farm).
	RentContractID *uint64 `db:"-" json:"rent_contract_id,omitempty"`
	// OnCancel is what cancelling gives back: "refund" (to the card) or
	// "credit" (account credit), as the tenant decided.
	OnCancel string `db:"-" json:"on_cancel,omitempty"`
	// For staff lists: the customer, and what the order cost.
	CustomerEmail string `db:"customer_email" json:"customer_email,omitempty"`
	PriceCents    int64  `db:"price_cents" json:"price_cents,omitempty"`
	Currency      string `db:"currency" json:"currency,omitempty"`
	Months        int    `db:"months" json:"months,omitempty"`
	// App is what the deployment is (apps.go): vm, or one of the apps; its
	// form's values in AppConfig, how to reach it in Access, and for
	// Kubernetes its Workers.
	App                string          `db:"app" json:"app"`
	AppConfig          json.RawMessage `db:"app_config" json:"app_config"`
	AppState           json.RawMessage `db:"app_state" json:"-"`
	HasSecret          bool            `db:"has_secret" json:"-"`
	CredentialsShownAt *time.Time      `db:"credentials_shown_at" json:"-"`
	Access             *Access         `db:"-" json:"access"`
	Workers            []Worker        `db:"-" json:"workers,omitempty"`
	// WorkersPending is a Kubernetes worker change waiting for the
	// payment of its prorated order (which may need the customer's
	// authentication: POST /api/orders/{id}/confirm).
	WorkersPending *WorkersPending `db:"-" json:"workers_pending,omitempty"`
}

const depColumns = `id, account_id, order_id, name, image, spec, ssh_key, placement, node_id, backup, standby_node_id, status, project,
	ipv4, ipv6, mycelium, failure, created_at, updated_at, incident, incident_message, incident_at, notified_at, ` + appColumns

// Event is one step of a deployment's life.
type Event struct {
	ID        int64     `db:"id" json:"id"`
	Status    string    `db:"status" json:"status"`
	Step      string    `db:"step" json:"step"`
	Message   string    `db:"message" json:"message"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// CreateInput is the deploy form.
type CreateInput struct {
	Name   string `json:"name"`
	Image  string `json:"image"`
	SSHKey string `json:"ssh_key"`
	// SSHKeyID picks one of the customer's saved keys instead of SSHKey;
	// SaveSSHKey saves a pasted SSHKey under SSHKeyName for next time.
	SSHKeyID      *uuid.UUID `json:"ssh_key_id,omitempty"`
	SaveSSHKey    bool       `json:"save_ssh_key"`
	SSHKeyName    string     `json:"ssh_key_name"`
	Placement     string     `json:"placement"` // default or advanced
	NodeID        uint32     `json:"node_id"`   // advanced: the customer's pick
	Backup        string     `json:"backup"`    // none, vm or qsfs
	PaymentMethod string     `json:"payment_method"`
	ClientKey     string     `json:"client_key"`
	// OfferID: ordered from a co-op's offer, whose node capability (and
	// size presets) restrict the order (offers.go).
	OfferID *uuid.UUID `json:"offer_id,omitempty"`
	// App is the app ordered ("" or vm: a plain server, the fields above);
	// AppConfig its form's values (GET /api/apps lists the fields).
	App       string          `json:"app"`
	AppConfig json.RawMessage `json:"app_config"`
	billing.QuoteInput
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,61}[a-z0-9]$`)

func (in *CreateInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if !namePattern.MatchString(in.Name) {
		return fiatdashboard.Invalid("name", "a name is 2-63 lowercase letters, digits and hyphens, starting with a letter")
	}
	if in.App != "" && in.App != AppVM {
		// An app brings its own image; it has no backup option.
		in.Image = in.App
		if in.Backup != "" && in.Backup != "none" {
			return fiatdashboard.Invalid("backup", "apps have no backup option")
		}
	} else if _, ok := Images[in.Image]; !ok {
		return fiatdashboard.Invalid("image", "pick one of the images on offer")
	}
	key, err := ParseSSHKey("ssh_key", in.SSHKey)
	if err != nil {
		return err
	}
	in.SSHKey = key.Line
	switch in.Placement {
	case "":
		in.Placement = "default"
	case "default", "advanced":
	default:
		return fiatdashboard.Invalid("placement", "placement is default or advanced")
	}
	if in.Placement == "advanced" && in.NodeID == 0 {
		return fiatdashboard.Invalid("node_id", "pick a node, or let us choose")
	}
	switch in.Backup {
	case "":
		in.Backup = "none"
	case "none", "vm", "qsfs":
	default:
		return fiatdashboard.Invalid("backup", "backup is none, vm or qsfs")
	}
	in.QuoteInput.Backup = in.Backup // the backup is priced on its own line
	return nil
}

// Create validates the deploy form, places the order (one PaymentIntent,
// idempotent by client_key) and records the deployment awaiting payment.
// Provisioning starts when the payment's webhook arrives (store/deployments write).
func (s *Service) Create(ctx context.Context, in CreateInput) (*Deployment, error) {
	if err := s.authz.Require(ctx, "store/deployments", "write"); err != nil {
		return nil, err
	}
	if in.SSHKeyID != nil {
		k, err := s.savedSSHKey(ctx, "ssh_key_id", *in.SSHKeyID)
		if err != nil {
			return nil, err
		}
		in.SSHKey, in.SaveSSHKey = k.PublicKey, false
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	app, cfg, plan, err := s.appPlan(ctx, in.App, in.AppConfig)
	if err != nil {
		return nil, err
	}
	in.App, in.QuoteInput.Plan = app.Key, plan
	if in.SaveSSHKey {
		if err := s.keepSSHKey(ctx, in.SSHKey, in.SSHKeyName); err != nil {
			return nil, err
		}
	}
	q, err := s.billing.Quote(ctx, in.QuoteInput)
	if err != nil {
		return nil, err
	}
	need := needOf(q.Spec)
	offer, err := s.orderOffer(ctx, &in)
	if err != nil {
		return nil, err
	}
	// An app that needs a node capability (a GPU, bandwidth) places like
	// an offer of that capability.
	checkOffer := offer
	if checkOffer == nil && app.Requires != "" {
		checkOffer = &Offer{Name: app.Name, Capability: app.Requires}
	}
	if err := s.placementCheck(ctx, &in, need, checkOffer); err != nil { // eligible nodes, with the offer's capability
		return nil, err
	}
	capability := ""
	if checkOffer != nil {
		capability = checkOffer.Capability
	}
	eligible, err := s.EligibleForCapability(ctx, need, in.Placement == "advanced", capability)
	if err != nil {
		return nil, err
	}
	// Capacity, a free IPv4 and the backup's nodes, before the card is
	// charged; the node is reserved by storing it on the deployment.
	pick, err := s.deliverable(ctx, &in, q.Spec, eligible, capability)
	if err != nil {
		return nil, err
	}
	if capability == CapGPU {
		// The order rents its node whole: the rent is its own price line.
		in.QuoteInput.Rent = rentedNode(eligible, pick)
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var taken bool
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM deployments d JOIN order_summaries o ON o.id = d.order_id
			WHERE d.account_id = $1 AND d.name = $2 AND d.status NOT IN ('terminated', 'failed') AND o.client_key IS DISTINCT FROM $3)`, actor.ID, in.Name, in.ClientKey)
	}); err != nil {
		return nil, err
	}
	if taken {
		return nil, fiatdashboard.Invalid("name", "you already have a deployment called %s", in.Name)
	}
	desc := fmt.Sprintf("VM %s: %d vCPU, %d GB RAM, %d GB disk", in.Name, q.Spec.CPU, q.Spec.RAMGB, q.Spec.DiskGB)
	if plan != nil {
		desc = fmt.Sprintf("%s %s", app.Name, in.Name)
	}
	order, err := s.billing.Checkout(ctx, billing.CheckoutInput{QuoteInput: in.QuoteInput, PaymentMethod: in.PaymentMethod,
		ClientKey: in.ClientKey, Description: desc})
	if err != nil {
		return nil, err
	}
	tid, _ := tenant.IDFromContext(ctx)
	id := uuid.New()
	// An app keeps its order's own spec (with the rent Checkout priced):
	// what was paid for.
	spec, _ := json.Marshal(q.Spec)
	if plan != nil && len(order.Spec) > 0 {
		spec = []byte(order.Spec)
	}
	appConfig, _ := json.Marshal(cfg)
	node := &pick
	var d Deployment
	err = tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if in.Placement == "default" && capability != CapGPU {
			var err error
			if node, err = s.holdNode(ctx, tx, pick, q.Spec, eligible, capability); err != nil { // reserve.go
				return err
			}
		}
		// Concurrent retries of one form race to this insert: one wins, the
		// others wait for its commit and read its deployment.
		err := tx.GetContext(ctx, &d, `INSERT INTO deployments (id, tenant_id, account_id, order_id, name, image, spec, ssh_key, placement, node_id, backup, project, app, app_config)
			VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14::jsonb) ON CONFLICT (order_id) DO NOTHING RETURNING `+depColumns,
			id, tid, actor.ID, order.ID, in.Name, in.Image, string(spec), in.SSHKey, in.Placement, node, in.Backup, ProjectName(id), in.App, string(appConfig))
		if tenant.IsNoRows(err) {
			return tx.GetContext(ctx, &d, `SELECT `+depColumns+` FROM deployments WHERE order_id = $1`, order.ID) // a retried form
		}
		if err != nil {
			return err
		}
		if err := setOffer(ctx, tx, d.ID, offer); err != nil {
			return err
		}
		if offer == nil && capability != "" { // the app's own need
			if _, err := tx.ExecContext(ctx, `UPDATE deployments SET offer_capability = $2 WHERE id = $1`, d.ID, capability); err != nil {
				return err
			}
		}
		return addEvent(ctx, tx, tid, d.ID, AwaitingPayment, "order", "order placed; waiting for the payment")
	})
	if err != nil {
		return nil, err
	}
	// The payment may have been confirmed before the deployment existed.
	if order.Status == billing.OrderPaid {
		if err := s.OrderPaid(ctx, order.ID); err != nil {
			return nil, err
		}
	}
	return s.Get(ctx, d.ID)
}

// ProjectName is the grid project of a deployment: derived from its id, so
// every attempt to provision it finds what earlier ones created.
func ProjectName(id uuid.UUID) string { return "fd-" + id.String() }

// needOf is what the order's primary VM needs on its node (an app's data
// disk included).
func needOf(spec billing.Spec) grid.Resources {
	r := grid.Resources{CRU: spec.CPU, MRU: spec.RAMGB << 30, SRU: spec.DiskGB << 30}
	if spec.Plan != nil {
		for _, p := range spec.Plan.Parts {
			if p.Kind == billing.LineDisk {
				r.SRU += p.DiskGB << 30
			}
		}
	}
	return r
}

func slicesContainsNode(nodes []grid.Node, id uint32) bool {
	for _, n := range nodes {
		if n.ID == id {
			return true
		}
	}
	return false
}

func addEvent(ctx context.Context, tx *tenant.Tx, tid, id uuid.UUID, status, step, msg string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deployment_events (tenant_id, deployment_id, status, step, message) VALUES ($1, $2, $3, $4, $5)`, tid, id, status, step, msg)
	return err
}

// transition moves a deployment from one of the allowed states to `to` in
// one guarded update and writes its event; it reports whether it moved.
func (s *Service) transition(ctx context.Context, id uuid.UUID, to, step, msg string, set map[string]any) (bool, error) {
	moved := false
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var err error
		moved, err = transitionTx(ctx, tx, id, to, step, msg, set)
		return err
	})
	return moved, err
}

// transitionTx is transition inside tx, for moves that owe work in the
// same transaction.
func transitionTx(ctx context.Context, tx *tenant.Tx, id uuid.UUID, to, step, msg string, set map[string]any) (bool, error) {
	var from []string
	for f, tos := range transitions {
		for _, t := range tos {
			if t == to {
				from = append(from, f)
			}
		}
	}
	sort.Strings(from)
	tid, _ := tenant.IDFromContext(ctx)
	{
		q := `UPDATE deployments SET status = $2, updated_at = now()`
		args := []any{id, to, pqArray(from)}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			args = append(args, set[k])
			q += fmt.Sprintf(", %s = $%d", k, len(args))
		}
		res, err := tx.ExecContext(ctx, q+` WHERE id = $1 AND status = ANY($3)`, args...)
		if err != nil {
			return false, err
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			return false, nil
		}
		return true, addEvent(ctx, tx, tid, id, to, step, msg)
	}
}

// TaskDeploy provisions one deployment (task id deploy:<id>).
const TaskDeploy = "deploy:vm"

// DeployKey is the outbox key (and task id) of a deployment's provisioning.
func DeployKey(id uuid.UUID) string { return "deploy:" + id.String() }

// oweDeploy owes provisioning of id in tx; again owes it anew after an
// earlier provisioning was done (failover, replacement, retry).
func oweDeploy(ctx context.Context, tx *tenant.Tx, id uuid.UUID, again bool) error {
	return tenant.Owe(ctx, tx, tenant.OwedTask{Key: DeployKey(id), Type: TaskDeploy, Data: map[string]string{"id": id.String()}, Again: again})
}

// OrderPaidTx makes the order's deployment paid and owes its provisioning,
// inside tx. A replay changes nothing.
func (s *Service) OrderPaidTx(ctx context.Context, tx *tenant.Tx, orderID uuid.UUID) error {
	var id uuid.UUID
	err := tx.GetContext(ctx, &id, `SELECT id FROM deployments WHERE order_id = $1`, orderID)
	if tenant.IsNoRows(err) {
		return nil // not a deployment's order (or not recorded yet: Create checks again)
	}
	if err != nil {
		return err
	}
	moved, err := transitionTx(ctx, tx, id, Paid, "payment", "payment confirmed", nil)
	if err != nil || !moved {
		return err
	}
	return oweDeploy(ctx, tx, id, false)
}

// OrderPaid starts provisioning the deployment an order paid for (billing's
// TaskOrderPaid event, owed in the payment's transaction; Create when the
// payment came first): the deployment becomes paid and owes provisioning if it was not
// already, and the owed task is handed to the queue.
func (s *Service) OrderPaid(ctx context.Context, orderID uuid.UUID) error {
	var id uuid.UUID
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &id, `SELECT id FROM deployments WHERE order_id = $1`, orderID); err != nil {
			return err
		}
		return s.OrderPaidTx(ctx, tx, orderID)
	})
	if tenant.IsNoRows(err) {
		// Not a deployment's first order: perhaps the prorated charge of
		// a Kubernetes cluster's added workers (appworkers.go).
		_, err := s.upgradePaid(ctx, orderID)
		return err
	}
	if err != nil {
		return err
	}
	// Owed and committed: the queue is only the fast path now. Redis being
	// down delays provisioning (the outbox relay hands it over), nothing more.
	if err := s.enqueue.EnqueueDeploy(ctx, id); err != nil {
		s.log.Warn("deploy waits for the outbox relay", "deployment", id, "err", err)
	}
	return nil
}

// Get returns one of the customer's deployments (staff: any of the
// tenant's) with its order; ENOTFOUND otherwise.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*Deployment, error) {
	if err := s.authz.Require(ctx, "store/deployments", "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	staff := actor.Kind == tenant.ActorSystem || s.authz.Require(ctx, "admin/deployments", "read") == nil
	var d Deployment
	// One transaction: the row and, for people, what the detail page adds.
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &d, `SELECT `+depColumns+` FROM deployments WHERE id = $1 AND (account_id = $2 OR $3)`, id, actor.ID, staff); err != nil {
			return err
		}
		if actor.Kind == tenant.ActorSystem {
			return nil
		}
		return s.detail(ctx, tx, &d)
	})
	if tenant.IsNoRows(err) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "deployment not found")
	}
	if err != nil {
		return nil, err
	}
	if actor.Kind != tenant.ActorSystem {
		if o, err := s.billing.Order(ctx, d.OrderID); err == nil {
			d.Order = o
		}
	}
	fillAccess(&d)
	return &d, nil
}

// List returns the customer's deployments (staff with all=true: every
// deployment of the tenant), newest first, before the cursor time.
func (s *Service) List(ctx context.Context, all bool, before time.Time, limit int) ([]Deployment, error) {
	obj := "store/deployments"
	if all {
		obj = "admin/deployments"
	}
	if err := s.authz.Require(ctx, obj, "read"); err != nil {
		return nil, err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	var out []Deployment
	// One query, joined, in one round trip (tenant.Read). Staff see each
	// server's customer and price; the customer's own page has no use for
	// the accounts join, and leaves it out (planning a join under row-level
	// security is most of such a page's cost in PostgreSQL). No ghost
	// servers: a server whose payment never succeeded and that was then
	// cancelled never existed; the customer's list leaves it out (staff
	// still see it).
	var err error
	if all {
		err = tenant.Read(ctx, s.db, &out, listStaff, before, limit)
	} else {
		err = tenant.Read(ctx, s.db, &out, listCustomer, before, limit, actor.ID)
	}
	for i := range out {
		fillAccess(&out[i])
	}
	return out, err
}

// listStaff and listCustomer are List's queries: $1 the cursor time, $2
// the limit, $3 the customer.
var (
	listStaff = `SELECT ` + prefixed("d.", depColumns) + `,
			a.email AS customer_email, o.amount_cents AS price_cents, o.currency, o.months
			FROM deployments d JOIN account_directory a ON a.id = d.account_id JOIN order_summaries o ON o.id = d.order_id
			WHERE d.created_at < $1
			ORDER BY d.created_at DESC LIMIT $2`
	listCustomer = `SELECT ` + prefixed("d.", depColumns) + `,
			'' AS customer_email, o.amount_cents AS price_cents, o.currency, o.months
			FROM deployments d JOIN order_summaries o ON o.id = d.order_id
			WHERE d.account_id = $3 AND d.created_at < $1
			  AND NOT (d.status = 'terminated' AND o.paid_at IS NULL)
			ORDER BY d.created_at DESC LIMIT $2`
)

// Events returns a deployment's events after the id (0: all), oldest first.
func (s *Service) Events(ctx context.Context, id uuid.UUID, after int64) ([]Event, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	var out []Event
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT id, status, step, message, created_at FROM deployment_events
			WHERE deployment_id = $1 AND id > $2 ORDER BY id LIMIT 200`, id, after)
	})
	return out, err
}

// Retry queues provisioning again for a deployment stuck in paid or
// provisioning (admin/deployments write).
func (s *Service) Retry(ctx context.Context, id uuid.UUID) error {
	if err := s.authz.Require(ctx, "admin/deployments", "write"); err != nil {
		return err
	}
	d, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if d.Status != Paid && d.Status != Provisioning {
		return fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "only a paid or provisioning deployment can be retried")
	}
	if err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error { return oweDeploy(ctx, tx, id, true) }); err != nil {
		return err
	}
	return s.enqueue.EnqueueDeploy(ctx, id)
}
