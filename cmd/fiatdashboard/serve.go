package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "serve", `Runs the HTTP server: the JSON API, every tenant's storefront, the console,
/healthz, /readyz and /metrics. Connects to PostgreSQL as the application role
(FD_DATABASE_URL) and to Redis (FD_REDIS_URL). SIGTERM stops taking new
connections and lets in-flight requests finish (FD_SHUTDOWN_TIMEOUT).`, stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	cfg, ok := mustConfig(stderr, everySetting)
	if !ok {
		return 2
	}
	log := newLogger(cfg, os.Stderr).With("service", "serve")
	p, err := openPlatform(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard serve: %v\n", err)
		return 1
	}
	defer p.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard serve: FD_HTTP_ADDR: %v\n", err)
		return 1
	}
	startPprof(ctx, cfg.PprofAddr, log)
	log.Info("listening", "addr", ln.Addr().String(), "console", cfg.ConsoleHost, "base_domain", cfg.BaseDomain, "stripe", cfg.StripeMode())
	if err := p.serve(ctx, ln); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("worker", "worker", `Runs the background worker: the Asynq server on the critical, default and low
queues and, with FD_SCHEDULER=true (run it in exactly one worker), the
periodic-task scheduler. SIGTERM lets in-flight tasks finish.`, stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	cfg, ok := mustConfig(stderr, everySetting)
	if !ok {
		return 2
	}
	log := newLogger(cfg, os.Stderr).With("service", "worker")
	p, err := openPlatform(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard worker: %v\n", err)
		return 1
	}
	defer p.Close()
	startPprof(ctx, cfg.PprofAddr, log)
	log.Info("worker started", "concurrency", cfg.WorkerConcurrency, "scheduler", cfg.Scheduler)
	if err := p.work(ctx); err != nil {
		log.Error("worker stopped", "err", err)
		return 1
	}
	return 0
}
