package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
)

// App keys (issue 19). AppVM is the plain server every deployment was
// before apps; its path through Create and Provision is unchanged.
const (
	AppVM         = "vm"
	AppKubernetes = "kubernetes"
	AppNextcloud  = "nextcloud"
	AppOpenWebUI  = "openwebui"
	AppLiveKit    = "livekit"
)

// AppKeys are the apps in catalog order: vm first.
var AppKeys = []string{AppVM, AppKubernetes, AppNextcloud, AppOpenWebUI, AppLiveKit}

// Field is one input of an app's form, as GET /api/apps describes it.
type Field struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Kind     string   `json:"kind"` // text, number, select or bool
	Help     string   `json:"help"`
	Required bool     `json:"required"`
	Default  any      `json:"default"`
	Min      *int64   `json:"min,omitempty"`
	Max      *int64   `json:"max,omitempty"`
	Options  []Option `json:"options,omitempty"`
}

// Option is one choice of a select field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// AppConfig is an app's form values after validation (non-secret; stored
// as deployments.app_config).
type AppConfig map[string]any

func (c AppConfig) str(k string) string {
	s, _ := c[k].(string)
	return s
}

func (c AppConfig) num(k string) int64 {
	switch v := c[k].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case int:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

func (c AppConfig) flag(k string) bool {
	b, _ := c[k].(bool)
	return b
}

// App is a product a storefront sells: a form, a resource plan from the
// form, and (provision_apps.go) a deploy task, an access panel and a
// cancel path.
type App struct {
	Key     string
	Name    string
	Summary string
	// Requires is the node capability the app's VM needs: gpu (Open WebUI
	// rents a GPU node), bandwidth (LiveKit needs a public IPv4) or "".
	Requires string
	fields   func(sizes []billing.Size) []Field
	plan     func(cfg AppConfig, sizes []billing.Size) *billing.Plan
}

// LiveKit's ports (docs.livekit.io/home/self-hosting/ports-firewall): the
// API and WebSocket on 7880/tcp, ICE over TCP on 7881, and the RTP media
// range over UDP.
var liveKitPorts = []Port{
	{Label: "Signalling (HTTP/WebSocket)", Value: "7880/tcp"},
	{Label: "WebRTC over TCP", Value: "7881/tcp"},
	{Label: "WebRTC media (RTP)", Value: "50000-60000/udp"},
}

// Open WebUI's models: pulled by its bundled model server on first start.
var openWebUIModels = []Option{
	{Value: "llama3.2:3b", Label: "Llama 3.2 3B"},
	{Value: "qwen2.5:7b", Label: "Qwen 2.5 7B"},
	{Value: "mistral:7b", Label: "Mistral 7B"},
}

func i64(v int64) *int64 { return &v }

func sizeOptions(sizes []billing.Size) []Option {
	out := make([]Option, 0, len(sizes))
	for _, z := range sizes {
		out = append(out, Option{Value: z.ID, Label: fmt.Sprintf("%s: %d vCPU, %d GB RAM, %d GB disk", z.Name, z.CPU, z.RAMGB, z.DiskGB)})
	}
	return out
}

// defaultSize is the preset the form starts with: want, or the middle one.
func defaultSize(sizes []billing.Size, want string) string {
	for _, z := range sizes {
		if z.ID == want {
			return z.ID
		}
	}
	if len(sizes) == 0 {
		return ""
	}
	return sizes[len(sizes)/2].ID
}

func sizeOf(sizes []billing.Size, id string) billing.Size {
	for _, z := range sizes {
		if z.ID == id {
			return z
		}
	}
	return billing.Size{}
}

func vmLabel(what string, z billing.Size) string {
	return fmt.Sprintf("%s: %d vCPU, %d GB RAM, %d GB disk", what, z.CPU, z.RAMGB, z.DiskGB)
}

// Nextcloud's VM (the ThreeFold dashboard's Nextcloud solution deploys 2
// vCPU / 4 GB; the root disk holds the system, the data disk the files).
const (
	nextcloudCPU    = 2
	nextcloudRAMGB  = 4
	nextcloudDiskGB = 50
)

// Open WebUI's VM on the rented GPU node.
const (
	openWebUICPU   = 4
	openWebUIRAMGB = 16
)

const gatewayLabel = "Gateway name (HTTPS address under the gateway's domain)"

// Apps are the apps the platform knows, by key.
var Apps = map[string]*App{
	AppVM: {Key: AppVM, Name: "Virtual machine", Summary: "A Linux server with root SSH access, on nodes you pick or we choose.",
		fields: func([]billing.Size) []Field { return []Field{} }},
	AppKubernetes: {Key: AppKubernetes, Name: "Kubernetes", Summary: "A k3s cluster: one control plane and 1 to 5 workers, kubeconfig ready to download.",
		fields: func(sizes []billing.Size) []Field {
			return []Field{
				{Key: "master_size", Label: "Control plane size", Kind: "select", Required: true, Default: defaultSize(sizes, "medium"), Options: sizeOptions(sizes)},
				{Key: "master_ipv4", Label: "Public IPv4 on the control plane", Kind: "bool", Default: false, Help: "Reach the API server on a public address (otherwise over Mycelium/IPv6)."},
				{Key: "workers", Label: "Workers", Kind: "number", Required: true, Default: 1, Min: i64(1), Max: i64(5), Help: "You can add or remove workers later."},
				{Key: "worker_size", Label: "Worker size", Kind: "select", Required: true, Default: defaultSize(sizes, "medium"), Options: sizeOptions(sizes)},
			}
		},
		plan: func(cfg AppConfig, sizes []billing.Size) *billing.Plan {
			m, w, n := sizeOf(sizes, cfg.str("master_size")), sizeOf(sizes, cfg.str("worker_size")), cfg.num("workers")
			p := &billing.Plan{App: AppKubernetes, Parts: []billing.PlanPart{
				{Kind: billing.LineVM, Label: vmLabel("Control plane", m), CPU: m.CPU, RAMGB: m.RAMGB, DiskGB: m.DiskGB},
				{Kind: billing.LineWorker, Label: fmt.Sprintf("Workers ×%d · %d vCPU, %d GB RAM, %d GB disk each", n, w.CPU, w.RAMGB, w.DiskGB), Count: int(n), CPU: w.CPU, RAMGB: w.RAMGB, DiskGB: w.DiskGB},
			}}
			if cfg.flag("master_ipv4") {
				p.Parts = append(p.Parts, billing.PlanPart{Kind: billing.LineIPv4, Label: "Public IPv4 address (control plane)"})
			}
			return p
		}},
	AppNextcloud: {Key: AppNextcloud, Name: "Nextcloud", Summary: "Your own file sync and share cloud, with its data disk, behind an HTTPS gateway.",
		fields: func([]billing.Size) []Field {
			return []Field{{Key: "storage_gb", Label: "Storage (GB)", Kind: "number", Required: true, Default: 50, Min: i64(50), Max: i64(2000), Help: "The data disk for your files."}}
		},
		plan: func(cfg AppConfig, _ []billing.Size) *billing.Plan {
			return &billing.Plan{App: AppNextcloud, Parts: []billing.PlanPart{
				{Kind: billing.LineVM, Label: vmLabel("Nextcloud VM", billing.Size{CPU: nextcloudCPU, RAMGB: nextcloudRAMGB, DiskGB: nextcloudDiskGB}), CPU: nextcloudCPU, RAMGB: nextcloudRAMGB, DiskGB: nextcloudDiskGB},
				{Kind: billing.LineDisk, Label: fmt.Sprintf("Data disk: %d GB", cfg.num("storage_gb")), DiskGB: uint64(cfg.num("storage_gb"))},
				{Kind: billing.LineGateway, Label: gatewayLabel},
			}}
		}},
	AppOpenWebUI: {Key: AppOpenWebUI, Name: "Open WebUI", Summary: "A private AI chat with a local model server, on a GPU node rented whole for you.", Requires: CapGPU,
		fields: func([]billing.Size) []Field {
			return []Field{
				{Key: "model", Label: "Model", Kind: "select", Required: true, Default: openWebUIModels[0].Value, Options: openWebUIModels, Help: "Pulled on first start; add more from Open WebUI's admin settings."},
				{Key: "disk_gb", Label: "Disk for models (GB)", Kind: "number", Required: true, Default: 100, Min: i64(50), Max: i64(1000)},
			}
		},
		plan: func(cfg AppConfig, _ []billing.Size) *billing.Plan {
			z := billing.Size{CPU: openWebUICPU, RAMGB: openWebUIRAMGB, DiskGB: uint64(cfg.num("disk_gb"))}
			return &billing.Plan{App: AppOpenWebUI, Parts: []billing.PlanPart{
				{Kind: billing.LineVM, Label: vmLabel("Open WebUI VM", z), CPU: z.CPU, RAMGB: z.RAMGB, DiskGB: z.DiskGB},
				{Kind: billing.LineGateway, Label: gatewayLabel},
			}}
		}},
	AppLiveKit: {Key: AppLiveKit, Name: "LiveKit", Summary: "Video conferencing server (WebRTC SFU) with a public IPv4 on a high-bandwidth node.", Requires: CapBandwidth,
		fields: func(sizes []billing.Size) []Field {
			return []Field{{Key: "size", Label: "Server size", Kind: "select", Required: true, Default: defaultSize(sizes, "medium"), Options: sizeOptions(sizes)}}
		},
		plan: func(cfg AppConfig, sizes []billing.Size) *billing.Plan {
			z := sizeOf(sizes, cfg.str("size"))
			return &billing.Plan{App: AppLiveKit, Parts: []billing.PlanPart{
				{Kind: billing.LineVM, Label: vmLabel("LiveKit VM", z), CPU: z.CPU, RAMGB: z.RAMGB, DiskGB: z.DiskGB},
				{Kind: billing.LineIPv4, Label: "Public IPv4 address (media)"},
				{Kind: billing.LineGateway, Label: gatewayLabel + " for signalling"},
			}}
		}},
}

// appOf returns the app of a key ("" is vm); EINVALID on field app.
func appOf(key string) (*App, error) {
	if key == "" {
		key = AppVM
	}
	a, ok := Apps[key]
	if !ok {
		return nil, fiatdashboard.Invalid("app", "app is one of %s", strings.Join(AppKeys, ", "))
	}
	return a, nil
}

// parseConfig validates raw form values against the app's fields: unknown
// keys, wrong types and out-of-range values are EINVALID naming
// app_config.<field>; missing values take the field's default.
func (a *App) parseConfig(raw json.RawMessage, sizes []billing.Size) (AppConfig, error) {
	in := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fiatdashboard.Invalid("app_config", "app_config is an object of the form's fields")
		}
	}
	fields := a.fields(sizes)
	known := map[string]bool{}
	for _, f := range fields {
		known[f.Key] = true
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return nil, fiatdashboard.Invalid("app_config."+k, "%s has no field %q", a.Name, k)
		}
	}
	cfg := AppConfig{}
	for _, f := range fields {
		name := "app_config." + f.Key
		v, ok := in[f.Key]
		if !ok || string(v) == "null" {
			cfg[f.Key] = f.Default
			continue
		}
		switch f.Kind {
		case "number":
			var n json.Number
			d := json.NewDecoder(bytes.NewReader(v))
			d.UseNumber()
			if err := d.Decode(&n); err != nil {
				return nil, fiatdashboard.Invalid(name, "%s is a whole number", f.Label)
			}
			x, err := n.Int64()
			if err != nil {
				return nil, fiatdashboard.Invalid(name, "%s is a whole number", f.Label)
			}
			if (f.Min != nil && x < *f.Min) || (f.Max != nil && x > *f.Max) {
				return nil, fiatdashboard.Invalid(name, "%s is %d to %d", f.Label, *f.Min, *f.Max)
			}
			cfg[f.Key] = x
		case "bool":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return nil, fiatdashboard.Invalid(name, "%s is true or false", f.Label)
			}
			cfg[f.Key] = b
		case "select":
			var s string
			if err := json.Unmarshal(v, &s); err != nil || !slices.ContainsFunc(f.Options, func(o Option) bool { return o.Value == s }) {
				vals := make([]string, len(f.Options))
				for i, o := range f.Options {
					vals[i] = o.Value
				}
				return nil, fiatdashboard.Invalid(name, "%s is one of %s", f.Label, strings.Join(vals, ", "))
			}
			cfg[f.Key] = s
		default:
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fiatdashboard.Invalid(name, "%s is text", f.Label)
			}
			cfg[f.Key] = strings.TrimSpace(s)
		}
		if f.Required && cfg[f.Key] == "" {
			return nil, fiatdashboard.Invalid(name, "%s is required", f.Label)
		}
	}
	// Numbers as int64 from here on (defaults are ints).
	for k, v := range cfg {
		if n, ok := v.(int); ok {
			cfg[k] = int64(n)
		}
	}
	return cfg, nil
}

// sizes are the storefront's size presets (the apps' size fields).
func (s *Service) sizes(ctx context.Context) ([]billing.Size, error) {
	cat, err := s.billing.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]billing.Size, len(cat.Sizes))
	for i, z := range cat.Sizes {
		out[i] = z.Size
	}
	return out, nil
}

// appPlan validates an app order's form and returns its normalized config
// and plan; EINVALID names app or app_config.<field>, and refuses an app
// the storefront does not sell.
func (s *Service) appPlan(ctx context.Context, key string, raw json.RawMessage) (*App, AppConfig, *billing.Plan, error) {
	a, err := appOf(key)
	if err != nil {
		return nil, nil, nil, err
	}
	settings, err := s.billing.AppSettings(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if st, ok := settings[a.Key]; ok && !st.Enabled {
		return nil, nil, nil, fiatdashboard.Invalid("app", "this storefront does not sell %s", a.Name)
	}
	if a.Key == AppVM {
		return a, AppConfig{}, nil, nil
	}
	sizes, err := s.sizes(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := a.parseConfig(raw, sizes)
	if err != nil {
		return nil, nil, nil, err
	}
	plan := a.plan(cfg, sizes)
	ad, err := s.appsDomain(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if ad.Domain != "" {
		plan = withoutGatewayName(plan)
	}
	return a, cfg, plan, nil
}

// withoutGatewayName drops the gateway name line of a plan whose gateway
// is an FQDN gateway under the storefront's apps domain. Such a gateway
// has no name contract, only a node contract for a gateway-fqdn-proxy
// workload, which reserves no capacity (ZOS: the gateway workload types
// report zero capacity), and tfchain bills a node contract for the
// capacity its deployment reserves, its public IPs and the network units
// the node reports (amount_unbilled, traffic: usage, not a fixed monthly
// part, as for the app's VM) — pallet-smart-contract cost.rs
// calculate_contract_cost; the unique name price is billed for
// NameContract alone. So the gateway has no monthly line.
func withoutGatewayName(p *billing.Plan) *billing.Plan {
	if p == nil {
		return nil
	}
	out := &billing.Plan{App: p.App, Parts: make([]billing.PlanPart, 0, len(p.Parts))}
	for _, part := range p.Parts {
		if part.Kind != billing.LineGateway {
			out.Parts = append(out.Parts, part)
		}
	}
	return out
}

// CatalogApp is an app as the storefront's catalog shows it.
type CatalogApp struct {
	Key              string        `json:"key"`
	Name             string        `json:"name"`
	Summary          string        `json:"summary"`
	FromMonthlyCents billing.Cents `json:"from_monthly_cents"`
	Currency         string        `json:"currency"`
	Requires         string        `json:"requires"`
	Fields           []Field       `json:"fields"`
}

// fromPrice is an app's monthly price with its form's defaults (the
// smallest size for vm); 0 when it cannot be priced now (no GPU node free
// for Open WebUI's rent).
func (s *Service) fromPrice(ctx context.Context, a *App, cat *billing.Catalog) billing.Cents {
	if a.Key == AppVM {
		var low billing.Cents
		for _, z := range cat.Sizes {
			if low == 0 || z.MonthlyCents < low {
				low = z.MonthlyCents
			}
		}
		return low
	}
	q, err := s.Quote(ctx, QuoteInput{App: a.Key}, true)
	if err != nil {
		return 0
	}
	return q.MonthlyCents
}

// Catalog lists the apps the storefront sells, vm first, with their forms
// and from-prices; public.
func (s *Service) AppCatalog(ctx context.Context) ([]CatalogApp, error) {
	settings, err := s.billing.AppSettings(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := s.billing.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	sizes := make([]billing.Size, len(cat.Sizes))
	for i, z := range cat.Sizes {
		sizes[i] = z.Size
	}
	out := []CatalogApp{}
	for _, k := range AppKeys {
		a := Apps[k]
		if st, ok := settings[k]; ok && !st.Enabled {
			continue
		}
		if k != AppVM && cat.Currency != "usd" {
			continue // apps are priced from the grid's USD cost
		}
		out = append(out, CatalogApp{Key: a.Key, Name: a.Name, Summary: a.Summary, Currency: cat.Currency, Requires: a.Requires,
			Fields: a.fields(sizes), FromMonthlyCents: s.fromPrice(ctx, a, cat)})
	}
	return out, nil
}

// AdminApp is an app as the tenant's admin page shows it.
type AdminApp struct {
	Key              string        `json:"key"`
	Name             string        `json:"name"`
	Enabled          bool          `json:"enabled"`
	MarginBPS        *int64        `json:"margin_bps"`
	FromMonthlyCents billing.Cents `json:"from_monthly_cents"`
}

// AdminApps lists every app with the storefront's settings (admin/pricing
// read).
func (s *Service) AdminApps(ctx context.Context) ([]AdminApp, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "read"); err != nil {
		return nil, err
	}
	settings, err := s.billing.AppSettings(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := s.billing.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AdminApp, 0, len(AppKeys))
	for _, k := range AppKeys {
		a := Apps[k]
		st, ok := settings[k]
		if !ok {
			st.Enabled = true
		}
		var from billing.Cents
		if st.Enabled {
			from = s.fromPrice(ctx, a, cat)
		}
		out = append(out, AdminApp{Key: k, Name: a.Name, Enabled: st.Enabled, MarginBPS: st.MarginBPS, FromMonthlyCents: from})
	}
	return out, nil
}

// AppSettingInput is the admin's change of one app.
type AppSettingInput struct {
	Enabled   bool   `json:"enabled"`
	MarginBPS *int64 `json:"margin_bps"`
}

// SaveApp sets whether the storefront sells an app and its margin
// (admin/pricing write). ENOTFOUND for an unknown app; EINVALID on enabled
// for vm (the plain server is always sold) and on margin_bps.
func (s *Service) SaveApp(ctx context.Context, key string, in AppSettingInput) (*AdminApp, error) {
	if err := s.authz.Require(ctx, "admin/pricing", "write"); err != nil {
		return nil, err
	}
	a, ok := Apps[key]
	if !ok {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "no app %q", key)
	}
	if key == AppVM && !in.Enabled {
		return nil, fiatdashboard.Invalid("enabled", "the virtual machine is always on sale; other apps build on it")
	}
	st, err := s.billing.SaveAppSetting(ctx, billing.AppSetting{App: key, Enabled: in.Enabled, MarginBPS: in.MarginBPS})
	if err != nil {
		return nil, err
	}
	out := &AdminApp{Key: key, Name: a.Name, Enabled: st.Enabled, MarginBPS: st.MarginBPS}
	if st.Enabled {
		if cat, err := s.billing.Catalog(ctx); err == nil {
			out.FromMonthlyCents = s.fromPrice(ctx, a, cat)
		}
	}
	return out, nil
}

// gatewayNamePattern is tfchain's rule for a name contract's name
// (pallet-tfgrid: lowercase letters and digits, 1 to 50 of them, as the
// grid's gateway-name deployer validates it).
var gatewayNamePattern = regexp.MustCompile(`^[a-z0-9]{1,50}$`)

// gatewayName is a deployment's gateway name: its name's letters and
// digits and a piece of its id, unique chain-wide in practice (the chain
// refuses a taken one; provisioning stores the one it got).
func gatewayName(d *Deployment) string {
	var b strings.Builder
	for _, r := range d.Name {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() == 24 {
			break
		}
	}
	return b.String() + strings.ReplaceAll(d.ID.String(), "-", "")[:8]
}

// Access is what a deployment's page shows to reach the app.
type Access struct {
	URLs        []AccessURL `json:"urls"`
	Ports       []Port      `json:"ports"`
	Credentials string      `json:"credentials"` // available, shown or none
	Kubeconfig  bool        `json:"kubeconfig"`
}

// AccessURL is a link of the access panel.
type AccessURL struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Port is a port (or address) of the access panel.
type Port struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Worker is one worker of a Kubernetes cluster.
type Worker struct {
	Name   string `json:"name"`
	NodeID uint32 `json:"node_id"`
	Status string `json:"status"`
}

// appState is what provisioning chose for an app and finds again on a
// retry (deployments.app_state).
type appState struct {
	Gateway     string   `json:"gateway,omitempty"`      // the gateway name (name contract)
	FQDN        string   `json:"fqdn,omitempty"`         // or the FQDN gateway's domain under the storefront's apps domain
	GatewayNode uint32   `json:"gateway_node,omitempty"` // the gateway node
	URL         string   `json:"url,omitempty"`          // https://<name>.<gateway domain>
	Workers     []Worker `json:"workers,omitempty"`      // the cluster's workers, placed
	// Upgrade is the order paying for added workers (prorated); Want is
	// the worker count it pays for.
	Upgrade string `json:"upgrade,omitempty"`
	Want    int    `json:"want,omitempty"`
}

// appColumns are read with a deployment on top of depColumns.
const appColumns = `app, app_config, app_state, app_secret_enc IS NOT NULL AS has_secret, credentials_shown_at`

// fillAccess sets the deployment's access panel (and workers) from its
// app, its addresses and what provisioning stored.
func fillAccess(d *Deployment) {
	a := &Access{URLs: []AccessURL{}, Ports: []Port{}, Credentials: "none"}
	d.Access = a
	var st appState
	json.Unmarshal(d.AppState, &st)
	if d.App == AppKubernetes {
		d.Workers = st.Workers
		if d.Workers == nil {
			d.Workers = []Worker{}
		}
		if st.Upgrade != "" {
			d.WorkersPending = &WorkersPending{Count: st.Want, OrderID: st.Upgrade}
		}
	}
	if d.CredentialsShownAt != nil {
		a.Credentials = "shown"
	}
	if d.Status != Running && d.Status != Suspended {
		return
	}
	host := d.IPv4
	if host == "" && d.Mycelium != "" {
		host = "[" + d.Mycelium + "]"
	}
	switch d.App {
	case AppVM, "":
		if host != "" {
			a.Ports = append(a.Ports, Port{Label: "SSH", Value: "ssh root@" + strings.Trim(host, "[]")})
		}
	case AppKubernetes:
		a.Kubeconfig = true
		if host != "" {
			a.URLs = append(a.URLs, AccessURL{Label: "Kubernetes API", URL: "https://" + host + ":6443"})
			a.Ports = append(a.Ports, Port{Label: "SSH (control plane)", Value: "ssh root@" + strings.Trim(host, "[]")})
		}
	case AppNextcloud:
		if st.URL != "" {
			a.URLs = append(a.URLs, AccessURL{Label: "Nextcloud", URL: st.URL}, AccessURL{Label: "Nextcloud setup", URL: st.URL + "/aio"})
		}
		a.Ports = append(a.Ports, Port{Label: "First setup", Value: "open Nextcloud setup: it shows its passphrase once and creates your admin account"})
	case AppOpenWebUI:
		if st.URL != "" {
			a.URLs = append(a.URLs, AccessURL{Label: "Open WebUI", URL: st.URL})
		}
		a.Ports = append(a.Ports, Port{Label: "First sign-up", Value: "the first account created becomes the admin"})
	case AppLiveKit:
		if st.URL != "" {
			a.URLs = append(a.URLs, AccessURL{Label: "LiveKit signalling", URL: strings.Replace(st.URL, "https://", "wss://", 1)})
		}
		if d.IPv4 != "" {
			a.Ports = append(a.Ports, Port{Label: "Public IPv4", Value: d.IPv4})
		}
		a.Ports = append(a.Ports, liveKitPorts...)
	}
	if d.HasSecret && d.CredentialsShownAt == nil && showsCredentials(d.App) {
		a.Credentials = "available"
	}
}

// quoteApp prices an app's form as Create will charge it: the plan's
// lines, and for an app on a GPU node (Open WebUI, or any app of a GPU
// offer) the rent of the node it would take now.
func (s *Service) quoteApp(ctx context.Context, in QuoteInput, quote func(context.Context, billing.QuoteInput) (*billing.PriceQuote, error)) (*billing.PriceQuote, error) {
	app, _, plan, err := s.appPlan(ctx, in.App, in.AppConfig)
	if err != nil {
		return nil, err
	}
	in.QuoteInput.Plan, in.QuoteInput.Rent = plan, nil
	c := CreateInput{QuoteInput: in.QuoteInput, OfferID: in.OfferID, Placement: in.Placement, NodeID: in.NodeID, App: app.Key}
	if c.Placement == "" {
		c.Placement = "default"
	}
	offer, err := s.orderOffer(ctx, &c)
	if err != nil {
		return nil, err
	}
	capability := app.Requires
	if offer != nil {
		capability = offer.Capability
	}
	q, err := quote(ctx, in.QuoteInput)
	if err != nil || capability != CapGPU {
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
