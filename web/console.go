package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/deploy"
	"github.com/fiatdashboard/fiatdashboard/jobs"
	"github.com/fiatdashboard/fiatdashboard/rbac"
)

// consoleAccounts lists the platform's accounts: ?q= (an e-mail prefix),
// ?cursor= (next_cursor) and ?limit=.
func (s *Server) consoleAccounts(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Identity.PlatformAccounts(c.UserContext(), utils.CopyString(c.Query("q")), utils.CopyString(c.Query("cursor")), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(a rbac.PlatformAccount) string { return a.Email }))
}

// consoleSetDisabled disables or enables a platform account.
func (s *Server) consoleSetDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathUUID(c, "id")
		if err != nil {
			return err
		}
		a, err := s.deps.Identity.SetAccountDisabled(c.UserContext(), id, disabled)
		if err != nil {
			return err
		}
		return c.JSON(a)
	}
}

// consoleNodeOperators lists node operators with their twins, nodes,
// dashboards and this month's earnings.
func (s *Server) consoleNodeOperators(c *fiber.Ctx) error {
	limit, err := page(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Deploy.NodeOperators(c.UserContext(), utils.CopyString(c.Query("q")), utils.CopyString(c.Query("cursor")), limit)
	if err != nil {
		return err
	}
	return c.JSON(listOf(out, limit, func(o deploy.ConsoleOperator) string { return o.Email }))
}

func (s *Server) jobsConsole() (*jobs.Console, error) {
	if s.deps.Jobs == nil {
		return nil, fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the job queues are not connected to this server")
	}
	return s.deps.Jobs, nil
}

// consoleJobs is the queues' sizes, the periodic schedule and the workers.
func (s *Server) consoleJobs(c *fiber.Ctx) error {
	j, err := s.jobsConsole()
	if err != nil {
		return err
	}
	o, err := j.Overview(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// consoleJobTasks lists a queue's failed (?state=archived, the default) or
// retrying (?state=retry) tasks; ?cursor= is a page number from next_cursor.
func (s *Server) consoleJobTasks(c *fiber.Ctx) error {
	j, err := s.jobsConsole()
	if err != nil {
		return err
	}
	limit, err := page(c)
	if err != nil {
		return err
	}
	n := 1
	if v := c.Query("cursor"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return fiatdashboard.Invalid("cursor", "cursor must come from next_cursor")
		}
	}
	out, err := j.Tasks(c.UserContext(), utils.CopyString(c.Params("queue")), utils.CopyString(c.Query("state")), n, limit)
	if err != nil {
		return err
	}
	l := list[jobs.TaskSummary]{Items: out}
	if len(out) == limit {
		l.NextCursor = strconv.Itoa(n + 1)
	}
	return c.JSON(l)
}

// consoleRetryJob runs a failed or retrying task again now.
func (s *Server) consoleRetryJob(c *fiber.Ctx) error {
	j, err := s.jobsConsole()
	if err != nil {
		return err
	}
	t, err := j.RetryTask(c.UserContext(), utils.CopyString(c.Params("queue")), utils.CopyString(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// consoleDeleteJob removes a failed or retrying task for good.
func (s *Server) consoleDeleteJob(c *fiber.Ctx) error {
	j, err := s.jobsConsole()
	if err != nil {
		return err
	}
	if err := j.DeleteTask(c.UserContext(), utils.CopyString(c.Params("queue")), utils.CopyString(c.Params("id"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
