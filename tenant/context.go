package tenant

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// ActorKind says who is acting: a signed-in account, an API token, or the
// platform itself doing named background work.
type ActorKind string

const (
	ActorUser   ActorKind = "user"
	ActorToken  ActorKind = "token"
	ActorSystem ActorKind = "system"
)

// Actor is who performs an action. It travels in the context from the HTTP
// middleware or the job envelope down to the services, which authorize it.
type Actor struct {
	Kind ActorKind `json:"kind"`
	ID   uuid.UUID `json:"id,omitempty"`
	// Name is the account e-mail for users and tokens, the job name for the system.
	Name string `json:"name"`
	// MFA is true when the actor's session passed two-factor authentication
	// (or the actor is an API token created from such a session).
	MFA bool `json:"mfa,omitempty"`
	// SessionID is the session (refresh-token family) of a signed-in user.
	SessionID uuid.UUID `json:"session_id,omitempty"`
	// IP is where the request came from, for the audit log.
	IP string `json:"ip,omitempty"`
	// Until is when the credential that authenticated the actor stops
	// working (a session's access token); zero when it does not expire by
	// itself (API tokens, the system). Long-lived responses end by then.
	Until time.Time `json:"-"`
}

// System returns the actor for named background work, never "nobody".
func System(name string) Actor { return Actor{Kind: ActorSystem, Name: name} }

type ctxKey int

const (
	tenantKey ctxKey = iota
	actorKey
)

// WithID returns a context scoped to the tenant id.
func WithID(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, tenantKey, id)
}

// IDFromContext returns the tenant the context is scoped to, if any.
func IDFromContext(ctx context.Context) (uuid.UUID, bool) {
	id, ok := ctx.Value(tenantKey).(uuid.UUID)
	return id, ok && id != uuid.Nil
}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFromContext returns the actor carried by the context, if any. Callers
// that find none must fail closed.
func ActorFromContext(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey).(Actor)
	return a, ok && a.Kind != ""
}
