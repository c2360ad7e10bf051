package web

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Progress streams hold a connection, a goroutine and a notification
// subscription each for minutes, so a session may have only a few open at
// once, and they end with the session: at once when it signs out on this
// instance, within streamSessionCheck when it is revoked anywhere else, and
// when its access token expires (the UI refreshes the session and reopens).

// maxStreamsPerSession is how many progress streams one session (or one
// account's API tokens) may hold open on an instance. The UI opens one per
// deployment page; a few tabs fit.
const maxStreamsPerSession = 4

// streamSessionCheck is how often an open stream asks whether its session
// was ended elsewhere (another instance, a refresh-token reuse).
const streamSessionCheck = 5 * time.Second

// streamMaxAge bounds any stream, whatever its credential.
const streamMaxAge = 15 * time.Minute

// streamRegistry knows the open progress streams of each session and
// account, to cap them and to end them.
type streamRegistry struct {
	check time.Duration // streamSessionCheck; tests shorten it

	mu      sync.Mutex
	byOwner map[string]map[*openStream]struct{}
}

type openStream struct {
	session, account uuid.UUID
	cancel           context.CancelFunc
}

func newStreamRegistry() *streamRegistry {
	return &streamRegistry{check: streamSessionCheck, byOwner: map[string]map[*openStream]struct{}{}}
}

// streamOwner is whom a stream counts against: the session of a signed-in
// user, the account of an API token.
func streamOwner(a tenant.Actor) string {
	if a.SessionID != uuid.Nil {
		return "session:" + a.SessionID.String()
	}
	return "account:" + a.ID.String()
}

// open registers a stream of the actor whose context cancel ends it. It
// returns ETOOMANYREQUEST when the actor's session already has
// maxStreamsPerSession open, and the function that unregisters the stream.
func (r *streamRegistry) open(a tenant.Actor, cancel context.CancelFunc) (func(), error) {
	key := streamOwner(a)
	st := &openStream{session: a.SessionID, account: a.ID, cancel: cancel}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byOwner[key]) >= maxStreamsPerSession {
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ETOOMANYREQUEST, RetryAfter: 10 * time.Second,
			Message: "too many progress streams open for this session: close another deployment's page"}
	}
	if r.byOwner[key] == nil {
		r.byOwner[key] = map[*openStream]struct{}{}
	}
	r.byOwner[key][st] = struct{}{}
	return func() {
		r.mu.Lock()
		delete(r.byOwner[key], st)
		if len(r.byOwner[key]) == 0 {
			delete(r.byOwner, key)
		}
		r.mu.Unlock()
		cancel()
	}, nil
}

// endSession ends the open streams of a session.
func (r *streamRegistry) endSession(session uuid.UUID) {
	if session == uuid.Nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for st := range r.byOwner["session:"+session.String()] {
		st.cancel()
	}
}

// endAccount ends every open stream of an account's sessions and tokens.
func (r *streamRegistry) endAccount(account uuid.UUID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, set := range r.byOwner {
		for st := range set {
			if st.account == account {
				st.cancel()
			}
		}
	}
}

// streamContext is the context a stream of the actor runs in: the tenant
// and the actor, ending at streamMaxAge or when the actor's access token
// expires, whichever is first.
func streamContext(tid uuid.UUID, a tenant.Actor) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(streamMaxAge)
	if !a.Until.IsZero() && a.Until.Before(deadline) {
		deadline = a.Until
	}
	return context.WithDeadline(tenant.WithActor(tenant.WithID(context.Background(), tid), a), deadline)
}

// watchStream ends the stream when its session is ended elsewhere (asking
// every r.check), and unregisters it when its context ends for any reason,
// so a stream whose body never ran does not hold a place until restart.
func (s *Server) watchStream(ctx context.Context, a tenant.Actor, cancel context.CancelFunc, unregister func()) {
	defer unregister()
	var tick <-chan time.Time
	if a.SessionID != uuid.Nil {
		t := time.NewTicker(s.streams.check)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			ended, err := s.deps.Identity.SessionEnded(ctx, a.SessionID)
			if err == nil && ended {
				cancel()
				return
			}
		}
	}
}
