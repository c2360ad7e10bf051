// Package migrations owns the database schema: embedded SQL migrations,
// including every row-level security policy, applied with goose as the owner role.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"github.com/pressly/goose/v3"
)

//go:embed sql/*.sql
var files embed.FS

// AppRole is the role the server and the worker connect as. The first
// migration creates it NOSUPERUSER NOBYPASSRLS; it owns nothing.
const AppRole = "fd_app"

// SystemRole is the role of the system path (tenant.SystemTx) only: the
// 15th migration creates it NOSUPERUSER BYPASSRLS, owning nothing, with the
// application role's grants. No session setting of AppRole bypasses
// row-level security; only a connection as SystemRole does.
const SystemRole = "fd_system"

// FS returns the migration files.
func FS() fs.FS {
	sub, err := fs.Sub(files, "sql")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}

// Hash identifies the current set of migrations; test databases are cloned
// from a template built once per hash.
func Hash() string {
	names, _ := fs.Glob(FS(), "*.sql")
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		f, _ := FS().Open(n)
		io.WriteString(h, n)
		io.Copy(h, f)
		f.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func provider(db *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectPostgres, db, FS())
}

// Up applies every pending migration. db must be connected as the owner.
func Up(ctx context.Context, db *sql.DB) ([]*goose.MigrationResult, error) {
	p, err := provider(db)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p.Up(ctx)
}

// Down rolls back the most recent migration. db must be connected as the owner.
func Down(ctx context.Context, db *sql.DB) (*goose.MigrationResult, error) {
	p, err := provider(db)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p.Down(ctx)
}

// Status reports every migration and whether it is applied.
func Status(ctx context.Context, db *sql.DB) ([]*goose.MigrationStatus, error) {
	p, err := provider(db)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p.Status(ctx)
}
