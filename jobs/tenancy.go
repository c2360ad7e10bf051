package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TypeVerifyDomains re-checks the TXT records of pending custom domains.
const TypeVerifyDomains = "tenant:verify-domains"

// DomainVerifier is the tenant service's periodic domain check.
type DomainVerifier interface {
	VerifyPendingDomains(ctx context.Context, limit int) (checked, verified int, err error)
}

// RegisterDomainVerification handles TypeVerifyDomains and schedules it
// every ten minutes.
func (w *Worker) RegisterDomainVerification(v DomainVerifier) error {
	w.mux.HandleFunc(TypeVerifyDomains, func(ctx context.Context, t *asynq.Task) error {
		checked, verified, err := v.VerifyPendingDomains(ctx, 200)
		if checked > 0 {
			w.log.Info("custom domains checked", slog.Int("checked", checked), slog.Int("verified", verified))
		}
		return err
	})
	task, err := NewTask(tenant.WithActor(context.Background(), tenant.System("scheduler")), TypeVerifyDomains, nil, asynq.Queue(QueueLow))
	if err != nil {
		return err
	}
	return w.Periodic("@every 10m", task, 10*time.Minute)
}
