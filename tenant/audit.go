package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/google/uuid"
)

// AuditEvent is one line of the audit log: who did what to what, from where.
type AuditEvent struct {
	ID        int64           `db:"id" json:"id"`
	TenantID  *uuid.UUID      `db:"tenant_id" json:"tenant_id,omitempty"`
	ActorID   *uuid.UUID      `db:"actor_id" json:"actor_id,omitempty"`
	Actor     string          `db:"actor" json:"actor"`
	Action    string          `db:"action" json:"action"`
	Target    string          `db:"target" json:"target"`
	IP        *string         `db:"ip" json:"ip,omitempty"`
	Detail    json.RawMessage `db:"detail" json:"detail"`
	CreatedAt time.Time       `db:"created_at" json:"created_at"`
	// TenantName is filled for the console's cross-tenant view.
	TenantName *string `db:"tenant_name" json:"tenant,omitempty"`
}

// Audit writes an audit event in tx for the actor in ctx (the system actor
// when there is none). tenantID is the tenant the event belongs to, uuid.Nil
// for a platform-realm event. detail must not contain a secret.
func Audit(ctx context.Context, tx *Tx, tenantID uuid.UUID, action, target string, detail map[string]any) error {
	actor, ok := ActorFromContext(ctx)
	if !ok {
		actor = System("unknown")
	}
	var tid, aid *uuid.UUID
	if tenantID != uuid.Nil {
		tid = &tenantID
	}
	if actor.ID != uuid.Nil {
		aid = &actor.ID
	}
	var ip *string
	if net.ParseIP(actor.IP) != nil {
		ip = &actor.IP
	}
	if detail == nil {
		detail = map[string]any{}
	}
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	name := actor.Name
	if name == "" {
		name = string(actor.Kind)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_events (tenant_id, actor_id, actor, action, target, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`, tid, aid, name, action, target, ip, string(d))
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// AuditPage lists audit events newest first, at most limit, older than the
// cursor (an event id; 0 for the first page). In a tenant transaction it sees
// that tenant's events; on the system path, every event with its tenant's name.
func AuditPage(ctx context.Context, tx *Tx, before int64, limit int) ([]AuditEvent, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	var out []AuditEvent
	err := tx.SelectContext(ctx, &out, `
		SELECT e.id, e.tenant_id, e.actor_id, e.actor, e.action, e.target, host(e.ip) AS ip, e.detail, e.created_at, t.name AS tenant_name
		FROM audit_events e LEFT JOIN tenants t ON t.id = e.tenant_id
		WHERE e.id < $1 ORDER BY e.id DESC LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("audit page: %w", err)
	}
	return out, nil
}
