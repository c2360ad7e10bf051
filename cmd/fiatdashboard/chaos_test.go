//go:build chaos

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestChaos is `make chaos` (not part of `make test`): separate serve and
// worker processes take N paid deployments (FD_CHAOS_N, default 300) at a
// steady rate (FD_CHAOS_RATE per second, default 4) while the worker is
// SIGKILLed every few seconds, Redis is restarted without persistence twice,
// serve is killed once, and 10 % of the orders are sent again with the same
// client_key (half of them concurrently). It waits for quiescence and
// prints what an operator would ask: placed, running, refunded, stuck by
// state, duplicate orders, PaymentIntent creations per order, contracts per
// deployment, orphan contracts, the ledger's balance and the time to
// recover after each Redis loss; then it fails on any of them being wrong.
func TestChaos(t *testing.T) {
	n := envInt("FD_CHAOS_N", 300)
	rate := envInt("FD_CHAOS_RATE", 4)
	c := newCluster(t)
	ctx := context.Background()
	start := time.Now()

	// Enough room for every order: the demo pool grows to 40 nodes.
	page, err := c.p.grid.ListNodes(ctx, grid.NodeFilter{Status: []grid.NodeStatus{grid.NodeUp}, MinFree: grid.Resources{CRU: 4, MRU: 8 << 30, SRU: 200 << 30}, Page: grid.Page{Size: 40}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, nd := range page.Nodes {
		ids = append(ids, nd.ID)
	}
	if err := c.p.deploy.AddToPool(tenant.WithID(tenant.WithActor(ctx, tenant.System("chaos")), c.tenant), ids); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex // guards c.worker, c.serve and the counters below
	workerKills, serveKills := 0, 0
	type loss struct {
		at        time.Time
		waiting   []uuid.UUID
		recovered time.Duration
	}
	var losses []*loss

	// The worker dies every 2–5 seconds, SIGKILL, and comes back.
	stop := make(chan struct{})
	var chaos sync.WaitGroup
	chaos.Add(1)
	go func() {
		defer chaos.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(2000+rand.IntN(3000)) * time.Millisecond):
			}
			mu.Lock()
			c.worker.kill()
			workerKills++
			c.worker = c.start("worker")
			mu.Unlock()
		}
	}()

	// The orders, at a steady rate; every tenth is sent twice at once, every
	// tenth (offset 5) is sent again once answered. Clients retry a failed
	// request (no answer, or 5xx) with the same client_key, as a browser does.
	type result struct {
		id      string
		refused string
	}
	results := make([]result, n)
	var clients sync.WaitGroup
	send := func(i int) {
		defer clients.Done()
		name, key := fmt.Sprintf("chaos-%d", i), fmt.Sprintf("chaos-key-%d", i)
		deadline := time.Now().Add(5 * time.Minute)
		for {
			status, out := c.order(name, key)
			switch {
			case status == 200 || status == 201:
				mu.Lock()
				if results[i].id != "" && results[i].id != out {
					t.Errorf("order %d answered two deployments: %s and %s", i, results[i].id, out)
				}
				results[i].id = out
				mu.Unlock()
				return
			case status >= 400 && status < 500:
				mu.Lock()
				results[i].refused = out
				mu.Unlock()
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("order %d: no answer for 5 minutes (%d %s)", i, status, out)
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	lossAt := map[int]bool{n * 3 / 10: true, n * 65 / 100: true}
	serveAt := n / 2
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for i := range n {
		<-tick.C
		if lossAt[i] {
			l := &loss{at: time.Now(), waiting: c.inFlight()}
			c.restartRedis()
			mu.Lock()
			losses = append(losses, l)
			mu.Unlock()
			go func() {
				// Recovered when everything in flight at the loss has settled.
				for time.Since(l.at) < 10*time.Minute {
					if c.settled(l.waiting) {
						mu.Lock()
						l.recovered = time.Since(l.at)
						mu.Unlock()
						return
					}
					time.Sleep(500 * time.Millisecond)
				}
			}()
		}
		if i == serveAt {
			mu.Lock()
			c.serve.kill()
			serveKills++
			time.Sleep(time.Second)
			c.serve = c.start("serve")
			mu.Unlock()
		}
		clients.Add(1)
		go send(i)
		if i%10 == 0 {
			clients.Add(1)
			go send(i) // the same client_key, concurrently
		}
		if i%10 == 5 {
			clients.Add(1)
			go func() {
				time.Sleep(3 * time.Second)
				send(i) // the same client_key, again later
			}()
		}
	}
	tick.Stop()
	clients.Wait()
	close(stop)
	chaos.Wait()
	ordersDone := time.Since(start)

	// Quiescence: nothing in flight and nothing owed.
	quiet := time.Now()
	for time.Since(quiet) < 10*time.Minute {
		st := c.states()
		if st["awaiting_payment"]+st["paid"]+st["provisioning"] == 0 && c.owed() == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	quiescent := time.Since(quiet)
	// A loss whose watcher has not polled since everything settled (it polls
	// every 500 ms; quiescence may come first) is judged now: settled by now,
	// within the time since the loss.
	mu.Lock()
	for _, l := range losses {
		if l.recovered == 0 && c.settled(l.waiting) {
			l.recovered = time.Since(l.at)
		}
	}
	mu.Unlock()

	var answered []string
	for _, r := range results {
		if r.id != "" {
			answered = append(answered, r.id)
		}
	}
	m := c.measure(answered)
	refusedBefore := 0
	for _, r := range results {
		if r.id == "" && r.refused != "" {
			refusedBefore++
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "chaos: N=%d at %d/s; worker SIGKILLed %d times, Redis restarted empty %d times, serve killed %d time(s)\n", n, rate, workerKills, len(losses), serveKills)
	fmt.Fprintf(&out, "  orders sent in %s; quiescent %s later\n", ordersDone.Round(time.Second), quiescent.Round(time.Second))
	fmt.Fprintf(&out, "  placed (charged)           %d\n", m.placed)
	fmt.Fprintf(&out, "  refused before charging    %d\n", refusedBefore)
	fmt.Fprintf(&out, "  running                    %d\n", m.running)
	fmt.Fprintf(&out, "  failed and refunded        %d\n", m.refunded)
	fmt.Fprintf(&out, "  stuck by state             %v\n", m.stuck)
	fmt.Fprintf(&out, "  duplicate orders           %d (client_key), %d (deployments per order)\n", m.dupOrders, m.dupDeployments)
	fmt.Fprintf(&out, "  PaymentIntent creations    %v (creations per order → orders)\n", m.piHist)
	fmt.Fprintf(&out, "  contracts per deployment   %v (VMs per running project → deployments), contract counts %v\n", m.vmHist, m.contractHist)
	fmt.Fprintf(&out, "  orphan contracts           %d\n", m.orphans)
	fmt.Fprintf(&out, "  ledger                     %d unbalanced entries, postings sum %d cents\n", m.unbalanced, m.ledgerSum)
	fmt.Fprintf(&out, "  owed work left             %d outbox rows not done\n", c.owed())
	mu.Lock()
	for i, l := range losses {
		rec := "not within 10 minutes"
		if l.recovered > 0 {
			rec = l.recovered.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(&out, "  Redis loss %d: %d deployments in flight, all settled after %s\n", i+1, len(l.waiting), rec)
	}
	mu.Unlock()
	fmt.Print(out.String())
	if f := os.Getenv("FD_CHAOS_OUT"); f != "" {
		os.WriteFile(f, []byte(out.String()), 0o644)
	}

	if len(m.stuck) > 0 {
		t.Errorf("stuck deployments: %v", m.stuck)
	}
	if m.dupOrders+m.dupDeployments > 0 {
		t.Errorf("duplicates: %d orders, %d deployments", m.dupOrders, m.dupDeployments)
	}
	for k := range m.piHist {
		if k != 1 {
			t.Errorf("orders with %d PaymentIntent creations: %d", k, m.piHist[k])
		}
	}
	for k := range m.vmHist {
		if k != 1 {
			t.Errorf("running deployments with %d VMs: %d", k, m.vmHist[k])
		}
	}
	if m.orphans > 0 || m.unbalanced > 0 || m.ledgerSum != 0 {
		t.Errorf("orphans %d, unbalanced ledger entries %d, ledger sum %d", m.orphans, m.unbalanced, m.ledgerSum)
	}
	for i, l := range losses {
		if l.recovered == 0 || l.recovered > 2*time.Minute {
			t.Errorf("Redis loss %d: recovered after %s; want within 2 minutes", i+1, l.recovered)
		}
	}
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

// inFlight lists deployments not settled yet (awaiting a payment Stripe has
// taken, paid, provisioning).
func (c *cluster) inFlight() []uuid.UUID {
	ctx := context.Background()
	var out []uuid.UUID
	tenant.SystemTx(ctx, c.p.db, "chaos: in flight", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT d.id FROM deployments d JOIN orders o ON o.id = d.order_id
			WHERE d.status IN ('paid', 'provisioning') OR (d.status = 'awaiting_payment' AND o.payment_intent_id IS NOT NULL)`)
	})
	return out
}

func (c *cluster) settled(ids []uuid.UUID) bool {
	if len(ids) == 0 {
		return true
	}
	ctx := context.Background()
	var left int
	err := tenant.SystemTx(ctx, c.p.db, "chaos: settled", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &left, `SELECT count(*) FROM deployments WHERE id = ANY($1) AND status NOT IN ('running', 'failed', 'terminated')`, uuidArray(ids))
	})
	return err == nil && left == 0
}

func uuidArray(ids []uuid.UUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return "{" + strings.Join(s, ",") + "}"
}

func (c *cluster) owed() int {
	ctx := context.Background()
	var n int
	tenant.SystemTx(ctx, c.p.db, "chaos: owed", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &n, `SELECT count(*) FROM outbox WHERE done_at IS NULL`)
	})
	return n
}

type metrics struct {
	placed, running, refunded    int
	stuck                        map[string]int
	dupOrders, dupDeployments    int
	piHist, vmHist, contractHist map[int]int
	orphans                      int
	unbalanced                   int
	ledgerSum                    int64
}

func (c *cluster) measure(answered []string) metrics {
	ctx := context.Background()
	m := metrics{stuck: map[string]int{}, piHist: map[int]int{}, vmHist: map[int]int{}, contractHist: map[int]int{}}
	var rows []struct {
		ID       uuid.UUID `db:"id"`
		Status   string    `db:"status"`
		Order    string    `db:"order_status"`
		Refunded int64     `db:"refunded_cents"`
		Amount   int64     `db:"amount_cents"`
	}
	err := tenant.SystemTx(ctx, c.p.db, "chaos: measure", func(tx *tenant.Tx) error {
		if err := tx.SelectContext(ctx, &rows, `SELECT d.id, d.status, o.status AS order_status, o.refunded_cents, o.amount_cents
			FROM deployments d JOIN orders o ON o.id = d.order_id WHERE d.tenant_id = $1 AND d.name LIKE 'chaos-%'`, c.tenant); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &m.dupOrders, `SELECT count(*) FROM (SELECT 1 FROM orders WHERE tenant_id = $1 AND client_key LIKE 'chaos-key-%'
			GROUP BY account_id, client_key HAVING count(*) > 1) x`, c.tenant); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &m.dupDeployments, `SELECT count(*) FROM (SELECT 1 FROM deployments WHERE tenant_id = $1 AND name LIKE 'chaos-%'
			GROUP BY name HAVING count(*) > 1) x`, c.tenant); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &m.unbalanced, `SELECT count(*) FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING sum(amount_cents) <> 0) x`); err != nil {
			return err
		}
		return tx.GetContext(ctx, &m.ledgerSum, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_postings`)
	})
	if err != nil {
		c.t.Fatal(err)
	}
	wallet, err := c.grid.TwinOfMnemonic(ctx, "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
	if err != nil {
		c.t.Fatal(err)
	}
	g := c.grid.AsTwin(wallet)
	for _, r := range rows {
		m.placed++
		p, perr := g.Project(ctx, "fd-"+r.ID.String())
		live := perr == nil
		if perr != nil && fiatdashboard.ErrorCode(perr) != fiatdashboard.ENOTFOUND {
			c.t.Fatal(perr)
		}
		switch {
		case r.Status == "running":
			m.running++
			m.vmHist[len(p.VMs)]++
			m.contractHist[len(p.Contracts)]++
		case r.Status == "failed" && r.Order == "refunded" && r.Refunded == r.Amount:
			m.refunded++
			if live && len(p.Contracts) > 0 {
				m.orphans += len(p.Contracts)
			}
		case r.Status == "failed":
			m.stuck["failed, not refunded"]++
		default:
			m.stuck[r.Status]++
		}
	}
	for _, n := range c.paymentIntents() {
		m.piHist[n]++
	}
	// Every answered deployment id is a placed one.
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.ID.String()] = true
	}
	missing := 0
	for _, id := range answered {
		if !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		m.stuck["answered but not recorded"] = missing
	}
	return m
}
