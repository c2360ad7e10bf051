package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/billing"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// appFlists are the apps' images (grid's constants: the TF dashboard's
// solutions, README "Apps").
var appFlists = map[string]string{
	AppNextcloud: grid.NextcloudFlist,
	AppOpenWebUI: grid.OpenWebUIFlist,
	AppLiveKit:   grid.LiveKitFlist,
}

// Where each app's gateway sends traffic on the VM: Nextcloud AIO and
// Open WebUI serve HTTP on port 80 behind the gateway's TLS (the TF
// dashboard's tf_nextcloud.vue and tf_openwebui.vue); LiveKit's
// signalling API listens on 7880.
var appBackendPort = map[string]int{AppNextcloud: 80, AppOpenWebUI: 80, AppLiveKit: 7880}

// saveState stores what provisioning chose for the app (merged into
// app_state), so a retry finds it.
func (s *Service) saveState(ctx context.Context, d *Deployment, st appState) error {
	b, _ := json.Marshal(st)
	d.AppState = b
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deployments SET app_state = app_state || $2::jsonb WHERE id = $1`, d.ID, string(b))
		return err
	})
}

// provisionApp takes a paid app deployment to running: like Provision for
// a VM, exactly once in effect — the project is named after the
// deployment, every choice (nodes, the gateway name, the secrets) is
// stored before the grid is asked, and every grid call is idempotent by
// the project.
func (s *Service) provisionApp(ctx context.Context, d *Deployment, g grid.Grid) error {
	var spec billing.Spec
	json.Unmarshal(d.Spec, &spec)
	var cfg AppConfig
	json.Unmarshal(d.AppConfig, &cfg)
	var st appState
	json.Unmarshal(d.AppState, &st)
	sec, err := s.secretsOf(ctx, d)
	if err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	node, err := s.placeVM(ctx, d, needOf(spec), nil)
	if err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	set := map[string]any{}
	if d.App == AppKubernetes {
		p, err := s.deployCluster(ctx, g, d, spec, cfg, &st, sec, node)
		if err != nil {
			return s.failOrRetry(ctx, g, d, err)
		}
		if p.K8s != nil {
			set["ipv4"], set["ipv6"], set["mycelium"] = strings.Split(p.K8s.Master.PublicIPv4, "/")[0], p.K8s.Master.PublicIPv6, p.K8s.Master.MyceliumIP
		}
		_, err = s.transition(ctx, d.ID, Running, "running", fmt.Sprintf("your cluster is running: a control plane and %d workers", len(st.Workers)), set)
		return err
	}
	// An app on a VM, reached through a gateway name. The gateway's node
	// and name come first: the app is told its domain when it starts.
	if st.FQDN == "" && (st.Gateway == "" || st.GatewayNode == 0) {
		// The storefront's apps domain, when it has one: an FQDN gateway at
		// https://<name>.<apps domain> on its gateway node (no name contract).
		ad, err := s.appsDomain(ctx)
		if err != nil {
			return err
		}
		if ad.Domain != "" {
			fqdn, err := s.appHost(ctx, d, ad.Domain)
			if err != nil {
				return err
			}
			st.FQDN, st.GatewayNode, st.URL = fqdn, ad.GatewayNode, "https://"+fqdn
			if err := s.saveState(ctx, d, st); err != nil {
				return err
			}
		}
	}
	if st.FQDN == "" && (st.Gateway == "" || st.GatewayNode == 0) {
		gw, err := s.gatewayNode(ctx, g)
		if err != nil {
			return s.failOrRetry(ctx, g, d, err)
		}
		st.Gateway, st.GatewayNode, st.URL = gatewayName(d), gw.ID, grid.GatewayURL(gatewayName(d), gw.GatewayDomain)
		if err := s.saveState(ctx, d, st); err != nil {
			return err
		}
	}
	domain := strings.TrimPrefix(st.URL, "https://")
	vm := grid.VMSpec{Name: "vm", NodeID: node, Flist: appFlists[d.App], CPU: spec.CPU, Memory: spec.RAMGB << 30, RootFS: spec.DiskGB << 30,
		SSHKeys: []string{d.SSHKey}, PublicIPv4: spec.IPv4, Mycelium: true, Env: map[string]string{"SSH_KEY": d.SSHKey}}
	switch d.App {
	case AppNextcloud:
		// The TF dashboard's Nextcloud: zinit starts AIO; the files live on
		// the data disk at /mnt/data.
		vm.Entrypoint = "/sbin/zinit init"
		for _, p := range spec.Plan.Parts {
			if p.Kind == billing.LineDisk {
				vm.Disks = append(vm.Disks, grid.Disk{Name: "data", Size: p.DiskGB << 30, MountPoint: "/mnt/data"})
			}
		}
		// As the TF dashboard's tf_nextcloud.vue sets them: the AIO setup
		// page at <domain>/aio creates the admin account.
		vm.Env["NEXTCLOUD_DOMAIN"], vm.Env["NEXTCLOUD_AIO_LINK"], vm.Env["GATEWAY"], vm.Env["IPV4"] = domain, domain+"/aio", "true", strconv.FormatBool(spec.IPv4)
	case AppOpenWebUI:
		vm.Env["OPENWEBUI_DOMAIN"], vm.Env["OLLAMA_MODEL"], vm.Env["WEBUI_SECRET_KEY"] = domain, cfg.str("model"), sec.WebUIKey
	case AppLiveKit:
		// The hub has no LiveKit image: the grid installs and configures
		// livekit-server on the Ubuntu VM at first boot (grid.LiveKitSetup,
		// over SSH; the key and secret never go into the VM's environment).
		vm.Env["LIVEKIT_DOMAIN"] = domain
		vm.Setup = grid.LiveKitSetup(sec.Shown[0].Value, sec.Shown[1].Value, domain)
	}
	if err := s.rentIfNeeded(ctx, d, &vm); err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	p, err := g.DeployVM(ctx, d.Project, vm)
	if len(p.Contracts) > 0 {
		s.record(ctx, d, p, "vm", fmt.Sprintf("%s VM created on node %d", Apps[d.App].Name, node))
	}
	if err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	if len(vm.GPUs) > 0 {
		if err := s.recordGPUs(ctx, d, p); err != nil {
			return err
		}
	}
	primary, _ := p.VM("vm")
	backend := primary.MyceliumIP
	if backend == "" {
		backend = primary.PublicIPv6
	}
	gs := grid.GatewaySpec{NodeID: st.GatewayNode, Name: st.Gateway, FQDN: st.FQDN,
		Backends: []string{fmt.Sprintf("http://[%s]:%d", backend, appBackendPort[d.App])}}
	if st.FQDN != "" {
		gs.Name = ""
	}
	p, err = g.DeployGateway(ctx, d.Project, gs)
	if len(p.Contracts) > 0 {
		s.record(ctx, d, p, "gateway", "HTTPS gateway "+st.URL+" created")
	}
	if err != nil {
		return s.failOrRetry(ctx, g, d, err)
	}
	for _, gw := range p.Gateways {
		if st.FQDN == "" && gw.Name == st.Gateway && gw.URL != "" && gw.URL != st.URL {
			st.URL = gw.URL
			if err := s.saveState(ctx, d, st); err != nil {
				return err
			}
		}
	}
	set["ipv4"], set["ipv6"], set["mycelium"] = strings.Split(primary.PublicIPv4, "/")[0], primary.PublicIPv6, primary.MyceliumIP
	_, err = s.transition(ctx, d.ID, Running, "running", fmt.Sprintf("%s is running at %s", Apps[d.App].Name, st.URL), set)
	return err
}

// gatewayNode picks an up gateway node (one with a public config and a
// domain) of the grid: the lowest id, so retries agree.
func (s *Service) gatewayNode(ctx context.Context, g grid.Grid) (grid.Node, error) {
	page, err := g.ListNodes(ctx, grid.NodeFilter{Gateway: true, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: 20}})
	if err != nil {
		return grid.Node{}, err
	}
	for _, n := range page.Nodes {
		if n.GatewayDomain != "" {
			return n, nil
		}
	}
	return grid.Node{}, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "no gateway node is up right now")
}

// workerNodes returns the cluster's workers: the stored ones, and new ones
// (worker<N> with the next free numbers) placed on eligible nodes with
// room, spread over nodes where possible, until there are want.
func (s *Service) workerNodes(ctx context.Context, d *Deployment, spec billing.Spec, st *appState, want int, master uint32, avoid ...uint32) ([]grid.K8sNode, error) {
	var size billing.PlanPart
	for _, p := range spec.Plan.Parts {
		if p.Kind == billing.LineWorker {
			size = p
		}
	}
	need := grid.Resources{CRU: size.CPU, MRU: size.RAMGB << 30, SRU: size.DiskGB << 30}
	if len(st.Workers) > want {
		st.Workers = st.Workers[:want] // the newest go first; stored once the grid removed them
	}
	added := len(st.Workers) < want
	if added {
		nodes, err := s.EligibleForCapability(ctx, need, false, "")
		if err != nil {
			return nil, err
		}
		next := 1
		for _, w := range st.Workers {
			if n, err := strconv.Atoi(strings.TrimPrefix(w.Name, "worker")); err == nil && n >= next {
				next = n + 1
			}
		}
		for len(st.Workers) < want {
			used := append([]uint32{master}, avoid...)
			for _, w := range st.Workers {
				used = append(used, w.NodeID)
			}
			node, ok := s.bestNode(ctx, nodes, need, func(n grid.Node) bool { return !slices.Contains(used, n.ID) && !wholeNodeOnly(n) })
			if !ok {
				node, ok = s.bestNode(ctx, nodes, need, func(n grid.Node) bool { return !wholeNodeOnly(n) && !slices.Contains(avoid, n.ID) })
			}
			if !ok {
				return nil, fiatdashboard.Errorf(fiatdashboard.ECONFLICT, "no node in the pool has room for another worker")
			}
			st.Workers = append(st.Workers, Worker{Name: fmt.Sprintf("worker%d", next), NodeID: node, Status: Provisioning})
			next++
		}
	}
	if added {
		// Placed before the grid is asked: a retry deploys the same workers.
		if err := s.saveState(ctx, d, appState{Workers: st.Workers}); err != nil {
			return nil, err
		}
	}
	out := make([]grid.K8sNode, len(st.Workers))
	for i, w := range st.Workers {
		out[i] = grid.K8sNode{Name: w.Name, NodeID: w.NodeID, CPU: size.CPU, Memory: size.RAMGB << 30, DiskSize: size.DiskGB << 30}
	}
	return out, nil
}

// deployCluster deploys a Kubernetes app's k3s cluster (grid-client's
// K8sDeployer through the grid port): the control plane on the placed
// node, the workers on theirs, one network.
func (s *Service) deployCluster(ctx context.Context, g grid.Grid, d *Deployment, spec billing.Spec, cfg AppConfig, st *appState, sec *appSecrets, node uint32) (grid.Project, error) {
	workers, err := s.workerNodes(ctx, d, spec, st, int(cfg.num("workers")), node)
	if err != nil {
		return grid.Project{}, err
	}
	ks := grid.K8sSpec{Master: grid.K8sNode{Name: "master", NodeID: node, CPU: spec.CPU, Memory: spec.RAMGB << 30, DiskSize: spec.DiskGB << 30, PublicIPv4: spec.IPv4},
		Workers: workers, Token: sec.K3sToken, SSHKeys: []string{d.SSHKey}, Flist: grid.K3sFlist}
	p, err := g.DeployKubernetes(ctx, d.Project, ks)
	if len(p.Contracts) > 0 {
		s.record(ctx, d, p, "vm", fmt.Sprintf("k3s cluster created: control plane on node %d, %d workers", node, len(workers)))
	}
	if err != nil {
		return p, err
	}
	for i := range st.Workers {
		st.Workers[i].Status = Running
	}
	return p, s.saveState(ctx, d, appState{Workers: st.Workers})
}

// resizeCluster brings a running cluster to the worker count its config
// says (SetWorkers changed it): new workers are placed and added, extra
// ones removed, the control plane untouched; the removed workers'
// contracts are marked cancelled.
func (s *Service) resizeCluster(ctx context.Context, d *Deployment) error {
	return s.reshapeCluster(ctx, d, nil)
}

// reshapeCluster is resizeCluster that also replaces the workers lost
// (their node went offline): they leave the cluster and new workers, with
// new names (ZOS never updates a running VM, so a worker keeps its spec),
// take their places on nodes that are up.
func (s *Service) reshapeCluster(ctx context.Context, d *Deployment, lost func(Worker) bool) error {
	var spec billing.Spec
	json.Unmarshal(d.Spec, &spec)
	var cfg AppConfig
	json.Unmarshal(d.AppConfig, &cfg)
	var st appState
	json.Unmarshal(d.AppState, &st)
	want := int(cfg.num("workers"))
	var avoid []uint32
	if lost != nil {
		for _, w := range st.Workers {
			if lost(w) {
				avoid = append(avoid, w.NodeID)
			}
		}
		st.Workers = slices.DeleteFunc(st.Workers, lost)
	}
	if (len(st.Workers) == want && lost == nil) || d.NodeID == nil {
		return nil
	}
	g, err := s.gridFor(ctx)
	if err != nil {
		return err
	}
	have := len(st.Workers)
	workers, err := s.workerNodes(ctx, d, spec, &st, want, *d.NodeID, avoid...)
	if err != nil {
		return err
	}
	p, err := g.SetK8sWorkers(ctx, d.Project, workers)
	if len(p.Contracts) > 0 {
		if rerr := s.RecordContracts(ctx, d.Project, p.Contracts); rerr != nil {
			return rerr
		}
	}
	if err != nil {
		return fmt.Errorf("workers of %s: %w", d.ID, err)
	}
	live := p.ContractIDs()
	for i := range st.Workers {
		st.Workers[i].Status = Running
	}
	tid, _ := tenant.IDFromContext(ctx)
	b, _ := json.Marshal(appState{Workers: st.Workers})
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		// ids are int64 in the table.
		ids := make([]int64, len(live))
		for i, id := range live {
			ids[i] = int64(id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE grid_contracts SET canceled_at = now() WHERE project = $1 AND canceled_at IS NULL AND NOT contract_id = ANY($2)`,
			d.Project, pq.Array(ids)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deployments SET app_state = app_state || $2::jsonb, updated_at = now() WHERE id = $1`, d.ID, string(b)); err != nil {
			return err
		}
		return addEvent(ctx, tx, tid, d.ID, Running, "workers", fmt.Sprintf("the cluster has %d workers (was %d)", len(st.Workers), have))
	})
}

// checkWorkers replaces the workers of running clusters whose node went
// offline (the health job): the control plane is watched like a VM's
// primary; a lost worker is removed and a new one placed elsewhere. It
// returns how many clusters it repaired.
func (s *Service) checkWorkers(ctx context.Context, h *nodeHealth) (int, error) {
	var rows []struct {
		ID       uuid.UUID `db:"id"`
		TenantID uuid.UUID `db:"tenant_id"`
		State    []byte    `db:"app_state"`
	}
	err := tenant.SystemTx(ctx, s.db, "job: cluster workers health", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT id, tenant_id, app_state FROM deployments WHERE status = 'running' AND app = 'kubernetes' ORDER BY id LIMIT 5000`)
	})
	if err != nil {
		return 0, err
	}
	repaired := 0
	for _, r := range rows {
		var st appState
		json.Unmarshal(r.State, &st)
		var down []string
		for _, w := range st.Workers {
			if h.isDown(ctx, w.NodeID) {
				down = append(down, fmt.Sprintf("%s (node %d)", w.Name, w.NodeID))
			}
		}
		if len(down) == 0 {
			continue
		}
		tctx := tenant.WithID(tenant.WithActor(ctx, tenant.System("health")), r.TenantID)
		d, err := s.Get(tctx, r.ID)
		if err != nil {
			return repaired, err
		}
		if err := s.reshapeCluster(tctx, d, func(w Worker) bool { return h.isDown(ctx, w.NodeID) }); err != nil {
			s.log.Error("replace lost workers", "deployment", r.ID, "err", err)
			continue
		}
		tenant.InTx(tctx, s.db, func(tx *tenant.Tx) error {
			return addEvent(tctx, tx, r.TenantID, r.ID, Running, "workers", "replaced workers whose node went offline: "+strings.Join(down, ", "))
		})
		repaired++
	}
	return repaired, nil
}
