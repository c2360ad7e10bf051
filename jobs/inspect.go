package jobs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// Console is the super-admins' view of background work: queue sizes, the
// tasks that failed or wait for a retry (with retry and delete), and the
// scheduler's periodic entries. Every method checks console/jobs read or
// write. It never shows a task's payload: payloads carry tenants' data, and
// only the type, id, error, attempts and times leave this package.
type Console struct {
	insp  *asynq.Inspector
	rdb   redis.UniversalClient
	authz tenant.Authorizer
	db    *sqlx.DB
}

// NewConsole returns the jobs console reading Redis through insp; rdb reads
// the worker heartbeat, db receives the audit rows of retries and deletes.
func NewConsole(insp *asynq.Inspector, rdb redis.UniversalClient, authz tenant.Authorizer, db *sqlx.DB) *Console {
	return &Console{insp: insp, rdb: rdb, authz: authz, db: db}
}

// QueueNames are the queues in priority order.
var QueueNames = []string{QueueCritical, QueueDefault, QueueLow}

// QueueStats is one queue's sizes and today's counters.
type QueueStats struct {
	Name      string `json:"name"`
	Priority  int    `json:"priority"`
	Size      int    `json:"size"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Archived  int    `json:"archived"` // failed for good
	Completed int    `json:"completed"`
	Processed int    `json:"processed_today"`
	Failed    int    `json:"failed_today"`
	Paused    bool   `json:"paused"`
	// LatencySeconds is the age of the oldest pending task.
	LatencySeconds int64 `json:"latency_seconds"`
}

// ScheduleEntry is one periodic task the scheduler enqueues.
type ScheduleEntry struct {
	ID    string     `json:"id"`
	Spec  string     `json:"spec"`
	Type  string     `json:"type"`
	Queue string     `json:"queue"` // when registered with one; "" when the task itself names it
	Next  time.Time  `json:"next"`
	Prev  *time.Time `json:"prev"`
}

// Overview is the Jobs page's summary.
type Overview struct {
	Queues   []QueueStats    `json:"queues"`
	Schedule []ScheduleEntry `json:"schedule"`
	Workers  int             `json:"workers"`
	// Heartbeat is when a worker last ran the scheduler's heartbeat task.
	Heartbeat *time.Time `json:"heartbeat"`
}

// Overview returns every queue (empty ones too), the periodic schedule and
// the number of running workers (console/jobs read).
func (c *Console) Overview(ctx context.Context) (*Overview, error) {
	if err := c.authz.Require(ctx, "console/jobs", "read"); err != nil {
		return nil, err
	}
	o := &Overview{Queues: []QueueStats{}, Schedule: []ScheduleEntry{}}
	existing, err := c.insp.Queues()
	if err != nil {
		return nil, fmt.Errorf("queues: %w", unavailable(err))
	}
	for _, q := range QueueNames {
		st := QueueStats{Name: q, Priority: Queues[q]}
		// A queue that never had a task does not exist yet: all zero.
		if slices.Contains(existing, q) {
			info, err := c.insp.GetQueueInfo(q)
			if err != nil {
				return nil, fmt.Errorf("queue %s: %w", q, unavailable(err))
			}
			st.Size, st.Pending, st.Active, st.Scheduled = info.Size, info.Pending, info.Active, info.Scheduled
			st.Retry, st.Archived, st.Completed = info.Retry, info.Archived, info.Completed
			st.Processed, st.Failed, st.Paused = info.Processed, info.Failed, info.Paused
			st.LatencySeconds = int64(info.Latency / time.Second)
		}
		o.Queues = append(o.Queues, st)
	}
	entries, err := c.insp.SchedulerEntries()
	if err != nil {
		return nil, fmt.Errorf("scheduler entries: %w", unavailable(err))
	}
	for _, e := range entries {
		s := ScheduleEntry{ID: e.ID, Spec: e.Spec, Type: e.Task.Type(), Next: e.Next}
		if !e.Prev.IsZero() {
			prev := e.Prev
			s.Prev = &prev
		}
		for _, opt := range e.Opts {
			if opt.Type() == asynq.QueueOpt {
				if q, ok := opt.Value().(string); ok {
					s.Queue = q
				}
			}
		}
		o.Schedule = append(o.Schedule, s)
	}
	slices.SortFunc(o.Schedule, func(a, b ScheduleEntry) int { return strings.Compare(a.Type, b.Type) })
	if servers, err := c.insp.Servers(); err == nil {
		o.Workers = len(servers)
	}
	if c.rdb != nil {
		if v, err := c.rdb.Get(ctx, HeartbeatKey).Result(); err == nil {
			if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
				t := time.Unix(sec, 0).UTC()
				o.Heartbeat = &t
			}
		}
	}
	return o, nil
}

// Task states the console lists.
const (
	StateArchived = "archived" // failed for good (retries used up, or not retryable)
	StateRetry    = "retry"    // failed, waiting for its next attempt
)

// TaskSummary is what the console shows of a task: never its payload.
type TaskSummary struct {
	ID        string     `json:"id"`
	Queue     string     `json:"queue"`
	Type      string     `json:"type"`
	State     string     `json:"state"`
	LastError string     `json:"last_error"`
	Attempts  int        `json:"attempts"`
	MaxRetry  int        `json:"max_retry"`
	FailedAt  *time.Time `json:"last_failed_at"`
	NextRunAt *time.Time `json:"next_run_at"`
}

// MaxTaskPage is the largest page of tasks.
const MaxTaskPage = 100

// Tasks lists a queue's tasks in state (archived or retry), page by page
// (pages count from 1; console/jobs read).
func (c *Console) Tasks(ctx context.Context, queue, state string, page, size int) ([]TaskSummary, error) {
	if err := c.authz.Require(ctx, "console/jobs", "read"); err != nil {
		return nil, err
	}
	if err := checkQueue(queue); err != nil {
		return nil, err
	}
	if page < 1 {
		return nil, fiatdashboard.Invalid("cursor", "cursor must come from next_cursor")
	}
	if size < 1 || size > MaxTaskPage {
		return nil, fiatdashboard.Invalid("limit", "limit must be a number from 1 to %d", MaxTaskPage)
	}
	var list func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error)
	switch state {
	case StateArchived, "":
		list, state = c.insp.ListArchivedTasks, StateArchived
	case StateRetry:
		list = c.insp.ListRetryTasks
	default:
		return nil, fiatdashboard.Invalid("state", "state must be archived or retry")
	}
	infos, err := list(queue, asynq.Page(page), asynq.PageSize(size))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return []TaskSummary{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s tasks of %s: %w", state, queue, unavailable(err))
	}
	out := make([]TaskSummary, 0, len(infos))
	for _, t := range infos {
		out = append(out, summarize(t))
	}
	return out, nil
}

func summarize(t *asynq.TaskInfo) TaskSummary {
	s := TaskSummary{ID: t.ID, Queue: t.Queue, Type: t.Type, State: t.State.String(),
		LastError: RedactError(t.LastErr), Attempts: t.Retried, MaxRetry: t.MaxRetry}
	if t.State == asynq.TaskStateArchived {
		// An archived task's last attempt is the one that failed for good.
		s.Attempts++
	}
	if !t.LastFailedAt.IsZero() {
		at := t.LastFailedAt.UTC()
		s.FailedAt = &at
	}
	if t.State == asynq.TaskStateRetry && !t.NextProcessAt.IsZero() {
		at := t.NextProcessAt.UTC()
		s.NextRunAt = &at
	}
	return s
}

// RetryTask runs a failed or retrying task again now (console/jobs write).
// ENOTFOUND when the queue has no such task.
func (c *Console) RetryTask(ctx context.Context, queue, id string) (*TaskSummary, error) {
	if err := c.authz.Require(ctx, "console/jobs", "write"); err != nil {
		return nil, err
	}
	t, err := c.task(queue, id)
	if err != nil {
		return nil, err
	}
	if err := c.insp.RunTask(queue, id); err != nil {
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "task not found")
		}
		return nil, &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "id", Message: "this task cannot be retried now: it is " + t.State.String()}
	}
	if err := c.audit(ctx, "job.retried", t); err != nil {
		return nil, err
	}
	s := summarize(t)
	s.State = asynq.TaskStatePending.String()
	return &s, nil
}

// DeleteTask removes a failed or retrying task for good (console/jobs
// write). ENOTFOUND when the queue has no such task; ECONFLICT while it runs.
func (c *Console) DeleteTask(ctx context.Context, queue, id string) error {
	if err := c.authz.Require(ctx, "console/jobs", "write"); err != nil {
		return err
	}
	t, err := c.task(queue, id)
	if err != nil {
		return err
	}
	if err := c.insp.DeleteTask(queue, id); err != nil {
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "task not found")
		}
		return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "id", Message: "this task cannot be deleted now: it is " + t.State.String()}
	}
	return c.audit(ctx, "job.deleted", t)
}

func (c *Console) task(queue, id string) (*asynq.TaskInfo, error) {
	if err := checkQueue(queue); err != nil {
		return nil, err
	}
	t, err := c.insp.GetTaskInfo(queue, id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return nil, fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "task not found")
	}
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", id, unavailable(err))
	}
	return t, nil
}

func (c *Console) audit(ctx context.Context, action string, t *asynq.TaskInfo) error {
	return tenant.SystemTx(ctx, c.db, "console: "+action, func(tx *tenant.Tx) error {
		return tenant.Audit(ctx, tx, uuid.Nil, action, t.Queue+"/"+t.ID, map[string]any{"type": t.Type, "state": t.State.String()})
	})
}

func checkQueue(q string) error {
	if !slices.Contains(QueueNames, q) {
		return fiatdashboard.Invalid("queue", "queue must be one of critical, default, low")
	}
	return nil
}

// unavailable marks a Redis failure as a dependency outage (503), keeping
// the cause for the log.
func unavailable(err error) error {
	return errors.Join(fiatdashboard.Errorf(fiatdashboard.EUNAVAILABLE, "the job queues (Redis) do not answer; try again"), err)
}

// maxErrorLen keeps a task's error to what a table cell can show.
const maxErrorLen = 500

// secretLike matches what must never be shown even if a handler put it into
// an error: Stripe keys and webhook secrets, bearer and refresh tokens,
// credentials inside URLs, Stellar secret seeds and key=value secrets.
var secretLike = []*regexp.Regexp{
	regexp.MustCompile(`\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]+`),
	regexp.MustCompile(`\bwhsec_[A-Za-z0-9_]+`),
	regexp.MustCompile(`\b(fdr|fdt)_[A-Za-z0-9_-]+`),
	regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+`),
	regexp.MustCompile(`://[^/\s:@]+:[^@\s]+@`),
	regexp.MustCompile(`\bS[A-Z2-7]{55}\b`),
	regexp.MustCompile(`(?i)\b(password|passwd|secret|token|mnemonic|seed|api[_-]?key)\b(\s*[=:]\s*)("[^"]*"|\S+)`),
}

// RedactError returns a task error fit for the console: secret-looking
// parts replaced, cut to a length a page can show.
func RedactError(msg string) string {
	for i, re := range secretLike {
		switch i {
		case 4:
			msg = re.ReplaceAllString(msg, "://[redacted]@")
		case 6:
			msg = re.ReplaceAllString(msg, "$1$2[redacted]")
		default:
			msg = re.ReplaceAllString(msg, "[redacted]")
		}
	}
	if len(msg) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !isRuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
