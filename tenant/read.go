package tenant

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/fiatdashboard/fiatdashboard"
)

// Read runs one read-only query scoped to the tenant in ctx, with the same
// row-level security as InTx, in a single round trip: the tenant setting
// (transaction-local, with the transaction read only) and the query travel
// as one simple-protocol message, which PostgreSQL runs as one implicit
// transaction ("Multiple Statements in a Simple Query", protocol-flow.html:
// the statements of one Query message are a single transaction unless they
// contain transaction control), so the setting ends with it. InTx costs
// three round trips (begin, query, commit); an explicit BEGIN READ ONLY and
// COMMIT in the message would cost PostgreSQL two more statements per read.
// It is for the hot reads of authenticated pages. dest is a pointer to a slice (every row) or to a
// struct or scalar (the first row; sql.ErrNoRows when there is none).
//
// The arguments become SQL literals, so only types that cannot carry SQL are
// accepted: uuid.UUID and []uuid.UUID, integers, bool and time.Time (printed by Go, never
// taken from input as text). Anything else is EINTERNAL before the database
// is touched; queries with text arguments use InTx.
func Read(ctx context.Context, db *sqlx.DB, dest any, query string, args ...any) error {
	id, ok := IDFromContext(ctx)
	if !ok {
		return fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant read without a tenant in the context")
	}
	q, err := inline(query, args)
	if err != nil {
		return err
	}
	batch := fmt.Sprintf("SELECT set_config('app.tenant_id', '%s', true), set_config('transaction_read_only', 'on', true); %s", id, q)
	conn, err := db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("tenant read: connect: %w", err)
	}
	defer conn.Close()
	err = readBatch(ctx, conn, dest, batch)
	if err != nil {
		// A failed statement ends the implicit transaction; a ROLLBACK makes
		// sure (a connection that cannot run it is discarded, never pooled).
		if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	return err
}

func readBatch(ctx context.Context, conn *sqlx.Conn, dest any, batch string) (err error) {
	rows, err := conn.QueryxContext(ctx, batch)
	if err != nil {
		return fmt.Errorf("tenant read: %w", err)
	}
	defer func() {
		if cerr := rows.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	for rows.Next() { // the tenant setting's own result
	}
	if !rows.NextResultSet() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("tenant read: the query returned no result")
	}
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant read: dest must be a non-nil pointer")
	}
	// sqlx scans what the query returned.
	if v.Elem().Kind() == reflect.Slice {
		return sqlx.SelectContext(ctx, positioned{rows}, dest, "")
	}
	all := reflect.New(reflect.SliceOf(v.Elem().Type()))
	if err := sqlx.SelectContext(ctx, positioned{rows}, all.Interface(), ""); err != nil {
		return err
	}
	if all.Elem().Len() == 0 {
		return sql.ErrNoRows
	}
	v.Elem().Set(all.Elem().Index(0))
	return nil
}

// positioned hands sqlx rows already positioned on the query's result.
type positioned struct{ rows *sqlx.Rows }

func (p positioned) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return p.rows.Rows, nil
}
func (p positioned) QueryxContext(context.Context, string, ...any) (*sqlx.Rows, error) {
	return p.rows, nil
}
func (p positioned) QueryRowxContext(context.Context, string, ...any) *sqlx.Row { return nil }

var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// inline replaces $1… with literals of args; see Read for what is accepted.
func inline(query string, args []any) (string, error) {
	lits := make([]string, len(args))
	for i, a := range args {
		l, err := literal(a)
		if err != nil {
			return "", fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant read: argument $%d: %v", i+1, err)
		}
		lits[i] = l
	}
	var bad error
	out := placeholder.ReplaceAllStringFunc(query, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		if n < 1 || n > len(lits) {
			bad = fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant read: %s has no argument", m)
			return m
		}
		return lits[n-1]
	})
	if strings.Contains(out, ";") {
		return "", fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant read: one statement only")
	}
	return out, bad
}

func literal(a any) (string, error) {
	switch v := a.(type) {
	case uuid.UUID:
		return "'" + v.String() + "'::uuid", nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case []uuid.UUID:
		parts := make([]string, len(v))
		for i, id := range v {
			parts[i] = "'" + id.String() + "'"
		}
		return "ARRAY[" + strings.Join(parts, ",") + "]::uuid[]", nil
	case time.Time:
		return "'" + v.UTC().Format("2006-01-02T15:04:05.999999Z07:00") + "'::timestamptz", nil
	}
	return "", fmt.Errorf("type %T cannot be inlined (use InTx)", a)
}
