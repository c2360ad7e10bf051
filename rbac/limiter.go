package rbac

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard"
)

// Limits on failed sign-ins, counted in Redis so every instance sees them.
const (
	accountFailures = 5                // per account (realm + e-mail) …
	ipFailures      = 30               // … and per IP address …
	failureWindow   = 15 * time.Minute // … within this window
)

// Limiter counts failed attempts per account and per IP.
type Limiter struct {
	rdb redis.UniversalClient
}

// NewLimiter returns a Limiter on rdb.
func NewLimiter(rdb redis.UniversalClient) *Limiter { return &Limiter{rdb: rdb} }

func accountKey(realm, email string) string {
	h := sha256.Sum256([]byte(realm + "\x00" + email))
	return "fd:authfail:acct:" + hex.EncodeToString(h[:16])
}

func ipKey(ip string) string { return "fd:authfail:ip:" + ip }

// Check returns ETOOMANYREQUEST with RetryAfter when the account or the IP has
// failed too often. The message is the same whether or not the account exists.
func (l *Limiter) Check(ctx context.Context, realm, email, ip string) error {
	ak, ik := accountKey(realm, email), ipKey(ip)
	pipe := l.rdb.Pipeline()
	ac, ic := pipe.Get(ctx, ak), pipe.Get(ctx, ik)
	at, it := pipe.PTTL(ctx, ak), pipe.PTTL(ctx, ik)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return fmt.Errorf("limiter: %w", err)
	}
	var wait time.Duration
	if n, _ := ac.Int(); n >= accountFailures {
		wait = max(wait, at.Val())
	}
	if n, _ := ic.Int(); n >= ipFailures {
		wait = max(wait, it.Val())
	}
	if wait > 0 {
		return &fiatdashboard.Error{Code: fiatdashboard.ETOOMANYREQUEST, RetryAfter: wait,
			Message: fmt.Sprintf("too many failed attempts; try again in %d minutes", int(wait.Minutes())+1)}
	}
	return nil
}

// Fail counts a failed attempt.
func (l *Limiter) Fail(ctx context.Context, realm, email, ip string) {
	pipe := l.rdb.Pipeline()
	for _, k := range []string{accountKey(realm, email), ipKey(ip)} {
		pipe.Incr(ctx, k)
		pipe.ExpireNX(ctx, k, failureWindow)
	}
	pipe.Exec(ctx)
}

// Succeed forgets the account's failures.
func (l *Limiter) Succeed(ctx context.Context, realm, email string) {
	l.rdb.Del(ctx, accountKey(realm, email))
}

// Rate is a limit on an action, counted on its own in Redis (one action's
// traffic never locks out another): at most PerKey per key (an account, an
// e-mail) and PerIP per client address within Window. Zero means no limit
// on that side.
type Rate struct {
	Name          string
	PerKey, PerIP int
	Window        time.Duration
}

// The actions limited besides sign-in failures.
var (
	RateSignup         = Rate{Name: "signup", PerKey: 3, PerIP: 10, Window: time.Hour}
	RateApplication    = Rate{Name: "application", PerKey: 3, PerIP: 5, Window: time.Hour}
	RatePasswordChange = Rate{Name: "pwchange", PerKey: 5, PerIP: 30, Window: 15 * time.Minute}
	RatePasswordReset  = Rate{Name: "reset", PerKey: 5, PerIP: 30, Window: 15 * time.Minute}
	RateResend         = Rate{Name: "resend", PerKey: 5, PerIP: 30, Window: 15 * time.Minute}
	RateTokenCreate    = Rate{Name: "token", PerKey: 20, PerIP: 60, Window: time.Hour}
)

// Take counts one attempt at r by key and ip and returns ETOOMANYREQUEST with
// RetryAfter once either is over its limit. The message is the same whether
// or not key names an account.
func (l *Limiter) Take(ctx context.Context, r Rate, key, ip string) error {
	h := sha256.Sum256([]byte(key))
	kk := "fd:rate:" + r.Name + ":k:" + hex.EncodeToString(h[:16])
	ik := "fd:rate:" + r.Name + ":ip:" + ip
	pipe := l.rdb.Pipeline()
	kn, in := pipe.Incr(ctx, kk), pipe.Incr(ctx, ik)
	pipe.ExpireNX(ctx, kk, r.Window)
	pipe.ExpireNX(ctx, ik, r.Window)
	kt, it := pipe.PTTL(ctx, kk), pipe.PTTL(ctx, ik)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("limiter: %w", err)
	}
	var wait time.Duration
	if r.PerKey > 0 && key != "" && kn.Val() > int64(r.PerKey) {
		wait = max(wait, kt.Val())
	}
	if r.PerIP > 0 && ip != "" && in.Val() > int64(r.PerIP) {
		wait = max(wait, it.Val())
	}
	if wait > 0 {
		return &fiatdashboard.Error{Code: fiatdashboard.ETOOMANYREQUEST, RetryAfter: wait,
			Message: fmt.Sprintf("too many attempts; try again in %d minutes", int(wait.Minutes())+1)}
	}
	return nil
}

// Throttle counts one attempt at r in the caller's realm (see Limiter.Take),
// for actions outside this package (storefront applications).
func (s *Service) Throttle(ctx context.Context, r Rate, key string, meta ClientMeta) error {
	return s.limiter.Take(ctx, r, realmKey(ctx)+"\x00"+key, meta.IP)
}
