package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestConsoleAccounts proves the console's Accounts page API: every
// platform account with its roles, 2FA, API tokens and sessions; search and
// pages; and that disabling one ends its sessions and tokens at once, is
// audited, is refused on oneself, and is undone by enabling.
func TestConsoleAccounts(t *testing.T) {
	w := newWorld(t)
	farmer := w.h.browser(t, "console.localhost")
	farmer.login("farmer@console.test", pw)
	tok := farmer.must(201, "POST", "/api/tokens", map[string]string{"name": "scripts"})
	token, _ := tok.body["token"].(string)

	root := rootOf(t, w)
	rows := pageItems(t, root.must(200, "GET", "/api/console/accounts", nil))
	if got := fmt.Sprint(pageEmails(rows)); got != "[farmer@console.test root@console.test]" {
		t.Fatalf("platform accounts = %s; want the two platform accounts, no tenant's", got)
	}
	f, rt := rows[0], rows[1]
	if fmt.Sprint(f["roles"]) != "[node_operator]" || f["api_tokens"] != 1.0 || f["active_sessions"] != 1.0 || f["mfa_enabled"] != false || f["disabled_at"] != nil {
		t.Errorf("farmer = %v; want node_operator, 1 API token, 1 session, no 2FA, enabled", f)
	}
	if fmt.Sprint(rt["roles"]) != "[super_admin]" || rt["mfa_enabled"] != true {
		t.Errorf("root = %v; want super_admin with 2FA", rt)
	}
	// Each account names the co-ops it is a member of (the tenant package
	// keeps co-op members; rbac asks it).
	if fmt.Sprint(f["coops"], rt["coops"]) != "[] []" {
		t.Errorf("co-ops of farmer and root = %v %v; want none yet", f["coops"], rt["coops"])
	}
	if _, err := w.h.db.Owner(t).Exec(`UPDATE tenants SET kind = 'coop' WHERE id = $1`, w.alpha.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.h.db.Owner(t).Exec(`INSERT INTO coop_members (tenant_id, account_id, email, role) VALUES ($1, $2, 'farmer@console.test', 'node_operator')`,
		w.alpha.ID, f["id"]); err != nil {
		t.Fatal(err)
	}
	withCoop := pageItems(t, root.must(200, "GET", "/api/console/accounts", nil))
	if got := fmt.Sprint(withCoop[0]["coops"], withCoop[1]["coops"]); got != "["+w.alpha.Name+"] []" {
		t.Errorf("co-ops of farmer and root = %s; want [%s] []", got, w.alpha.Name)
	}
	if got := fmt.Sprint(pageEmails(pageItems(t, root.must(200, "GET", "/api/console/accounts?q=FARM", nil)))); got != "[farmer@console.test]" {
		t.Errorf("search FARM = %s", got)
	}
	p1 := root.must(200, "GET", "/api/console/accounts?limit=1", nil)
	p2 := root.must(200, "GET", "/api/console/accounts?limit=1&cursor="+url.QueryEscape(p1.body["next_cursor"].(string)), nil)
	if got := fmt.Sprint(pageEmails(pageItems(t, p1)), pageEmails(pageItems(t, p2))); got != "[farmer@console.test] [root@console.test]" {
		t.Errorf("pages of one = %s", got)
	}

	// Only super-admins, only on the console.
	if r := farmer.do("GET", "/api/console/accounts", nil); r.status != 404 {
		t.Errorf("a node operator listing accounts = %d, want 404", r.status)
	}
	if r := farmer.do("POST", "/api/console/accounts/"+rt["id"].(string)+"/disable", nil); r.status != 404 {
		t.Errorf("a node operator disabling root = %d, want 404", r.status)
	}
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	if r := owner.do("GET", "/api/console/accounts", nil); r.status != 404 {
		t.Errorf("accounts on a storefront = %d, want 404", r.status)
	}

	// Not oneself; not a tenant's account.
	if r := root.do("POST", "/api/console/accounts/"+rt["id"].(string)+"/disable", nil); r.status != 403 || r.errField() != "id" {
		t.Errorf("root disabling itself = %d %s, want 403 on field id", r.status, r.raw)
	}
	ann, err := rbac.NewStore(w.h.db.App).EnsureAccount(context.Background(), w.alpha.ID, "ann@alpha.test", pw, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	if r := root.do("POST", "/api/console/accounts/"+ann.String()+"/disable", nil); r.status != 404 {
		t.Errorf("disabling a storefront's customer from the console = %d, want 404", r.status)
	}

	// Disable: the live session, the API token and new sign-ins all stop.
	fid := f["id"].(string)
	d := root.must(200, "POST", "/api/console/accounts/"+fid+"/disable", nil)
	if d.body["disabled_at"] == nil || d.body["active_sessions"] != 0.0 {
		t.Errorf("disabled farmer = %s; want disabled_at set and no sessions left", d.raw)
	}
	if r := farmer.do("GET", "/api/me", nil); r.status != 401 {
		t.Errorf("the disabled account's session = %d, want 401", r.status)
	}
	if r := farmer.do("POST", "/api/auth/refresh", nil); r.status != 401 {
		t.Errorf("refreshing the disabled account's session = %d, want 401", r.status)
	}
	api := w.h.browser(t, "console.localhost")
	api.bearer = token
	if r := api.do("GET", "/api/me", nil); r.status != 401 {
		t.Errorf("the disabled account's API token = %d, want 401", r.status)
	}
	if r := w.h.browser(t, "console.localhost").do("POST", "/api/auth/login", map[string]string{"email": "farmer@console.test", "password": pw}); r.status != 401 {
		t.Errorf("signing in to a disabled account = %d, want 401", r.status)
	}
	audit := root.must(200, "GET", "/api/console/audit", nil)
	if !strings.Contains(audit.raw, `"action":"account.disabled","target":"farmer@console.test"`) {
		t.Errorf("the audit log lacks account.disabled for the farmer:\n%s", audit.raw)
	}
	// Disabling twice changes nothing.
	root.must(200, "POST", "/api/console/accounts/"+fid+"/disable", nil)

	// Enable: signing in works again (old sessions stay ended), and the token works.
	e := root.must(200, "POST", "/api/console/accounts/"+fid+"/enable", nil)
	if e.body["disabled_at"] != nil {
		t.Errorf("enabled farmer = %s, want disabled_at null", e.raw)
	}
	w.h.browser(t, "console.localhost").login("farmer@console.test", pw)
	if r := api.do("GET", "/api/me", nil); r.status != 200 {
		t.Errorf("the API token after enabling = %d, want 200", r.status)
	}
	audit = root.must(200, "GET", "/api/console/audit", nil)
	if !strings.Contains(audit.raw, `"action":"account.enabled","target":"farmer@console.test"`) {
		t.Error("the audit log lacks account.enabled for the farmer")
	}
	if r := root.do("POST", "/api/console/accounts/"+uuid.NewString()+"/enable", nil); r.status != 404 {
		t.Errorf("enabling an unknown account = %d, want 404", r.status)
	}
}

// TestConsoleNodeOperators proves the Node operators page's API: each
// operator's twin, nodes online and total, dashboards approved and pending,
// nodes exposed, and this month's earnings as half the bills of the
// platform's contracts on its nodes.
func TestConsoleNodeOperators(t *testing.T) {
	w := newWorld(t)
	h := w.h
	ctx := context.Background()
	farmer, err := rbac.NewStore(h.db.App).EnsureAccount(ctx, uuid.Nil, "farmer@console.test", pw, rbac.RoleNodeOperator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.NewStore(h.db.App).EnsureAccount(ctx, uuid.Nil, "idle@console.test", pw, rbac.RoleNodeOperator); err != nil {
		t.Fatal(err)
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	nodes := func(status grid.NodeStatus, minFree grid.Resources) grid.Node {
		page, err := h.sim.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{status}, MinFree: minFree, Page: grid.Page{Size: 1}})
		if err != nil || len(page.Nodes) == 0 {
			t.Fatalf("the simulator has no %s node: %v", status, err)
		}
		return page.Nodes[0]
	}
	up := nodes(grid.NodeUp, grid.Resources{CRU: 2, MRU: 4 << 30, SRU: 50 << 30})
	down := nodes(grid.NodeDown, grid.Resources{})
	p, err := h.sim.DeployVM(ctx, "ops-earnings", grid.VMSpec{Name: "vm", NodeID: up.ID, Flist: "https://hub.grid.tf/tf-official-vms/debian-12.flist",
		CPU: 1, Memory: 2 << 30, RootFS: 25 << 30})
	if err != nil {
		t.Fatal(err)
	}
	err = tenant.SystemTx(ctx, h.db.App, "test: operator", func(tx *tenant.Tx) error {
		stmts := []struct {
			q    string
			args []any
		}{
			{`INSERT INTO operator_twins (account_id, twin_id, key_type, public_key) VALUES ($1, 4242, 'ed25519', '\x00')`, []any{farmer}},
			{`INSERT INTO operator_nodes (node_id, account_id, farm_id) VALUES ($1, $2, $3), ($4, $2, $5)`, []any{up.ID, farmer, up.FarmID, down.ID, down.FarmID}},
			{`INSERT INTO node_operator_requests (tenant_id, account_id, operator_email, status) VALUES ($1, $2, 'farmer@console.test', 'approved')`, []any{w.alpha.ID, farmer}},
			{`INSERT INTO node_operator_requests (tenant_id, account_id, operator_email, status) VALUES ($1, $2, 'farmer@console.test', 'pending')`, []any{w.bravo.ID, farmer}},
			{`INSERT INTO pool_nodes (tenant_id, node_id, source, contributed_by, exposed) VALUES ($1, $2, 'operator', $3, true), ($1, $4, 'operator', $3, false)`, []any{w.alpha.ID, up.ID, farmer, down.ID}},
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("%s: %w", s.q, err)
			}
		}
		for _, c := range p.Contracts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO grid_contracts (contract_id, tenant_id, node_id, project) VALUES ($1, $2, $3, 'ops-earnings')`, c.ID, w.alpha.ID, c.NodeID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.sim.Advance(5 * time.Hour)
	var ids []uint64
	for _, c := range p.Contracts {
		ids = append(ids, c.ID)
	}
	bills, err := h.sim.BillReports(ctx, grid.BillQuery{ContractIDs: ids})
	if err != nil || len(bills) == 0 {
		t.Fatalf("the simulator billed nothing: %v", err)
	}
	var want grid.TFTUnits
	for _, b := range bills {
		want += b.FarmerShare
	}
	// The grid:bills job stores the bills; the console reads them.
	if _, err := h.deploy.SyncBills(ctx); err != nil {
		t.Fatal(err)
	}

	// The page names the platform's month: with the platform clock in the
	// simulator's month, its bills count.
	h.deploy.SetClock(h.sim.Now)
	t.Cleanup(func() { h.deploy.SetClock(nil) })
	root := rootOf(t, w)
	rows := pageItems(t, root.must(200, "GET", "/api/console/node-operators", nil))
	if got := fmt.Sprint(pageEmails(rows)); got != "[farmer@console.test idle@console.test]" {
		t.Fatalf("node operators = %s; want both operators and no super-admin", got)
	}
	f := rows[0]
	if f["twin_id"] != 4242.0 || f["nodes"] != 2.0 || f["nodes_online"] != 1.0 || f["nodes_exposed"] != 1.0 ||
		f["dashboards_approved"] != 1.0 || f["dashboards_pending"] != 1.0 {
		t.Errorf("farmer = %v; want twin 4242, 1 of 2 nodes online, 1 exposed, 1 dashboard approved and 1 pending", f)
	}
	if f["earned_month_units"] != float64(want) || f["earned_month_tft"] != want.String() || f["month"] != h.sim.Now().Format("2006-01") {
		t.Errorf("farmer's earnings = %v %v (%v), want %d units = %s in %s", f["earned_month_units"], f["earned_month_tft"], f["month"], want, want, h.sim.Now().Format("2006-01"))
	}
	if i := rows[1]; i["twin_id"] != nil || i["nodes"] != 0.0 || i["earned_month_tft"] != "0.0000000" {
		t.Errorf("idle operator = %v; want no twin, no nodes, 0 TFT", i)
	}
	// The platform's clock says December 2026 while the simulator's still
	// says January 2025: the page reads December 2026, whose bills are none
	// (issue 15 item 7: it used to name the grid clock's month).
	dec := time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)
	h.deploy.SetClock(func() time.Time { return dec })
	if got := h.sim.Now().Format("2006-01"); got == "2026-12" {
		t.Fatalf("the simulator's clock is already in %s; the test needs it elsewhere", got)
	}
	f = pageItems(t, root.must(200, "GET", "/api/console/node-operators", nil))[0]
	if f["month"] != "2026-12" || f["earned_month_tft"] != "0.0000000" {
		t.Errorf("with the clock on %s the farmer's row says %v earned in %v; want 0 TFT in 2026-12", dec, f["earned_month_tft"], f["month"])
	}
	if got := fmt.Sprint(pageEmails(pageItems(t, root.must(200, "GET", "/api/console/node-operators?q=idle&limit=5", nil)))); got != "[idle@console.test]" {
		t.Errorf("search idle = %s", got)
	}
	op := w.h.browser(t, "console.localhost")
	op.login("farmer@console.test", pw)
	if r := op.do("GET", "/api/console/node-operators", nil); r.status != 404 {
		t.Errorf("a node operator listing node operators = %d, want 404", r.status)
	}
}

// redisOpt is the harness's Redis database as Asynq connection options.
func redisOpt(t *testing.T, rdb redis.UniversalClient) asynq.RedisClientOpt {
	t.Helper()
	c, ok := rdb.(*redis.Client)
	if !ok {
		t.Fatalf("the harness's Redis is a %T", rdb)
	}
	o := c.Options()
	return asynq.RedisClientOpt{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB}
}

// failJobs runs a worker (with the scheduler) that fails tasks of type
// test:charge: one that may not retry ends archived (and succeeds when
// retried by hand), one with retries left waits in retry. Both payloads
// carry a secret, and the error quotes a Stripe key. It returns the two
// task ids and a stop function.
func failJobs(t *testing.T, rdb redis.UniversalClient) (archived, retrying string, stop func()) {
	t.Helper()
	opt := redisOpt(t, rdb)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wk := jobs.NewWorker(opt, rdb, jobs.WorkerConfig{Concurrency: 2, ShutdownTimeout: 5 * time.Second, Scheduler: true}, log)
	var tried sync.Map
	wk.Handle("test:charge", asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		var data struct {
			Once bool `json:"once"`
		}
		if err := jobs.Decode(task, &data); err != nil {
			return err
		}
		// A task that fails once succeeds when retried by hand.
		id, _ := asynq.GetTaskID(ctx)
		if _, again := tried.LoadOrStore(id, true); again && data.Once {
			return nil
		}
		return errors.New("card declined by Stripe (key sk_test_51SecretKey)")
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- wk.Run(ctx) }()
	stop = func() { cancel(); <-done }
	client := asynq.NewClient(opt)
	defer client.Close()
	sctx := tenant.WithActor(context.Background(), tenant.System("test"))
	once, err := jobs.NewTask(sctx, "test:charge", map[string]any{"mnemonic": "hunter2 payload secret", "once": true})
	if err != nil {
		t.Fatal(err)
	}
	always, err := jobs.NewTask(sctx, "test:charge", map[string]any{"mnemonic": "hunter2 payload secret"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := client.Enqueue(once, asynq.Queue(jobs.QueueCritical), asynq.MaxRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.Enqueue(always, asynq.Queue(jobs.QueueCritical), asynq.MaxRetry(5))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ai, err1 := insp.GetTaskInfo(jobs.QueueCritical, a.ID)
		ri, err2 := insp.GetTaskInfo(jobs.QueueCritical, r.ID)
		if err1 == nil && err2 == nil && ai.State == asynq.TaskStateArchived && ri.State == asynq.TaskStateRetry {
			return a.ID, r.ID, stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the failing tasks did not settle: %v %v %v %v", ai, err1, ri, err2)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConsoleJobs proves the Jobs page's API against real Redis: queue sizes
// and today's counters, the scheduler's entries, failed and retrying tasks
// without their payloads or secrets, retry and delete (audited), and that
// only super-admins reach any of it.
func TestConsoleJobs(t *testing.T) {
	w := newWorld(t)
	root := rootOf(t, w)
	// An empty Redis: every queue is there, all zero.
	o := root.must(200, "GET", "/api/console/jobs", nil)
	if qs, _ := o.body["queues"].([]any); len(qs) != 3 || qs[0].(map[string]any)["name"] != "critical" || qs[0].(map[string]any)["size"] != 0.0 {
		t.Fatalf("queues of an empty Redis = %s", o.raw)
	}

	archived, retrying, stop := failJobs(t, w.h.rdb)
	// The scheduler writes its entries every few seconds while it runs.
	deadline := time.Now().Add(15 * time.Second)
	for {
		o = root.must(200, "GET", "/api/console/jobs", nil)
		if strings.Contains(o.raw, `"type":"system:heartbeat"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduler's heartbeat entry never showed: %s", o.raw)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !strings.Contains(o.raw, `"spec":"@every 1m","type":"system:heartbeat"`) || o.body["workers"] != 1.0 {
		t.Errorf("overview = %s; want the heartbeat every minute and one worker", o.raw)
	}
	stop()
	o = root.must(200, "GET", "/api/console/jobs", nil)
	crit := o.body["queues"].([]any)[0].(map[string]any)
	if crit["archived"] != 1.0 || crit["retry"] != 1.0 || crit["size"] != 2.0 || crit["processed_today"] != 2.0 || crit["failed_today"] != 2.0 {
		t.Errorf("critical queue = %v; want 1 archived, 1 retry, 2 processed and 2 failed today", crit)
	}

	list := root.must(200, "GET", "/api/console/jobs/critical/tasks", nil)
	rows := pageItems(t, list)
	if len(rows) != 1 || rows[0]["id"] != archived || rows[0]["type"] != "test:charge" || rows[0]["state"] != "archived" ||
		rows[0]["attempts"] != 1.0 || rows[0]["last_failed_at"] == nil {
		t.Fatalf("archived tasks = %s", list.raw)
	}
	if e := rows[0]["last_error"].(string); !strings.Contains(e, "card declined") || !strings.Contains(e, "[redacted]") {
		t.Errorf("last error = %q; want the message with the key redacted", e)
	}
	retry := root.must(200, "GET", "/api/console/jobs/critical/tasks?state=retry", nil)
	if rr := pageItems(t, retry); len(rr) != 1 || rr[0]["id"] != retrying || rr[0]["next_run_at"] == nil {
		t.Errorf("retrying tasks = %s", retry.raw)
	}
	for _, raw := range []string{list.raw, retry.raw, o.raw} {
		if strings.Contains(raw, "hunter2") || strings.Contains(raw, "sk_test_51") || strings.Contains(raw, "payload") || strings.Contains(raw, "envelope") {
			t.Errorf("a jobs answer leaks a payload or secret: %s", raw)
		}
	}
	if r := root.do("GET", "/api/console/jobs/critical/tasks?limit=1", nil); r.status != 200 || r.body["next_cursor"] != "2" {
		t.Errorf("a full page of one = %d %s, want next_cursor 2", r.status, r.raw)
	}
	if r := root.do("GET", "/api/console/jobs/urgent/tasks", nil); r.status != 400 || r.errField() != "queue" {
		t.Errorf("an unknown queue = %d %s, want 400 on field queue", r.status, r.raw)
	}
	if r := root.do("GET", "/api/console/jobs/critical/tasks?state=pending", nil); r.status != 400 || r.errField() != "state" {
		t.Errorf("an unknown state = %d %s, want 400 on field state", r.status, r.raw)
	}

	// Refusals before any change.
	farmer := w.h.browser(t, "console.localhost")
	farmer.login("farmer@console.test", pw)
	for _, r := range []reply{
		farmer.do("GET", "/api/console/jobs", nil),
		farmer.do("GET", "/api/console/jobs/critical/tasks", nil),
		farmer.do("POST", "/api/console/jobs/critical/tasks/"+archived+"/retry", nil),
		farmer.do("DELETE", "/api/console/jobs/critical/tasks/"+retrying, nil),
	} {
		if r.status != 404 {
			t.Errorf("a node operator on the jobs API = %d %s, want 404", r.status, r.raw)
		}
	}
	owner := adminOf(t, w, "alpha.localhost", "owner@alpha.test")
	if r := owner.do("GET", "/api/console/jobs", nil); r.status != 404 {
		t.Errorf("jobs on a storefront = %d, want 404", r.status)
	}

	// Retry puts the failed task back in the queue; delete removes the other.
	insp := asynq.NewInspectorFromRedisClient(w.h.rdb)
	r := root.must(200, "POST", "/api/console/jobs/critical/tasks/"+archived+"/retry", nil)
	if r.body["state"] != "pending" {
		t.Errorf("retry = %s, want state pending", r.raw)
	}
	if ti, err := insp.GetTaskInfo(jobs.QueueCritical, archived); err != nil || ti.State != asynq.TaskStatePending {
		t.Errorf("the retried task is %v (%v), want pending", ti, err)
	}
	if r := root.do("POST", "/api/console/jobs/critical/tasks/"+archived+"/retry", nil); r.status != 409 {
		t.Errorf("retrying a pending task = %d %s, want 409", r.status, r.raw)
	}
	root.must(204, "DELETE", "/api/console/jobs/critical/tasks/"+retrying, nil)
	if _, err := insp.GetTaskInfo(jobs.QueueCritical, retrying); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("the deleted task still exists: %v", err)
	}
	if r := root.do("DELETE", "/api/console/jobs/critical/tasks/"+retrying, nil); r.status != 404 {
		t.Errorf("deleting it again = %d, want 404", r.status)
	}
	if r := root.do("POST", "/api/console/jobs/low/tasks/"+archived+"/retry", nil); r.status != 404 {
		t.Errorf("retrying the task in another queue = %d, want 404", r.status)
	}
	audit := root.must(200, "GET", "/api/console/audit", nil)
	if !strings.Contains(audit.raw, `"action":"job.retried","target":"critical/`+archived+`"`) ||
		!strings.Contains(audit.raw, `"action":"job.deleted","target":"critical/`+retrying+`"`) {
		t.Errorf("the audit log lacks the retry and the delete:\n%s", audit.raw)
	}
}

// e2eConsoleData gives the console script's pages real rows: a customer of
// the demo storefront with a running server, payments and credit; a node
// operator with a linked twin, two registered nodes (outside the deploy
// script's farm and pools customers pick from) and a request on each
// storefront; and a worker (with the scheduler) that has failed a task for
// good and waits to retry another, running until the test ends.
func e2eConsoleData(t *testing.T, h *harness, demo, acme uuid.UUID, avoidFarm uint32, password string) {
	t.Helper()
	ctx := context.Background()
	rs := rbac.NewStore(h.db.App)
	regular, err := rs.EnsureAccount(ctx, demo, "regular@demo.localhost", password, rbac.RoleCustomer)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().AddDate(0, 0, -20)
	seedOrder(t, h, demo, regular, 1240, 0, day, "running")
	seedOrder(t, h, demo, regular, 2480, 0, day.AddDate(0, 0, 6), "terminated")
	seedCredit(t, h, demo, regular, 450)

	op, err := rs.EnsureAccount(ctx, uuid.Nil, "gridfarm@console.localhost", password, rbac.RoleNodeOperator)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []grid.Node
	err = tenant.SystemTx(ctx, h.db.App, "e2e: console data", func(tx *tenant.Tx) error {
		for _, f := range h.sim.Farms() {
			if f.ID == avoidFarm || len(nodes) == 2 {
				continue
			}
			page, err := h.sim.ListNodes(ctx, grid.NodeFilter{FarmIDs: []uint32{f.ID}, Status: []grid.NodeStatus{grid.NodeUp}, Page: grid.Page{Size: 20}})
			if err != nil {
				return err
			}
			nodes = nodes[:0]
			for _, n := range page.Nodes {
				var used bool
				if err := tx.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM pool_nodes WHERE node_id = $1) OR EXISTS (SELECT 1 FROM operator_nodes WHERE node_id = $1)`, n.ID); err != nil {
					return err
				}
				if !used && len(nodes) < 2 {
					nodes = append(nodes, n)
				}
			}
		}
		if len(nodes) < 2 {
			return errors.New("the simulator has no two free nodes of one farm")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO operator_twins (account_id, twin_id, key_type, public_key) VALUES ($1, 9000001, 'ed25519', '\x00')`, op); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO operator_nodes (node_id, account_id, farm_id) VALUES ($1, $3, $4), ($2, $3, $4)`, nodes[0].ID, nodes[1].ID, op, nodes[0].FarmID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO node_operator_requests (tenant_id, account_id, operator_email, status) VALUES ($1, $3, 'gridfarm@console.localhost', 'approved'), ($2, $3, 'gridfarm@console.localhost', 'pending')`, acme, demo, op); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pool_nodes (tenant_id, node_id, source, contributed_by, exposed, customer_pickable) VALUES ($1, $2, 'operator', $3, true, false)`, acme, nodes[0].ID, op)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.authz.Reload(); err != nil {
		t.Fatal(err)
	}
	_, _, stop := failJobs(t, h.rdb)
	t.Cleanup(stop)
}
