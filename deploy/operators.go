package deploy

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ChainSafe/go-schnorrkel"
	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// challengeTTL is how long a twin-link challenge may be signed.
const challengeTTL = 15 * time.Minute

// Challenge is what a node operator signs with its twin's key.
type Challenge struct {
	TwinID    uint32    `json:"twin_id"`
	Message   string    `json:"message"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Twin is a node operator's linked twin.
type Twin struct {
	TwinID   uint32    `db:"twin_id" json:"twin_id"`
	KeyType  string    `db:"key_type" json:"key_type"`
	LinkedAt time.Time `db:"linked_at" json:"linked_at"`
}

func operator(ctx context.Context) uuid.UUID {
	a, _ := tenant.ActorFromContext(ctx)
	return a.ID
}

// NewChallenge starts linking a twin: a random message the operator signs
// with the twin's key (operator/twin write). ENOTFOUND for an unknown twin.
func (s *Service) NewChallenge(ctx context.Context, twinID uint32) (*Challenge, error) {
	if err := s.authz.Require(ctx, "operator/twin", "write"); err != nil {
		return nil, err
	}
	if twinID == 0 {
		return nil, fiatdashboard.Invalid("twin_id", "enter your twin id (a number; the TF Dashboard shows it)")
	}
	if _, err := s.keys.TwinAccountKey(ctx, twinID); err != nil {
		if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
			return nil, &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Field: "twin_id", Message: fmt.Sprintf("twin %d does not exist", twinID)}
		}
		return nil, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	c := &Challenge{TwinID: twinID, ExpiresAt: s.now().Add(challengeTTL),
		Message: fmt.Sprintf("fiatdashboard: link twin %d to account %s, nonce %s", twinID, operator(ctx), hex.EncodeToString(b))}
	err := tenant.SystemTx(ctx, s.db, "node operator: twin challenge", func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO twin_challenges (account_id, twin_id, challenge, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (account_id) DO UPDATE SET twin_id = EXCLUDED.twin_id, challenge = EXCLUDED.challenge, expires_at = EXCLUDED.expires_at`,
			operator(ctx), twinID, c.Message, c.ExpiresAt)
		return err
	})
	return c, err
}

// LinkTwin finishes linking: the signature (hex) of the challenge by the
// twin's account key, ed25519 or sr25519 (substrate's "substrate" signing
// context). EINVALID on field "signature" when it does not verify.
func (s *Service) LinkTwin(ctx context.Context, keyType, signatureHex string) (*Twin, error) {
	if err := s.authz.Require(ctx, "operator/twin", "write"); err != nil {
		return nil, err
	}
	sig, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(signatureHex), "0x"))
	if err != nil || len(sig) != 64 {
		return nil, fiatdashboard.Invalid("signature", "the signature is 64 bytes in hex")
	}
	var ch struct {
		TwinID    uint32    `db:"twin_id"`
		Challenge string    `db:"challenge"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err = tenant.SystemTx(ctx, s.db, "node operator: read challenge", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &ch, `SELECT twin_id, challenge, expires_at FROM twin_challenges WHERE account_id = $1`, operator(ctx))
	})
	if tenant.IsNoRows(err) || (err == nil && s.now().After(ch.ExpiresAt)) {
		return nil, fiatdashboard.Invalid("signature", "ask for a new challenge first (they last 15 minutes)")
	}
	if err != nil {
		return nil, err
	}
	key, err := s.keys.TwinAccountKey(ctx, ch.TwinID)
	if err != nil {
		return nil, err
	}
	// polkadot{.js}'s "Sign raw" wraps the message in <Bytes>…</Bytes>.
	if !VerifyTwinSignature(keyType, key, []byte(ch.Challenge), sig) && !VerifyTwinSignature(keyType, key, []byte("<Bytes>"+ch.Challenge+"</Bytes>"), sig) {
		return nil, fiatdashboard.Invalid("signature", "the signature does not match twin %d's key; sign the exact challenge text with that twin's key", ch.TwinID)
	}
	t := &Twin{TwinID: ch.TwinID, KeyType: keyType}
	err = tenant.SystemTx(ctx, s.db, "node operator: link twin", func(tx *tenant.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM twin_challenges WHERE account_id = $1`, operator(ctx)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT link`); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &t.LinkedAt, `INSERT INTO operator_twins (account_id, twin_id, key_type, public_key) VALUES ($1, $2, $3, $4)
			ON CONFLICT (account_id) DO UPDATE SET twin_id = EXCLUDED.twin_id, key_type = EXCLUDED.key_type, public_key = EXCLUDED.public_key, linked_at = now()
			RETURNING linked_at`, operator(ctx), ch.TwinID, keyType, key[:])
		if err != nil && strings.Contains(err.Error(), "operator_twins_twin_id_key") {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "twin_id", Message: "this twin is linked to another account"}
		}
		if err != nil {
			return err
		}
		return tenant.Audit(ctx, tx, uuid.Nil, "operator.twin_linked", fmt.Sprint(ch.TwinID), map[string]any{"key_type": keyType})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// VerifyTwinSignature checks an ed25519 or sr25519 signature of msg by a
// 32-byte public key.
func VerifyTwinSignature(keyType string, key [32]byte, msg, sig []byte) bool {
	switch keyType {
	case "ed25519":
		return ed25519.Verify(ed25519.PublicKey(key[:]), msg, sig)
	case "sr25519":
		pk, err := schnorrkel.NewPublicKey(key)
		if err != nil || len(sig) != 64 {
			return false
		}
		var s schnorrkel.Signature
		if err := s.Decode([64]byte(sig)); err != nil {
			return false
		}
		ok, err := pk.Verify(&s, schnorrkel.NewSigningContext([]byte("substrate"), msg))
		return err == nil && ok
	}
	return false
}

func (s *Service) linkedTwin(ctx context.Context) (*Twin, error) {
	var t Twin
	err := tenant.SystemTx(ctx, s.db, "node operator: twin", func(tx *tenant.Tx) error {
		return tx.GetContext(ctx, &t, `SELECT twin_id, key_type, linked_at FROM operator_twins WHERE account_id = $1`, operator(ctx))
	})
	if tenant.IsNoRows(err) {
		return nil, nil
	}
	return &t, err
}

// MyTwin returns the actor's linked twin, or nil (operator/twin read).
func (s *Service) MyTwin(ctx context.Context) (*Twin, error) {
	if err := s.authz.Require(ctx, "operator/twin", "read"); err != nil {
		return nil, err
	}
	return s.linkedTwin(ctx)
}

// OperatorNode is a registered node with what the catalog knows of it.
type OperatorNode struct {
	grid.Node
	RegisteredAt time.Time      `json:"registered_at"`
	Exposure     []NodeExposure `json:"exposure"`
}

// NodeExposure is a node's standing in one tenant's pool.
type NodeExposure struct {
	TenantSlug  string `db:"slug" json:"tenant_slug"`
	TenantName  string `db:"name" json:"tenant_name"`
	Exposed     bool   `db:"exposed" json:"exposed"`
	Deployments int    `db:"deployments" json:"running_deployments"`
}

// RegisterNode registers a node by id: the platform reads it from the grid
// and accepts it only when its farm belongs to the linked twin
// (operator/nodes write). EINVALID on node_id when it is someone else's.
func (s *Service) RegisterNode(ctx context.Context, nodeID uint32) (*grid.Node, error) {
	if err := s.authz.Require(ctx, "operator/nodes", "write"); err != nil {
		return nil, err
	}
	twin, err := s.linkedTwin(ctx)
	if err != nil {
		return nil, err
	}
	if twin == nil {
		return nil, fiatdashboard.Invalid("node_id", "link your twin first: nodes are accepted from farms your twin owns")
	}
	n, err := s.grid.Node(ctx, nodeID)
	if fiatdashboard.ErrorCode(err) == fiatdashboard.ENOTFOUND {
		return nil, fiatdashboard.Invalid("node_id", "node %d does not exist on the grid", nodeID)
	}
	if err != nil {
		return nil, err
	}
	if n.FarmTwinID != twin.TwinID {
		return nil, fiatdashboard.Invalid("node_id", "node %d belongs to farm %d, which your twin %d does not own", nodeID, n.FarmID, twin.TwinID)
	}
	err = tenant.SystemTx(ctx, s.db, "node operator: register node", func(tx *tenant.Tx) error {
		var owner uuid.UUID
		err := tx.GetContext(ctx, &owner, `INSERT INTO operator_nodes (node_id, account_id, farm_id) VALUES ($1, $2, $3)
			ON CONFLICT (node_id) DO UPDATE SET farm_id = EXCLUDED.farm_id RETURNING account_id`, nodeID, operator(ctx), n.FarmID)
		if err != nil {
			return err
		}
		if owner != operator(ctx) {
			return &fiatdashboard.Error{Code: fiatdashboard.ECONFLICT, Field: "node_id", Message: "this node is registered by another account"}
		}
		return tenant.Audit(ctx, tx, uuid.Nil, "operator.node_registered", fmt.Sprint(nodeID), map[string]any{"farm": n.FarmID})
	})
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// MyNodes lists the actor's registered nodes with status, capacity and
// their exposure per tenant (operator/nodes read).
func (s *Service) MyNodes(ctx context.Context) ([]OperatorNode, error) {
	if err := s.authz.Require(ctx, "operator/nodes", "read"); err != nil {
		return nil, err
	}
	var rows []struct {
		NodeID       uint32    `db:"node_id"`
		RegisteredAt time.Time `db:"registered_at"`
	}
	exposure := map[uint32][]NodeExposure{}
	err := tenant.SystemTx(ctx, s.db, "node operator: my nodes", func(tx *tenant.Tx) error {
		if err := tx.SelectContext(ctx, &rows, `SELECT node_id, registered_at FROM operator_nodes WHERE account_id = $1 ORDER BY node_id`, operator(ctx)); err != nil {
			return err
		}
		var ex []struct {
			NodeID uint32 `db:"node_id"`
			NodeExposure
		}
		if err := tx.SelectContext(ctx, &ex, `SELECT p.node_id, t.slug, t.name, p.exposed,
			(SELECT count(DISTINCT c.project) FROM grid_contracts c WHERE c.tenant_id = p.tenant_id AND c.node_id = p.node_id AND c.canceled_at IS NULL) AS deployments
			FROM pool_nodes p JOIN tenants t ON t.id = p.tenant_id WHERE p.contributed_by = $1 ORDER BY t.name`, operator(ctx)); err != nil {
			return err
		}
		for _, e := range ex {
			exposure[e.NodeID] = append(exposure[e.NodeID], e.NodeExposure)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]OperatorNode, 0, len(rows))
	for _, r := range rows {
		n, err := s.catalog.Node(ctx, r.NodeID)
		if err != nil {
			n = grid.Node{ID: r.NodeID, Status: grid.NodeDown}
		}
		out = append(out, OperatorNode{Node: n, RegisteredAt: r.RegisteredAt, Exposure: exposure[r.NodeID]})
	}
	return out, nil
}

// SetExposure exposes (or withdraws) one of the actor's nodes on a tenant
// whose admins approved the actor. Exposing adds the node to the tenant's
// pool; withdrawing stops new deployments there and leaves running ones
// alone. It returns how many deployments keep running on it there.
func (s *Service) SetExposure(ctx context.Context, nodeID uint32, tenantSlug string, exposed bool) (int, error) {
	if err := s.authz.Require(ctx, "operator/nodes", "write"); err != nil {
		return 0, err
	}
	var tid uuid.UUID
	err := tenant.SystemTx(ctx, s.db, "node operator: exposure lookup", func(tx *tenant.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM operator_nodes WHERE node_id = $1 AND account_id = $2`, nodeID, operator(ctx)); err != nil {
			return err
		}
		if n == 0 {
			return &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Field: "node_id", Message: "not one of your nodes"}
		}
		err := tx.GetContext(ctx, &tid, `SELECT id FROM tenants WHERE slug = $1 AND status = 'active'`, tenantSlug)
		if tenant.IsNoRows(err) {
			return &fiatdashboard.Error{Code: fiatdashboard.ENOTFOUND, Field: "tenant_slug", Message: "no such storefront"}
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	// Approval by the tenant's admins is the node_operator role in its domain.
	tctx := tenant.WithID(ctx, tid)
	if err := s.authz.Require(tctx, "pool/contribute", "write"); err != nil {
		return 0, &fiatdashboard.Error{Code: fiatdashboard.EFORBIDDEN, Field: "tenant_slug", Message: "this storefront has not approved you as a node operator"}
	}
	var running int
	err = tenant.InTx(tctx, s.db, func(tx *tenant.Tx) error {
		_, err := tx.ExecContext(tctx, `INSERT INTO pool_nodes (tenant_id, node_id, source, contributed_by, exposed) VALUES ($1, $2, 'operator', $3, $4)
			ON CONFLICT (tenant_id, node_id) DO UPDATE SET exposed = EXCLUDED.exposed WHERE pool_nodes.contributed_by = $3`, tid, nodeID, operator(ctx), exposed)
		if err != nil {
			return err
		}
		if err := tx.GetContext(tctx, &running, `SELECT count(DISTINCT project) FROM grid_contracts WHERE node_id = $1 AND canceled_at IS NULL`, nodeID); err != nil {
			return err
		}
		action := "pool.node_exposed"
		if !exposed {
			action = "pool.node_withdrawn"
		}
		return tenant.Audit(tctx, tx, tid, action, fmt.Sprint(nodeID), map[string]any{"running_deployments": running})
	})
	return running, err
}
