package tenant

import (
	"context"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// changesChannel tells every instance that a tenant or a domain changed.
const changesChannel = "fd:tenant:changed"

// Changes keeps the Resolvers of every instance in step: Publish on the
// instance that changed something, Listen on all of them.
type Changes struct {
	rdb      redis.UniversalClient
	resolver *Resolver
	log      *slog.Logger
}

// NewChanges returns Changes for the resolver on rdb (nil rdb: this instance only).
func NewChanges(rdb redis.UniversalClient, resolver *Resolver, log *slog.Logger) *Changes {
	return &Changes{rdb: rdb, resolver: resolver, log: log}
}

// TenantChanged drops the tenant's cached entries here and everywhere.
func (c *Changes) TenantChanged(ctx context.Context, slug string) {
	c.resolver.Invalidate(slug)
	c.publish(ctx, "tenant:"+slug)
}

// DomainChanged drops a custom domain's cached entry here and everywhere.
func (c *Changes) DomainChanged(ctx context.Context, domain string) {
	c.resolver.InvalidateDomain(domain)
	c.publish(ctx, "domain:"+domain)
}

func (c *Changes) publish(ctx context.Context, msg string) {
	if c.rdb == nil {
		return
	}
	if err := c.rdb.Publish(context.WithoutCancel(ctx), changesChannel, msg).Err(); err != nil {
		c.log.Error("publish tenant change", "err", err)
	}
}

// Listen applies other instances' changes until ctx is done.
func (c *Changes) Listen(ctx context.Context) error {
	if c.rdb == nil {
		return nil
	}
	sub := c.rdb.Subscribe(ctx, changesChannel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return err
	}
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return nil
			}
			if slug, ok := strings.CutPrefix(m.Payload, "tenant:"); ok {
				c.resolver.Invalidate(slug)
			} else if d, ok := strings.CutPrefix(m.Payload, "domain:"); ok {
				c.resolver.InvalidateDomain(d)
			}
		}
	}
}
