package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
)

// TypeHeartbeat is the scheduler's own periodic task: it records when the
// scheduler last enqueued and a worker last processed, which /readyz's
// neighbours (the console's Jobs page, alerts) read.
const TypeHeartbeat = "system:heartbeat"

// HeartbeatKey holds the Unix time of the last processed heartbeat.
const HeartbeatKey = "fd:jobs:heartbeat"

// WorkerConfig configures the Asynq server and scheduler.
type WorkerConfig struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	// Scheduler runs the periodic-task scheduler in this worker. Asynq has no
	// leader election: exactly one worker per deployment must run it (the
	// periodic tasks are also Unique, so a second one enqueues no duplicate).
	Scheduler bool
	// DB holds the outbox: its rows are marked done as their tasks finish.
	DB *sqlx.DB
}

// maxRetryDelay caps Asynq's exponential backoff: work owed to a paying
// customer is tried again at least this often.
const maxRetryDelay = time.Minute

// Worker processes tasks and, when configured, schedules periodic ones.
type Worker struct {
	server    *asynq.Server
	scheduler *asynq.Scheduler
	mux       *asynq.ServeMux
	log       *slog.Logger
}

// NewWorker builds a worker on Redis. Handlers are registered with Handle
// before Run.
func NewWorker(opt asynq.RedisConnOpt, rdb redis.UniversalClient, cfg WorkerConfig, log *slog.Logger) *Worker {
	alog := asynqLogger{log.With("component", "asynq")}
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:     cfg.Concurrency,
		Queues:          Queues,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          alog,
		LogLevel:        asynq.WarnLevel,
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			return min(asynq.DefaultRetryDelayFunc(n, err, t), maxRetryDelay)
		},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			id, _ := asynq.GetTaskID(ctx)
			log.Warn("task failed", "task", t.Type(), "task_id", id, "retry", retried, "max_retry", maxRetry, "err", err)
		}),
	})
	w := &Worker{server: srv, mux: asynq.NewServeMux(), log: log}
	if cfg.DB != nil {
		w.mux.Use(outboxDone(cfg.DB, log))
	}
	w.mux.Use(EnvelopeMiddleware)
	w.mux.HandleFunc(TypeHeartbeat, func(ctx context.Context, t *asynq.Task) error {
		return rdb.Set(ctx, HeartbeatKey, strconv.FormatInt(time.Now().Unix(), 10), 0).Err()
	})
	if cfg.Scheduler {
		w.scheduler = asynq.NewScheduler(opt, &asynq.SchedulerOpts{
			Logger:   alog,
			LogLevel: asynq.WarnLevel,
			// Without this handler the scheduler drops enqueue errors silently.
			EnqueueErrorHandler: func(t *asynq.Task, _ []asynq.Option, err error) {
				if errors.Is(err, asynq.ErrDuplicateTask) {
					return // another scheduler got there first; Unique did its job
				}
				log.Error("scheduler could not enqueue", "task", t.Type(), "err", err)
			},
		})
	}
	return w
}

// Handle registers the handler for a task type.
func (w *Worker) Handle(typ string, h asynq.Handler) { w.mux.Handle(typ, h) }

// Periodic registers a task the scheduler enqueues on spec (cron or
// "@every 1m"). Each is Unique for its period so that two schedulers, or a
// restart, never enqueue it twice.
func (w *Worker) Periodic(spec string, t *asynq.Task, period time.Duration, opts ...asynq.Option) error {
	if w.scheduler == nil {
		return nil
	}
	opts = append([]asynq.Option{asynq.Unique(period)}, opts...)
	if _, err := w.scheduler.Register(spec, t, opts...); err != nil {
		return fmt.Errorf("register %s: %w", t.Type(), err)
	}
	return nil
}

// Run processes tasks until ctx is done, then stops taking new tasks and waits
// (up to ShutdownTimeout) for those in flight.
func (w *Worker) Run(ctx context.Context) error {
	if w.scheduler != nil {
		hb, err := NewTask(systemCtx(ctx, "scheduler"), TypeHeartbeat, nil, asynq.Queue(QueueLow))
		if err != nil {
			return err
		}
		if err := w.Periodic("@every 1m", hb, time.Minute); err != nil {
			return err
		}
		if err := w.scheduler.Start(); err != nil {
			return fmt.Errorf("scheduler: %w", err)
		}
		defer w.scheduler.Shutdown()
	}
	if err := w.server.Start(w.mux); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	<-ctx.Done()
	w.log.Info("worker stopping: finishing tasks in flight")
	w.server.Shutdown()
	return nil
}
