package deploy

import (
	"context"
	"fmt"

	"github.com/fiatdashboard/fiatdashboard/rbac"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// tellCustomer e-mails the customer that their server moved off a failed
// node: to its standby (failover), or re-created elsewhere without its disk
// (reprovision). The deployment records when the mail went out; a mail
// that fails is logged and the health page shows it as not sent.
func (s *Service) tellCustomer(ctx context.Context, d *Deployment, kind string, failed uint32) {
	if s.mailer == nil {
		return
	}
	tid, _ := tenant.IDFromContext(ctx)
	var email, slug, shop string
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		if err := tx.GetContext(ctx, &email, `SELECT email FROM account_directory WHERE id = $1`, d.AccountID); err != nil {
			return err
		}
		return tx.QueryRowxContext(ctx, `SELECT slug, name FROM tenants WHERE id = $1`, tid).Scan(&slug, &shop)
	})
	if err != nil {
		s.log.Error("failover mail: find the customer", "deployment", d.ID, "err", err)
		return
	}
	link := "/deployments/" + d.ID.String()
	if s.storefront != nil {
		link = s.storefront(slug) + link
	}
	m := rbac.Mail{To: email}
	switch kind {
	case "failover":
		m.Subject = fmt.Sprintf("Your server %s switched to its standby", d.Name)
		m.Text = fmt.Sprintf(`Hello,

Node %d, where your server %q ran, went offline. Its standby VM on node %d, in another farm, has taken over as your server. Its addresses may have changed: the current IP addresses and SSH command are on its page:

%s

A new standby is being set up on another node so that your server stays protected. You do not need to do anything.

— %s
`, failed, d.Name, *d.StandbyNodeID, link, shop)
	default:
		m.Subject = fmt.Sprintf("Your server %s was re-created: data on its disk is lost", d.Name)
		m.Text = fmt.Sprintf(`Hello,

Node %d, where your server %q ran, went offline. Your server had no backup VM, so we are re-creating it from its image on another node.

Anything stored on its disk is lost: restore your data from your own backups. The new IP addresses and SSH command will be on its page:

%s

To be protected next time, choose a backup VM or a QSFS backup swarm when you deploy.

— %s
`, failed, d.Name, link, shop)
	}
	if err := s.mailer.Send(ctx, tid, m); err != nil {
		s.log.Error("failover mail", "deployment", d.ID, "err", err)
		return
	}
	tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deployments SET notified_at = now() WHERE id = $1`, d.ID)
		return err
	})
}
