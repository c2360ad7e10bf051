package stellar_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"
)

// fakeHorizon is a Horizon stand-in on 127.0.0.1 (Horizon has no official
// mock server). It serves accounts, strict-receive paths and transactions
// by hash, and it decodes every submitted envelope the way the network would:
// signature, sequence number, time bounds; then it records the decoded
// transaction for the test to inspect and answers with a scripted outcome.
type fakeHorizon struct {
	t          *testing.T
	srv        *httptest.Server
	passphrase string

	mu          sync.Mutex
	now         time.Time
	accounts    map[string]*fakeAccount
	paths       []map[string]any // records served on the paths endpoint
	pathQueries []url.Values
	txs         map[string]fakeTx // by hash: what the ledger holds
	submitted   []*txnbuild.Transaction
	outcomes    []outcome // scripted answers to the next submissions
	down        int       // answer every request with this status (0: up)
	downBody    string
	retryAfter  string
	// knownAsBadSeq makes a resubmitted, already applied tx answer
	// tx_bad_seq (as core does) instead of Horizon's stored result.
	knownAsBadSeq bool
	requests      int
}

type fakeAccount struct {
	seq      int64
	balances []map[string]string
}

type fakeTx struct {
	successful bool
	opCode     string // the failing operation's code when !successful
	xdr        string
}

// outcome scripts how the fake answers a submission that passed the
// network's checks.
type outcome struct {
	status int    // 503, 504, 502: answer with this status
	apply  bool   // with status 504: the tx applied although the answer is a timeout
	opCode string // the tx enters the ledger failed with this operation code
}

func newFakeHorizon(t *testing.T, passphrase string, now time.Time) *fakeHorizon {
	f := &fakeHorizon{t: t, passphrase: passphrase, now: now, accounts: map[string]*fakeAccount{}, txs: map[string]fakeTx{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /accounts/{id}", f.account)
	mux.HandleFunc("GET /paths", f.pathsHandler)
	mux.HandleFunc("GET /paths/strict-receive", f.pathsHandler)
	mux.HandleFunc("POST /transactions", f.submit)
	mux.HandleFunc("GET /transactions/{hash}", f.transaction)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		down, body, ra := f.down, f.downBody, f.retryAfter
		f.mu.Unlock()
		if down != 0 {
			if ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			if body != "" {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(down)
				fmt.Fprint(w, body)
				return
			}
			problem(w, down, "server_error", "Internal Server Error", nil)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeHorizon) fund(addr string, seq int64, balances ...map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[addr] = &fakeAccount{seq: seq, balances: balances}
}

func (f *fakeHorizon) script(o ...outcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outcomes = append(f.outcomes, o...)
}

func (f *fakeHorizon) lastSubmitted() *txnbuild.Transaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.submitted) == 0 {
		f.t.Fatal("fake horizon: nothing was submitted")
	}
	return f.submitted[len(f.submitted)-1]
}

func (f *fakeHorizon) submittedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.submitted)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/hal+json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, typ, title string, extras map[string]any) {
	p := map[string]any{"type": "https://stellar.org/horizon-errors/" + typ, "title": title, "status": status}
	if extras != nil {
		p["extras"] = extras
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

func notFound(w http.ResponseWriter) {
	problem(w, http.StatusNotFound, "not_found", "Resource Missing", nil)
}

func (f *fakeHorizon) account(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PathValue("id")
	a, ok := f.accounts[id]
	if !ok {
		notFound(w)
		return
	}
	bals := append([]map[string]string{{"balance": "10000.0000000", "asset_type": "native"}}, a.balances...)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "account_id": id, "sequence": strconv.FormatInt(a.seq, 10), "balances": bals,
	})
}

func (f *fakeHorizon) pathsHandler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pathQueries = append(f.pathQueries, r.URL.Query())
	recs := f.paths
	if recs == nil {
		recs = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"_embedded": map[string]any{"records": recs}})
}

func (f *fakeHorizon) txJSON(hash string, tx fakeTx) map[string]any {
	return map[string]any{"id": hash, "hash": hash, "successful": tx.successful, "ledger": 4242, "envelope_xdr": tx.xdr}
}

func (f *fakeHorizon) transaction(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := r.PathValue("hash")
	tx, ok := f.txs[h]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, f.txJSON(h, tx))
}

func txFailed(w http.ResponseWriter, xdr, txCode string, opCodes ...string) {
	codes := map[string]any{"transaction": txCode}
	if len(opCodes) > 0 {
		codes["operations"] = opCodes
	}
	problem(w, http.StatusBadRequest, "transaction_failed", "Transaction Failed",
		map[string]any{"envelope_xdr": xdr, "result_codes": codes})
}

// submit plays the network: it rejects what core would reject before the
// ledger, then applies or fails the transaction as scripted.
func (f *fakeHorizon) submit(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", "Bad Request", nil)
		return
	}
	xdr := r.PostForm.Get("tx")
	g, err := txnbuild.TransactionFromXDR(xdr)
	if err != nil {
		problem(w, http.StatusBadRequest, "transaction_malformed", "Transaction Malformed", nil)
		return
	}
	tx, ok := g.Transaction()
	if !ok {
		problem(w, http.StatusBadRequest, "transaction_malformed", "Transaction Malformed", nil)
		return
	}
	hash, err := tx.HashHex(f.passphrase)
	if err != nil {
		f.t.Errorf("fake horizon: hash: %v", err)
		problem(w, http.StatusInternalServerError, "server_error", "Internal Server Error", nil)
		return
	}
	f.submitted = append(f.submitted, tx)

	if known, ok := f.txs[hash]; ok {
		switch {
		case known.successful && f.knownAsBadSeq:
			txFailed(w, xdr, "tx_bad_seq")
		case known.successful:
			writeJSON(w, http.StatusOK, f.txJSON(hash, known))
		default:
			txFailed(w, xdr, "tx_failed", known.opCode)
		}
		return
	}
	src := tx.SourceAccount().AccountID
	acct, ok := f.accounts[src]
	if !ok {
		txFailed(w, xdr, "tx_no_source_account")
		return
	}
	if !signedBy(f.passphrase, tx, src) {
		txFailed(w, xdr, "tx_bad_auth")
		return
	}
	if tb := tx.Timebounds(); tb.MaxTime != 0 && f.now.Unix() > tb.MaxTime {
		txFailed(w, xdr, "tx_too_late")
		return
	}
	if tx.SequenceNumber() != acct.seq+1 {
		txFailed(w, xdr, "tx_bad_seq")
		return
	}
	var o outcome
	if len(f.outcomes) > 0 {
		o, f.outcomes = f.outcomes[0], f.outcomes[1:]
	}
	switch {
	case o.status != 0 && !o.apply:
		problem(w, o.status, "timeout", "Timeout", nil)
	case o.status != 0:
		acct.seq++
		f.txs[hash] = fakeTx{successful: true, xdr: xdr}
		problem(w, o.status, "timeout", "Timeout", nil)
	case o.opCode != "":
		acct.seq++ // a failed tx still uses its sequence number and fee
		f.txs[hash] = fakeTx{successful: false, opCode: o.opCode, xdr: xdr}
		txFailed(w, xdr, "tx_failed", o.opCode)
	default:
		acct.seq++
		f.txs[hash] = fakeTx{successful: true, xdr: xdr}
		writeJSON(w, http.StatusOK, f.txJSON(hash, f.txs[hash]))
	}
}

func signedBy(passphrase string, tx *txnbuild.Transaction, addr string) bool {
	kp, err := keypair.ParseAddress(addr)
	if err != nil {
		return false
	}
	h, err := tx.Hash(passphrase)
	if err != nil {
		return false
	}
	for _, s := range tx.Signatures() {
		if kp.Verify(h[:], s.Signature) == nil {
			return true
		}
	}
	return false
}

// credit is a balance line as Horizon writes it.
func credit(code, issuer, balance string) map[string]string {
	typ := "credit_alphanum4"
	if len(code) > 4 {
		typ = "credit_alphanum12"
	}
	return map[string]string{"balance": balance, "asset_type": typ, "asset_code": code, "asset_issuer": issuer, "limit": "922337203685.4775807"}
}

// pathRecord is one strict-receive path as Horizon writes it.
func pathRecord(srcCode, srcIssuer, srcAmount, dstCode, dstIssuer, dstAmount string, via ...string) map[string]any {
	path := []map[string]string{}
	for _, a := range via {
		if a == "native" {
			path = append(path, map[string]string{"asset_type": "native"})
			continue
		}
		code, issuer, _ := strings.Cut(a, ":")
		path = append(path, map[string]string{"asset_type": "credit_alphanum4", "asset_code": code, "asset_issuer": issuer})
	}
	return map[string]any{
		"source_asset_type": "credit_alphanum4", "source_asset_code": srcCode, "source_asset_issuer": srcIssuer, "source_amount": srcAmount,
		"destination_asset_type": "credit_alphanum4", "destination_asset_code": dstCode, "destination_asset_issuer": dstIssuer, "destination_amount": dstAmount,
		"path": path,
	}
}
