package treasury

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Why a tenant's treasury alert is open.
const (
	AlertTopupFailed = "topup_failed" // a top-up step failed (no USDC, price past the cap, …)
	AlertMintOverdue = "mint_overdue" // the bridge has not minted a deposit in time
	AlertRunwayLow   = "runway_low"   // the runway is under the policy and no top-up can start
)

// Alert is a tenant's treasury incident: open from the moment the wallet is
// found unable to keep its runway until it is healthy again. Its owners and
// admins are mailed once per incident.
type Alert struct {
	State      string     `db:"state" json:"state"`
	Reason     string     `db:"reason" json:"reason"`
	Message    string     `db:"message" json:"message"`
	RunwayDays *int64     `db:"runway_days" json:"runway_days"`
	OpenedAt   time.Time  `db:"opened_at" json:"opened_at"`
	NotifiedAt *time.Time `db:"notified_at" json:"notified_at"`
	ResolvedAt *time.Time `db:"resolved_at" json:"-"`
}

const alertColumns = `state, reason, message, runway_days, opened_at, notified_at, resolved_at`

// openAlert returns the tenant's open alert, or nil.
func (t *Treasury) openAlert(ctx context.Context) (*Alert, error) {
	var a Alert
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &a, `SELECT `+alertColumns+` FROM treasury_alerts WHERE state = 'open'`)
	})
	if tenant.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// raise opens the tenant's alert, or updates the open one, and mails the
// owners and admins when the incident has not been mailed yet: a new
// incident mails once, however often it is raised while it stays open. st
// (may be nil) gives the balance and runway for the mail.
func (t *Treasury) raise(ctx context.Context, reason, message string, st *walletStatus) error {
	tid, _ := tenant.IDFromContext(ctx)
	var runway *int64
	if st != nil && st.report.RunwayDays >= 0 {
		runway = &st.report.RunwayDays
	}
	now := t.now().Truncate(time.Microsecond) // as PostgreSQL keeps it
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		var a Alert
		if err := tx.GetContext(ctx, &a, `INSERT INTO treasury_alerts (tenant_id, state, reason, message, runway_days, opened_at)
			VALUES ($1, 'open', $2, $3, $4, $5)
			ON CONFLICT (tenant_id) DO UPDATE SET
				opened_at = CASE WHEN treasury_alerts.state = 'open' THEN treasury_alerts.opened_at ELSE EXCLUDED.opened_at END,
				notified_at = CASE WHEN treasury_alerts.state = 'open' THEN treasury_alerts.notified_at END,
				runway_days = CASE WHEN treasury_alerts.state = 'open' THEN coalesce(EXCLUDED.runway_days, treasury_alerts.runway_days) ELSE EXCLUDED.runway_days END,
				state = 'open', reason = EXCLUDED.reason, message = EXCLUDED.message, resolved_at = NULL, updated_at = now()
			RETURNING `+alertColumns, tid, reason, message, runway, now); err != nil {
			return err
		}
		if a.OpenedAt.Equal(now) {
			return tenant.Audit(ctx, tx, tid, "wallet.alert_raised", reason, map[string]any{"message": message})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return t.notify(ctx, st)
}

// resolve closes the tenant's open alert, if any.
func (t *Treasury) resolve(ctx context.Context) error {
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE treasury_alerts SET state = 'resolved', resolved_at = $1, updated_at = now() WHERE state = 'open'`, t.now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return tenant.Audit(ctx, tx, tid, "wallet.alert_resolved", "", nil)
		}
		return nil
	})
}

// resolveIfHealthy closes the alert once a top-up has landed, unless the
// runway is still under the policy (the hourly check then decides).
func (t *Treasury) resolveIfHealthy(ctx context.Context) {
	st, err := t.status(ctx)
	if err == nil && !st.short() {
		err = t.resolve(ctx)
	}
	if err == nil && st != nil {
		err = t.record(ctx, st)
	}
	if err != nil {
		t.log.Error("treasury alert after a top-up", "err", err)
	}
}

// evaluate decides the tenant's alert in the hourly check: a mint that is
// overdue, or a runway under the policy that no top-up can restore (top-ups
// off, the month's budget used up, the last top-up failed), keeps or opens
// the alert; a runway the policy is happy with closes it.
func (t *Treasury) evaluate(ctx context.Context, st *walletStatus, enabled bool, planErr error) error {
	var overdue string
	var lastFailed *Topup
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &overdue, `SELECT coalesce(max(alert), '') FROM topups WHERE state = 'bridged' AND alert <> ''`); err != nil {
			return err
		}
		var last Topup
		err := tx.GetContext(ctx, &last, `SELECT `+topupColumns+` FROM topups ORDER BY created_at DESC LIMIT 1`)
		if err == nil && last.State == TopupFailed {
			lastFailed = &last
		}
		if tenant.IsNoRows(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if overdue != "" {
		return t.raise(ctx, AlertMintOverdue, sentenceOf(overdue)+" No second deposit is made: the TFT are at the bridge.", st)
	}
	if !st.short() {
		if st.balance < grid.MinFreeToDeploy {
			// grid-client will not deploy for a wallet below 2 TFT free:
			// every new order fails as insufficient funds, however long
			// the running contracts' runway.
			return t.raise(ctx, AlertRunwayLow, fmt.Sprintf("The wallet holds %s TFT, under the 2 TFT the grid client needs free to deploy: new servers cannot start until it is topped up (running ones keep running and can still be cancelled).", st.balance), st)
		}
		return t.resolve(ctx)
	}
	days := st.report.RunwayDays
	short := fmt.Sprintf("The balance lasts %d %s, under the %d days the top-up policy keeps", days, plural(days, "day", "days"), st.policy.MinRunwayDays)
	switch {
	case !enabled:
		return t.raise(ctx, AlertRunwayLow, short+", and automatic top-ups are off. Turn them on in the policy, or press “Top up now”.", st)
	case planErr != nil && !strings.Contains(fiatdashboard.ErrorMessage(planErr), "under way"):
		return t.raise(ctx, AlertRunwayLow, short+", and no top-up can start: "+strings.TrimSuffix(fiatdashboard.ErrorMessage(planErr), ".")+".", st)
	case lastFailed != nil:
		return t.raise(ctx, AlertTopupFailed, short+", and the last top-up failed: "+strings.TrimSuffix(lastFailed.Error, ".")+".", st)
	}
	// A top-up is under way: it may yet restore the runway.
	return nil
}

// notify mails the open incident to the tenant's owners and admins unless
// it was mailed already. The incident is claimed before sending, so two
// workers never both mail it; a failed send unclaims it for the next try.
func (t *Treasury) notify(ctx context.Context, st *walletStatus) error {
	if t.mailer == nil {
		return nil
	}
	tid, _ := tenant.IDFromContext(ctx)
	var a Alert
	var to []string
	var name, slug string
	var twin uint32
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		err := tx.GetContext(ctx, &a, `UPDATE treasury_alerts SET notified_at = $1 WHERE state = 'open' AND notified_at IS NULL RETURNING `+alertColumns, t.now())
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &twin, `SELECT twin_id FROM tenant_wallets`); err != nil && !tenant.IsNoRows(err) {
			return err
		}
		if err := tx.QueryRowxContext(ctx, `SELECT name, slug FROM tenants WHERE id = $1`, tid).Scan(&name, &slug); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &to, `SELECT DISTINCT a.email FROM account_directory a
			JOIN role_grants r ON r.account_id = a.id::text AND r.domain = $1 AND r.role = ANY($2)
			WHERE a.disabled_at IS NULL ORDER BY a.email LIMIT 50`, tid.String(), pq.Array([]string{rbac.RoleOwner, rbac.RoleAdmin}))
	})
	if tenant.IsNoRows(err) {
		return nil // mailed already, or resolved meanwhile
	}
	if err != nil {
		return err
	}
	m := alertMail(name, twin, &a, st, t.walletURL(slug))
	var failed error
	for _, addr := range to {
		m.To = addr
		if err := t.mailer.Send(ctx, tid, m); err != nil {
			failed = err
		}
	}
	if failed != nil {
		t.log.Error("treasury alert mail", "tenant", tid, "err", failed)
		return tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE treasury_alerts SET notified_at = NULL WHERE state = 'open'`)
			return err
		})
	}
	return nil
}

func (t *Treasury) walletURL(slug string) string {
	if t.storefront == nil {
		return ""
	}
	return t.storefront(slug) + "/admin/wallet"
}

var alertSubjects = map[string]string{
	AlertTopupFailed: "a top-up of your grid wallet failed",
	AlertMintOverdue: "a top-up of your grid wallet has not arrived",
	AlertRunwayLow:   "your grid wallet is running low",
}

// alertMail is the e-mail of an incident: what happened, where the wallet
// stands, what to do. It names no secret.
func alertMail(name string, twin uint32, a *Alert, st *walletStatus, url string) rbac.Mail {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\nThe grid wallet of %s (TFChain twin %d) needs your attention:\n\n%s\n\n", name, twin, a.Message)
	if st != nil {
		fmt.Fprintf(&b, "Balance: %s TFT. Burn: %s TFT a month.", st.balance, st.report.BurnMonth)
		if st.report.RunwayDays >= 0 {
			fmt.Fprintf(&b, " Runway: %d %s", st.report.RunwayDays, plural(st.report.RunwayDays, "day", "days"))
			if st.policy != nil {
				fmt.Fprintf(&b, " (the policy keeps %d)", st.policy.MinRunwayDays)
			}
			b.WriteString(".")
		}
		b.WriteString("\n\n")
	}
	b.WriteString("When the balance runs out the grid stops your customers' servers, and until the wallet can pay, the storefront refuses new orders. " +
		"Check the USDC on the Stellar account, the top-up policy and the latest top-up on the wallet page")
	if url != "" {
		b.WriteString(":\n" + url)
	}
	b.WriteString(".\n\nThis e-mail is sent once per incident; the wallet page shows the alert until it is resolved.\n")
	return rbac.Mail{Subject: name + ": " + alertSubjects[a.Reason], Text: b.String()}
}

// record stores the hour's snapshot of the balance and burn (the latest of
// the hour wins) and forgets snapshots older than 400 days.
func (t *Treasury) record(ctx context.Context, st *walletStatus) error {
	tid, _ := tenant.IDFromContext(ctx)
	at := t.now().UTC().Truncate(time.Hour)
	burn, err := grid.ParseTFT(st.report.BurnMonth)
	if err != nil {
		return err
	}
	var runway *int64
	if st.report.RunwayDays >= 0 {
		runway = &st.report.RunwayDays
	}
	return tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO treasury_snapshots (tenant_id, at, balance, burn_month, runway_days) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, at) DO UPDATE SET balance = EXCLUDED.balance, burn_month = EXCLUDED.burn_month, runway_days = EXCLUDED.runway_days`,
			tid, at, st.balance, burn, runway); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM treasury_snapshots WHERE at < $1`, at.AddDate(0, 0, -400))
		return err
	})
}

// HistoryPoint is one day of the wallet's history: the balance and the
// burn at the day's last snapshot.
type HistoryPoint struct {
	Day        string        `db:"day" json:"day"` // YYYY-MM-DD, UTC
	Balance    grid.TFTUnits `db:"balance" json:"-"`
	Burn       grid.TFTUnits `db:"burn_month" json:"-"`
	RunwayDays *int64        `db:"runway_days" json:"runway_days"` // null: nothing burned
	BalanceS   string        `db:"-" json:"balance_tft"`
	BurnS      string        `db:"-" json:"burn_month_tft"`
}

// HistoryDays is how far back the wallet's history goes.
const HistoryDays = 90

// History returns one point per day of the last days (1 to 90) that have a
// snapshot, oldest first (admin/wallet read). ENOTFOUND without a wallet.
func (t *Treasury) History(ctx context.Context, days int) ([]HistoryPoint, error) {
	if err := t.authz.Require(ctx, "admin/wallet", "read"); err != nil {
		return nil, err
	}
	if days < 1 || days > HistoryDays {
		return nil, fiatdashboard.Invalid("days", "ask for 1 to %d days", HistoryDays)
	}
	if _, err := t.wallet(ctx); err != nil {
		return nil, err
	}
	today := t.now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, 1-days)
	out := []HistoryPoint{}
	err := tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT day, balance, burn_month, runway_days FROM (
				SELECT DISTINCT ON (d) d, to_char(d, 'YYYY-MM-DD') AS day, balance, burn_month, runway_days
				FROM (SELECT date_trunc('day', at AT TIME ZONE 'UTC') AS d, at, balance, burn_month, runway_days
				      FROM treasury_snapshots WHERE at >= $1 AND at < $2) s
				ORDER BY d, at DESC) daily
			ORDER BY day`, since, today.AddDate(0, 0, 1))
	})
	for i := range out {
		out[i].BalanceS, out[i].BurnS = out[i].Balance.String(), out[i].Burn.String()
	}
	return out, err
}

// WalletHealth implements tenant.WalletHealthReader for the console's
// tenant list, in one query for the page (console/tenants read).
func (t *Treasury) WalletHealth(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]tenant.WalletHealth, error) {
	if err := t.authz.Require(ctx, "console/tenants", "read"); err != nil {
		return nil, err
	}
	var rows []struct {
		ID         uuid.UUID `db:"tenant_id"`
		Reason     *string   `db:"reason"`
		Message    *string   `db:"message"`
		RunwayDays *int64    `db:"runway_days"`
		MinDays    *int64    `db:"min_runway_days"`
		Snapshots  bool      `db:"snapshots"`
	}
	err := tenant.SystemTx(ctx, t.db, "console: wallet health", func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &rows, `SELECT w.tenant_id, a.reason, a.message, s.runway_days, p.min_runway_days, s.at IS NOT NULL AS snapshots
			FROM tenant_wallets w
			LEFT JOIN treasury_alerts a ON a.tenant_id = w.tenant_id AND a.state = 'open'
			LEFT JOIN topup_policies p ON p.tenant_id = w.tenant_id
			LEFT JOIN LATERAL (SELECT at, runway_days FROM treasury_snapshots s WHERE s.tenant_id = w.tenant_id ORDER BY at DESC LIMIT 1) s ON true
			WHERE w.tenant_id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]tenant.WalletHealth, len(rows))
	for _, r := range rows {
		h := tenant.WalletHealth{Status: "healthy"}
		switch {
		case r.Reason != nil:
			h.Status, h.Note = "failing", *r.Message
		case r.RunwayDays != nil && r.MinDays != nil && *r.RunwayDays < *r.MinDays:
			h.Status = "low runway"
			h.Note = fmt.Sprintf("%d %s of runway, under the %d the policy keeps; a top-up is under way or due.", *r.RunwayDays, plural(*r.RunwayDays, "day", "days"), *r.MinDays)
		case r.RunwayDays != nil:
			h.Note = fmt.Sprintf("%d %s of runway.", *r.RunwayDays, plural(*r.RunwayDays, "day", "days"))
		case r.Snapshots:
			h.Note = "Nothing burns yet."
		default:
			h.Note = "Not checked yet."
		}
		out[r.ID] = h
	}
	return out, nil
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sentenceOf starts msg with a capital letter and ends it with a full stop.
func sentenceOf(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// Snapshot is the wallet's balance and monthly burn at an hour.
type Snapshot struct {
	At        time.Time
	Balance   grid.TFTUnits
	BurnMonth grid.TFTUnits
}

// ImportHistory stores past snapshots, e.g. the made-up history of the
// development seed; an hour that has a snapshot keeps it (admin/wallet
// write).
func (t *Treasury) ImportHistory(ctx context.Context, snaps []Snapshot) error {
	if err := t.authz.Require(ctx, "admin/wallet", "write"); err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, t.db, func(tx *tenant.Tx) error {
		for _, s := range snaps {
			if s.BurnMonth < 0 {
				return fiatdashboard.Invalid("burn_month", "a burn is never negative")
			}
			var runway *int64
			if s.BurnMonth > 0 {
				r := int64(max(s.Balance, 0)) * 30 / int64(s.BurnMonth)
				runway = &r
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO treasury_snapshots (tenant_id, at, balance, burn_month, runway_days) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant_id, at) DO NOTHING`, tid, s.At.UTC().Truncate(time.Hour), s.Balance, s.BurnMonth, runway); err != nil {
				return err
			}
		}
		return nil
	})
}
