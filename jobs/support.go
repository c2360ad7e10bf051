package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

func systemCtx(ctx context.Context, name string) context.Context {
	return tenant.WithActor(ctx, tenant.System(name))
}

// asynqLogger sends Asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// QueueCollector exports Asynq queue sizes to Prometheus, read from Redis at
// scrape time.
type QueueCollector struct {
	inspector *asynq.Inspector
	size      *prometheus.Desc
}

// NewQueueCollector returns a collector reading queues through inspector.
func NewQueueCollector(inspector *asynq.Inspector) *QueueCollector {
	return &QueueCollector{
		inspector: inspector,
		size: prometheus.NewDesc("fd_jobs_queue_tasks", "Tasks in an Asynq queue by state.",
			[]string{"queue", "state"}, nil),
	}
}

func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.size }

func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	for q := range Queues {
		info, err := c.inspector.GetQueueInfo(q)
		if err != nil {
			continue // a queue that never had a task does not exist yet
		}
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed,
		} {
			ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(n), q, state)
		}
	}
}
