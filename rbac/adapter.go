package rbac

import (
	"context"
	"fmt"
	"strings"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/jmoiron/sqlx"
)

// Adapter stores Casbin rules in the casbin_rules table with sqlx. (The
// public SQL adapters are not available to us; the contract is small.)
type Adapter struct {
	db *sqlx.DB
}

var _ persist.Adapter = (*Adapter)(nil)

type ruleRow struct {
	PType string `db:"ptype"`
	V0    string `db:"v0"`
	V1    string `db:"v1"`
	V2    string `db:"v2"`
	V3    string `db:"v3"`
	V4    string `db:"v4"`
	V5    string `db:"v5"`
}

func (r ruleRow) values() []string {
	v := []string{r.PType, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	for len(v) > 1 && v[len(v)-1] == "" {
		v = v[:len(v)-1]
	}
	return v
}

func toRow(ptype string, rule []string) ruleRow {
	v := make([]string, 6)
	copy(v, rule)
	return ruleRow{PType: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}
}

// LoadPolicy reads every rule into the model.
func (a *Adapter) LoadPolicy(m model.Model) error {
	var rows []ruleRow
	if err := a.db.Select(&rows, `SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rules ORDER BY id`); err != nil {
		return fmt.Errorf("load casbin rules: %w", err)
	}
	for _, r := range rows {
		if err := persist.LoadPolicyArray(r.values(), m); err != nil {
			return err
		}
	}
	return nil
}

// SavePolicy replaces every stored rule with the model's.
func (a *Adapter) SavePolicy(m model.Model) error {
	tx, err := a.db.Beginx()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM casbin_rules`); err != nil {
		return err
	}
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, rule := range ast.Policy {
				if err := insertRule(context.Background(), tx, ptype, rule); err != nil {
					return err
				}
			}
		}
	}
	return tx.Commit()
}

func insertRule(ctx context.Context, ex sqlx.ExecerContext, ptype string, rule []string) error {
	r := toRow(ptype, rule)
	_, err := ex.ExecContext(ctx, `INSERT INTO casbin_rules (ptype, v0, v1, v2, v3, v4, v5) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		r.PType, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5)
	return err
}

// AddPolicy stores one rule.
func (a *Adapter) AddPolicy(_ string, ptype string, rule []string) error {
	return insertRule(context.Background(), a.db, ptype, rule)
}

// RemovePolicy deletes one rule.
func (a *Adapter) RemovePolicy(_ string, ptype string, rule []string) error {
	r := toRow(ptype, rule)
	_, err := a.db.Exec(`DELETE FROM casbin_rules WHERE ptype = $1 AND v0 = $2 AND v1 = $3 AND v2 = $4 AND v3 = $5 AND v4 = $6 AND v5 = $7`,
		r.PType, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5)
	return err
}

// RemoveFilteredPolicy deletes the rules whose fields from fieldIndex on
// equal fieldValues (an empty value matches anything).
func (a *Adapter) RemoveFilteredPolicy(_ string, ptype string, fieldIndex int, fieldValues ...string) error {
	where := []string{"ptype = $1"}
	args := []any{ptype}
	for i, v := range fieldValues {
		if v == "" || fieldIndex+i > 5 {
			continue
		}
		args = append(args, v)
		where = append(where, fmt.Sprintf("v%d = $%d", fieldIndex+i, len(args)))
	}
	_, err := a.db.Exec(`DELETE FROM casbin_rules WHERE `+strings.Join(where, " AND "), args...)
	return err
}
