package tenant

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
	lits, err := literals(args)
	if err != nil {
		return err
	}
	q, err := inline(query, lits)
	if err != nil {
		return err
	}
	scope := fmt.Sprintf("SELECT set_config('app.tenant_id', '%s', true), set_config('transaction_read_only', 'on', true); ", id)
	conn, err := db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("tenant read: connect: %w", err)
	}
	defer conn.Close()
	p := preparedRead(query)
	var refused *pq.Error // PostgreSQL's answer to the prepared form, when it failed
	if p != nil {
		err = readBatch(ctx, conn, dest, scope+p.execute(lits))
		if isNoPrepared(err) {
			// A connection that has not prepared it yet (each connection
			// prepares each query once, the first time it runs it).
			err = readBatch(ctx, conn, dest, p.prepare+scope+p.execute(lits))
		}
		if err == nil || errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// The prepared form failed: the query as literals says whether the
		// query itself fails (its error is returned) or only its prepared
		// form did (a parameter type PostgreSQL cannot infer, say), which
		// is then never prepared again.
		errors.As(err, &refused)
		ended(ctx, conn)
		reflect.ValueOf(dest).Elem().SetZero()
	}
	err = readBatch(ctx, conn, dest, scope+q)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		ended(ctx, conn)
	} else if refused != nil {
		unpreparable.Store(query, true)
	}
	return err
}

// ended makes sure no transaction is left open on conn after a failed
// read: a failed statement ends the implicit transaction, and a ROLLBACK
// makes sure (a connection that cannot run it is discarded, never pooled).
func ended(ctx context.Context, conn *sqlx.Conn) {
	if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// Read's queries are prepared statements on each connection (PREPARE, then
// EXECUTE with the literals), so PostgreSQL parses and plans a hot read once
// per connection instead of once per request — planning a join under
// row-level security was most of the deployments page's PostgreSQL time. The
// policies read the tenant setting when the plan runs (current_setting is
// stable, not folded into a cached plan), so one prepared statement serves
// every tenant; PostgreSQL re-plans it when a table it reads changes.
// Connections of a transaction-pooling proxy (PgBouncer) do not keep SQL
// prepared statements: set FD_DATABASE_PREPARED_READS=false behind one.
type readStatement struct {
	name    string
	prepare string // "PREPARE name AS query; "
}

var (
	readStatements sync.Map // query → *readStatement
	unpreparable   sync.Map // query → true: its prepared form failed where its literal form ran
	// PreparedReads turns Read's prepared statements on (the default) or off.
	PreparedReads atomic.Bool
)

func init() { PreparedReads.Store(true) }

func preparedRead(query string) *readStatement {
	if !PreparedReads.Load() {
		return nil
	}
	if _, bad := unpreparable.Load(query); bad {
		return nil
	}
	if p, ok := readStatements.Load(query); ok {
		return p.(*readStatement)
	}
	sum := sha256.Sum256([]byte(query))
	name := "fd_read_" + hex.EncodeToString(sum[:12])
	p, _ := readStatements.LoadOrStore(query, &readStatement{name: name, prepare: "PREPARE " + name + " AS " + query + "; "})
	return p.(*readStatement)
}

func (p *readStatement) execute(lits []string) string {
	if len(lits) == 0 {
		return "EXECUTE " + p.name
	}
	return "EXECUTE " + p.name + "(" + strings.Join(lits, ", ") + ")"
}

// isNoPrepared reports PostgreSQL's invalid_sql_statement_name: this
// connection has no such prepared statement.
func isNoPrepared(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "26000"
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

// literals prints args as SQL literals; see Read for what is accepted.
func literals(args []any) ([]string, error) {
	lits := make([]string, len(args))
	for i, a := range args {
		l, err := literal(a)
		if err != nil {
			return nil, fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant read: argument $%d: %v", i+1, err)
		}
		lits[i] = l
	}
	return lits, nil
}

// inline replaces $1… of query with lits.
func inline(query string, lits []string) (string, error) {
	if strings.Contains(query, ";") {
		return "", fiatdashboard.Errorf(fiatdashboard.EINTERNAL, "tenant read: one statement only")
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
