package coop

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// CoopMember is a platform account that belongs to a co-op tenant.
type CoopMember struct {
	AccountID uuid.UUID `db:"account_id" json:"account_id"`
	Email     string    `db:"email" json:"email"`
	Role      string    `db:"role" json:"role"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// CoopMembers lists a co-op's members (admin/coop read); EINVALID on an
// operator tenant.
func (s *Service) CoopMembers(ctx context.Context) ([]CoopMember, error) {
	if err := s.authz.Require(ctx, "admin/coop", "read"); err != nil {
		return nil, err
	}
	var out []CoopMember
	err := tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT account_id, email, role, created_at FROM coop_members ORDER BY email LIMIT 500`)
	})
	return out, err
}

// RemoveCoopMember removes a member (admin/coop write).
func (s *Service) RemoveCoopMember(ctx context.Context, account uuid.UUID) error {
	if err := s.authz.Require(ctx, "admin/coop", "write"); err != nil {
		return err
	}
	tid, _ := tenant.IDFromContext(ctx)
	return tenant.InTx(ctx, s.db, func(tx *tenant.Tx) error {
		var email string
		err := tx.GetContext(ctx, &email, `DELETE FROM coop_members WHERE account_id = $1 RETURNING email`, account)
		if tenant.IsNoRows(err) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "member not found")
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, tid, "coop.member_removed", email, nil)
	})
}

// CoopsOf names, in tx, the co-ops each of the accounts is a member of, by
// name (the console's accounts list, read on the system path).
func CoopsOf(ctx context.Context, tx *tenant.Tx, accounts []uuid.UUID) (map[uuid.UUID][]string, error) {
	var rows []struct {
		Account uuid.UUID `db:"account_id"`
		Name    string    `db:"name"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT m.account_id, t.name FROM coop_members m JOIN tenants t ON t.id = m.tenant_id
		WHERE m.account_id = ANY($1) ORDER BY t.name`, pq.Array(accounts)); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID][]string, len(rows))
	for _, r := range rows {
		out[r.Account] = append(out[r.Account], r.Name)
	}
	return out, nil
}
