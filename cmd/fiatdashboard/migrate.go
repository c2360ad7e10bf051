package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/fiatdashboard/fiatdashboard/migrations"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("migrate", "migrate up|down|status", `Applies (up), rolls back one (down) or lists (status) the embedded database
migrations. Connects as the schema owner (FD_DATABASE_OWNER_URL); the first
migration creates the application role fd_app (NOSUPERUSER NOBYPASSRLS) that
serve and worker use. up also creates the database when it does not exist.`, stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "up" && fs.Arg(0) != "down" && fs.Arg(0) != "status") {
		fmt.Fprintln(stderr, "fiatdashboard migrate: expected one of up, down, status")
		return 2
	}
	cfg, ok := mustConfig(stderr, migrateSettings)
	if !ok {
		return 2
	}
	if fs.Arg(0) == "up" {
		if err := migrateUp(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "fiatdashboard migrate up: %v\n", err)
			return 1
		}
		return 0
	}
	db, err := sql.Open("postgres", cfg.DatabaseOwnerURL)
	if err != nil {
		fmt.Fprintf(stderr, "fiatdashboard migrate: FD_DATABASE_OWNER_URL: %v\n", err)
		return 1
	}
	defer db.Close()
	switch fs.Arg(0) {
	case "down":
		r, err := migrations.Down(ctx, db)
		if err != nil {
			fmt.Fprintf(stderr, "fiatdashboard migrate down: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "rolled back %s\n", r.Source.Path)
	case "status":
		st, err := migrations.Status(ctx, db)
		if err != nil {
			fmt.Fprintf(stderr, "fiatdashboard migrate status: %v\n", err)
			return 1
		}
		for _, s := range st {
			applied := "pending"
			if s.State == "applied" {
				applied = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%-40s %s\n", s.Source.Path, applied)
		}
	}
	return 0
}

// migrateUp creates the database if it is missing, then applies every
// pending migration as the owner.
func migrateUp(ctx context.Context, cfg *Config, stdout io.Writer) error {
	if err := ensureDatabase(ctx, cfg.DatabaseOwnerURL); err != nil {
		return err
	}
	db, err := sql.Open("postgres", cfg.DatabaseOwnerURL)
	if err != nil {
		return fmt.Errorf("FD_DATABASE_OWNER_URL: %w", err)
	}
	defer db.Close()
	results, err := migrations.Up(ctx, db)
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(time.Millisecond))
	}
	if len(results) == 0 {
		fmt.Fprintln(stdout, "migrations: up to date")
	}
	return nil
}

// ensureDatabase creates the database named in the owner DSN when missing.
func ensureDatabase(ctx context.Context, ownerURL string) error {
	u, err := url.Parse(ownerURL)
	if err != nil {
		return fmt.Errorf("FD_DATABASE_OWNER_URL: %w", err)
	}
	name := strings.Trim(u.Path, "/")
	u.Path = "/postgres"
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("PostgreSQL at FD_DATABASE_OWNER_URL: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
