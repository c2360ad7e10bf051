package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

func (s *Server) images(c *fiber.Ctx) error {
	names := make([]string, 0, len(deploy.Images))
	for k := range deploy.Images {
		names = append(names, k)
	}
	sort.Strings(names)
	labels := map[string]string{"ubuntu-24.04": "Ubuntu 24.04 LTS", "ubuntu-22.04": "Ubuntu 22.04 LTS", "debian-12": "Debian 12", "nixos": "NixOS"}
	out := []fiber.Map{}
	for _, n := range names {
		out = append(out, fiber.Map{"id": n, "label": labels[n]})
	}
	return c.JSON(fiber.Map{"items": out})
}

func (s *Server) deployments(c *fiber.Ctx) error {
	return s.listDeployments(c, false)
}

func (s *Server) adminDeployments(c *fiber.Ctx) error {
	return s.listDeployments(c, true)
}

func (s *Server) listDeployments(c *fiber.Ctx, all bool) error {
	before, limit, err := timePage(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	scope, err := s.deps.Deploy.ReadScope(ctx, all, false)
	if err != nil {
		return err
	}
	return s.cachedPage(c, scope+"|"+c.Query("cursor")+"|"+strconv.Itoa(limit), func(ctx context.Context) (any, error) {
		out, err := s.deps.Deploy.List(ctx, all, before, limit)
		if err != nil {
			return nil, err
		}
		return listOf(out, limit, func(d deploy.Deployment) string { return d.CreatedAt.Format(time.RFC3339Nano) }), nil
	})
}

// cachedPage answers an authenticated tenant-scoped read from the page
// cache (pagecache.go): key is everything the answer depends on besides
// the tenant and the caller, who are added here.
func (s *Server) cachedPage(c *fiber.Ctx, key string, build func(context.Context) (any, error)) error {
	ctx := c.UserContext()
	tid, ok := tenant.IDFromContext(ctx)
	actor, _ := tenant.ActorFromContext(ctx)
	var body []byte
	var err error
	if !ok || actor.ID == uuid.Nil {
		body, err = encode(build(ctx))
	} else {
		body, err = s.pages.get(ctx, tid, string(actor.Kind)+"|"+actor.ID.String()+"|"+c.Route().Path+"|"+key, build)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

func (s *Server) createDeployment(c *fiber.Ctx) error {
	var in deploy.CreateInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.ClientKey == "" {
		in.ClientKey = c.Get("Idempotency-Key")
	}
	d, err := s.deps.Deploy.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) deployment(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	scope, err := s.deps.Deploy.ReadScope(c.UserContext(), false, true)
	if err != nil {
		return err
	}
	return s.cachedPage(c, scope+"|"+id.String(), func(ctx context.Context) (any, error) {
		return s.deps.Deploy.Get(ctx, id)
	})
}

func (s *Server) cancelDeployment(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Deploy.Cancel(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// adminCancelDeployment cancels a deployment from the admin pages; it needs
// an admin role (a customer's own cancel is DELETE /api/deployments/{id}).
func (s *Server) adminCancelDeployment(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Deploy.AdminCancel(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// deploymentEvents streams a deployment's events as Server-Sent Events:
// every event so far, then new ones as they happen, until the deployment
// settles or the client goes away. Each event's id lets a reconnecting
// browser resume (Last-Event-ID).
func (s *Server) deploymentEvents(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var after int64
	fmt.Sscan(c.Get("Last-Event-ID"), &after)
	first, err := s.deps.Deploy.Events(ctx, id, after)
	if err != nil {
		return err
	}
	actor, _ := tenant.ActorFromContext(ctx)
	tid, _ := tenant.IDFromContext(ctx)
	// The request's context ends with the handler: the stream runs on its
	// own, until the deployment settles, the client leaves or the session
	// ends (streams.go).
	sctx, cancel := streamContext(tid, actor)
	closeStream, err := s.streams.open(actor, cancel)
	if err != nil {
		cancel()
		return err
	}
	go s.watchStream(sctx, actor, cancel, closeStream)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderConnection, "keep-alive")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer closeStream()
		// Subscribed before the first write: a transition committed from
		// here on wakes the stream.
		wake, stop := s.progress.watch(id)
		defer stop()
		if events, err := s.deps.Deploy.Events(sctx, id, after); err == nil && len(events) > 0 {
			first = mergeEvents(first, events)
		}
		events := first
		// The first write sends the headers even when there is no event yet.
		fmt.Fprint(w, "retry: 3000\n\n")
		for {
			for _, e := range events {
				b, _ := json.Marshal(e)
				fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, "deployment", b)
				after = e.ID
			}
			if err := w.Flush(); err != nil {
				return // the client left
			}
			if len(events) > 0 {
				last := events[len(events)-1].Status
				if last == deploy.Running || last == deploy.Failed || last == deploy.Terminated {
					return
				}
			}
			read, open := s.progress.next(sctx.Done(), wake)
			if !open {
				return
			}
			events = nil
			if read {
				var err error
				if events, err = s.deps.Deploy.Events(sctx, id, after); err != nil {
					return
				}
			}
			if len(events) == 0 {
				fmt.Fprint(w, ": keep-alive\n\n")
			}
		}
	})
	return nil
}

// mergeEvents appends to a the events of b that a does not have (ids ascend).
func mergeEvents(a, b []deploy.Event) []deploy.Event {
	var last int64
	if len(a) > 0 {
		last = a[len(a)-1].ID
	}
	for _, e := range b {
		if e.ID > last {
			a = append(a, e)
		}
	}
	return a
}

func (s *Server) adminRetryDeployment(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Deploy.Retry(c.UserContext(), id); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"queued": true})
}

// adminAttention is the "Needs attention" list: each item with its actions.
func (s *Server) adminAttention(c *fiber.Ctx) error {
	items, err := s.deps.Deploy.Attention(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// adminHandleAttention takes one action (retry, refund, dismiss) on an
// item and clears it.
func (s *Server) adminHandleAttention(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Action string `json:"action"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	it, err := s.deps.Deploy.HandleAttention(c.UserContext(), id, in.Action)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"handled": in.Action, "item": it})
}

// sshKeys lists the customer's saved SSH keys (at most deploy.MaxSSHKeys,
// so one page).
func (s *Server) sshKeys(c *fiber.Ctx) error {
	keys, err := s.deps.Deploy.SSHKeys(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": keys})
}

func (s *Server) saveSSHKey(c *fiber.Ctx) error {
	var in deploy.SSHKeyInput
	if err := bind(c, &in); err != nil {
		return err
	}
	k, err := s.deps.Deploy.SaveSSHKey(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(k)
}

func (s *Server) deleteSSHKey(c *fiber.Ctx) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Deploy.DeleteSSHKey(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// adminHealth is the health page: the last reconcile, incidents, counts.
func (s *Server) adminHealth(c *fiber.Ctx) error {
	h, err := s.deps.Deploy.HealthReport(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(h)
}

func (s *Server) adminReconcileReports(c *fiber.Ctx) error {
	before, limit, err := timePage(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Deploy.Reports(c.UserContext(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(r deploy.Report) string { return r.RanAt.Format(time.RFC3339Nano) }))
}

func (s *Server) adminReconcileNow(c *fiber.Ctx) error {
	r, err := s.deps.Deploy.ReconcileNow(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r)
}

var _ = uuid.Nil
var _ = fiatdashboard.ENOTFOUND
