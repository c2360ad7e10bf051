// Command fiatdashboard is the one binary of the platform: the HTTP server,
// the background worker, migrations, the all-in-one development mode and the
// operator commands. It is the only place that reads the environment and
// wires concrete types together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/fiatdashboard/fiatdashboard/billing/treasury"
	"github.com/fiatdashboard/fiatdashboard/deploy"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "", "run the HTTP server (API, storefronts, console)", runServe},
		{"worker", "", "run the background worker (Asynq server and the periodic-task scheduler)", runWorker},
		{"migrate", "up|down|status", "apply, roll back or list database migrations (as the owner role)", runMigrate},
		{"dev", "", "everything for local use: services, migrations, demo data, stripe-mock, server and worker", runDev},
		{"services", "up|down", "start (or stop) private PostgreSQL/Redis when none answer at the configured URLs", runServices},
		{"grid", "quote|sim", "price a workload on TFGrid, or summarize the grid simulator", func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runGridCommand(args, stdout, stderr)
		}},
		{"tenant", "create", "create a tenant (and its owner) for scripts and first setup", runTenant},
		{"user", "create", "create an account with a role in a tenant or the platform", runUser},
		{"token", "create", "create a personal API token for an account (printed once)", runToken},
		{"keys", "rotate", "re-seal every wallet secret with the newest FD_MASTER_KEY key", runKeys},
		{"bench", "seed|http|scale|pipeline", "measure: seed a bench database, load serve next to baseline handlers, time queries at scale", runBench},
		{"config", "", "list every FD_ environment variable with its default", runConfig},
		{"version", "", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "fiatdashboard: unknown command %q (see `fiatdashboard help`)\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `fiatdashboard — a multi-tenant, white-label cloud marketplace on the ThreeFold Grid.

Usage: fiatdashboard <command> [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %-15s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprint(w, `
Configuration comes from FD_* environment variables only; `+"`fiatdashboard config`"+` lists them.
Run `+"`fiatdashboard <command> -h`"+` for a command's own help.
`)
}

// newFlags returns a flag set whose -h explains the command.
func newFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fiatdashboard %s\n\n%s\n", synopsis, about)
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; it returns (exit code, true) when the command
// should stop: 0 after -h, 2 after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

// The settings each command reads beyond its flags; it validates these and
// no others (nil: serve, worker and dev read every setting).
var (
	everySetting     []string
	migrateSettings  = []string{"FD_DATABASE_OWNER_URL"}
	servicesSettings = []string{"FD_DATABASE_OWNER_URL", "FD_DATABASE_URL", "FD_DATABASE_SYSTEM_URL", "FD_REDIS_URL", "FD_DATA_DIR"}
	// Account and token commands write through the application role and
	// tell running instances of role changes over Redis (when it answers).
	accountSettings = []string{"FD_DATABASE_URL", "FD_DATABASE_SYSTEM_URL", "FD_REDIS_URL"}
	tenantSettings  = []string{"FD_DATABASE_URL", "FD_DATABASE_SYSTEM_URL", "FD_REDIS_URL", "FD_BASE_DOMAIN"}
	keysSettings    = []string{"FD_ENV", "FD_DATABASE_URL", "FD_DATABASE_SYSTEM_URL", "FD_MASTER_KEY"}
)

// mustConfig loads the settings a command uses (see above) or prints the
// one-line reason and returns ok=false; the caller exits 2.
func mustConfig(stderr io.Writer, uses []string) (*Config, bool) {
	cfg, err := loadSettings(os.Getenv, uses)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard: configuration: %v\n", err)
		return nil, false
	}
	return cfg, true
}

func runConfig(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("config", "config", "Lists every FD_ environment variable, its default and what it is for.", stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	for _, s := range settings() {
		fmt.Fprintf(stdout, "%s=%s\n    %s; %s\n", s.name, s.def, s.expect, s.doc)
	}
	return 0
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "version", "Prints the version this binary was built as.", stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	fmt.Fprintln(stdout, "fiatdashboard", version)
	return 0
}

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		args = []string{"rotate", "-h"}
	}
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(stderr, "fiatdashboard keys: expected rotate (see `fiatdashboard keys rotate -h`)")
		return 2
	}
	fs := newFlags("keys", "keys rotate", `Re-seals every tenant's wallet secrets and every deployment's QSFS secrets
with the first key of FD_MASTER_KEY.
To rotate: put a new key in front (FD_MASTER_KEY=new:…,old:…), restart, run this,
then drop the old key.`, stderr)
	if code, stop := parseFlags(fs, args[1:]); stop {
		return code
	}
	p, code := openOperator(ctx, stderr, keysSettings)
	if p == nil {
		return code
	}
	defer p.Close()
	// Rotating reads and re-seals the sealed columns only: no exchange, grid
	// or queue is needed.
	n, err := treasury.NewTreasury(p.db, nil, p.cfg.MasterKeys, nil, nil, "", nil, slog.New(slog.NewTextHandler(io.Discard, nil)), treasury.Options{}).Rotate(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard keys rotate: %v\n", err)
		return 1
	}
	deployments := deploy.NewService(p.db, nil, nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), deploy.Options{Sealer: p.cfg.MasterKeys})
	q, err := deployments.RotateSecrets(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard keys rotate: QSFS secrets: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "re-sealed %d wallets and %d deployments' QSFS secrets with the newest key\n", n, q)
	return 0
}
