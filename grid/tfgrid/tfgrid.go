// Package tfgrid is the grid.Grid adapter on the real ThreeFold Grid, built
// on the tfgrid-sdk-go grid client (TFChain, the grid proxy, RMB).
package tfgrid

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	stdlog "log"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"
	"github.com/threefoldtech/tfgrid-sdk-go/grid-client/deployer"
	"golang.org/x/crypto/ssh"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/grid"
)

var _ grid.Grid = (*Client)(nil)

// Networks the adapter talks to.
var Networks = []string{"main", "test", "qa", "dev"}

// Config says which network to use and whose wallet pays.
type Config struct {
	Network    string        // main, test, qa or dev
	Mnemonic   string        // the twin's mnemonic or hex seed; never logged
	KeyType    string        // "sr25519" (default) or "ed25519"
	RMBTimeout time.Duration // how long a node may take to answer; default one minute
	// SSHKey is the adapter's own SSH private key (PEM or OpenSSH): its
	// public half joins every cluster's SSH_KEY and the SSH_KEY of every
	// VM with a setup (VMSpec.Setup); Kubeconfig and the setups log in
	// with it. Optional (without it, kubeconfigs and setups answer
	// EUNAVAILABLE); never logged.
	SSHKey string
}

// Client is a grid.Grid on the real grid, acting as the twin of its
// mnemonic. Deployments and project reads are serialized, because the SDK
// keeps per-client state that is not safe for concurrent use; node and
// wallet reads run concurrently.
type Client struct {
	tf      deployer.TFPluginClient
	network string

	mu sync.Mutex // guards tf.State and deployments

	sshSigner ssh.Signer // Config.SSHKey, or nil
	setups    setupStates
	sshPort   string // "22" unless a test serves SSH elsewhere

	// drained: the wallet held less than the 2 TFT free grid-client needs
	// to start, so the client was opened for reading and cancelling only
	// (drained.go); close ends its connections.
	drained bool
	close   func()

	farmsMu   sync.Mutex
	farmTwins map[uint32]uint32
	farmsAt   time.Time
}

// New connects to cfg.Network as the twin of cfg.Mnemonic. The grid only
// lets KYC-verified twins use its client: an unverified twin gets a Failure
// with ReasonKYCMissing.
//
// The SDK replaces the standard library logger's output and the global
// zerolog logger when it starts; New puts both back as they were.
func New(cfg Config) (*Client, error) {
	if !validNetwork(cfg.Network) {
		return nil, fiatdashboard.Invalid("network", "the grid network must be one of %s", strings.Join(Networks, ", "))
	}
	if strings.TrimSpace(cfg.Mnemonic) == "" {
		return nil, fiatdashboard.Invalid("mnemonic", "the grid wallet needs a mnemonic")
	}
	var signer ssh.Signer
	if cfg.SSHKey != "" {
		var err error
		if signer, err = parseSSHKey(cfg.SSHKey); err != nil {
			return nil, err
		}
	}
	opts := []deployer.PluginOpt{deployer.WithNetwork(cfg.Network)}
	if cfg.KeyType != "" {
		opts = append(opts, deployer.WithKeyType(cfg.KeyType))
	}
	if cfg.RMBTimeout > 0 {
		opts = append(opts, deployer.WithRMBTimeout(int(cfg.RMBTimeout/time.Second)))
	}

	restore := saveLoggers()
	tf, err := deployer.NewTFPluginClient(cfg.Mnemonic, opts...)
	restore()
	if err != nil {
		// The SDK quotes the mnemonic in some errors: never pass them on.
		err = redact(err, cfg.Mnemonic)
		msg := strings.ToLower(err.Error())
		switch {
		case strings.Contains(msg, "no twin"):
			return nil, &grid.Failure{Reason: grid.ReasonDeployFailed, Cause: err,
				Err: fiatdashboard.Invalid("mnemonic", "no twin is registered on the grid for this mnemonic; create one in the ThreeFold dashboard first")}
		case strings.Contains(msg, "min fee is 2 tft"):
			// The grid client refuses to start below 2 TFT free, yet the
			// chain lets such a wallet read and cancel its contracts: open
			// a client that does only that, and refuses to deploy with
			// insufficient funds (drained.go).
			c, derr := openDrained(cfg)
			if derr != nil {
				return nil, translate(redact(derr, cfg.Mnemonic), "start the grid client")
			}
			return c, nil
		}
		if strings.Contains(msg, "mnemonic") {
			return nil, &grid.Failure{Reason: grid.ReasonDeployFailed, Cause: err,
				Err: fiatdashboard.Invalid("mnemonic", "the grid wallet's mnemonic is not valid")}
		}
		return nil, translate(err, "connect to the grid")
	}
	return &Client{tf: tf, network: cfg.Network, farmTwins: map[uint32]uint32{}, sshSigner: signer}, nil
}

func validNetwork(n string) bool {
	for _, v := range Networks {
		if v == n {
			return true
		}
	}
	return false
}

// saveLoggers records the standard logger and the global zerolog state,
// and returns a function that puts them back.
func saveLoggers() func() {
	out, flags, prefix := stdlog.Writer(), stdlog.Flags(), stdlog.Prefix()
	logger, level := zlog.Logger, zerolog.GlobalLevel()
	return func() {
		stdlog.SetOutput(out)
		stdlog.SetFlags(flags)
		stdlog.SetPrefix(prefix)
		zlog.Logger = logger
		zerolog.SetGlobalLevel(level)
	}
}

type redacted struct {
	msg   string
	cause error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return errors.Unwrap(r.cause) }

// redact removes secret from err's text.
func redact(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return redacted{msg: strings.ReplaceAll(err.Error(), secret, "[mnemonic]"), cause: err}
}

// Close ends the client's connections.
func (c *Client) Close() {
	if c.close != nil {
		c.close()
		return
	}
	c.tf.Close()
}

// Network returns the network the client talks to.
func (c *Client) Network() string { return c.network }

// Twin implements grid.Grid.
func (c *Client) Twin(ctx context.Context) (uint32, error) { return c.tf.TwinID, ctx.Err() }

// objectName derives an SDK object name (only [a-zA-Z0-9_], at most 36
// characters) from a project name and a kind, stable across runs, so a
// retried deployment finds what an earlier attempt created.
func objectName(project, kind string) string {
	h := sha256.Sum256([]byte(project))
	return fmt.Sprintf("fd%x_%s", h[:6], kind)
}

var notName = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// workloadName turns a VM, disk or QSFS name into one the SDK accepts.
func workloadName(name string) string {
	n := notName.ReplaceAllString(name, "_")
	if len(n) > 36 {
		n = n[:36]
	}
	return n
}

// translate turns an SDK error into our error codes with a plain message.
// The SDK reports in free text, so this reads it.
func translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	var coded *fiatdashboard.Error
	if errors.As(err, &coded) {
		return err
	}
	msg := strings.ToLower(err.Error())
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(msg, w) {
				return true
			}
		}
		return false
	}
	var f *grid.Failure
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || has("deadline exceeded", "timeout", "timed out"):
		f = grid.Fail(grid.ReasonTimeout, "the grid did not answer in time while trying to %s", doing)
	case has("no twin", "twin not found", "couldn't find any twin", "could not find twin"):
		f = grid.Fail(grid.ReasonDeployFailed, "no twin is registered on the grid for this wallet's mnemonic; create one in the ThreeFold dashboard")
	case has("not verified", "only verified users", "kyc"):
		f = grid.Fail(grid.ReasonKYCMissing, "the twin is not KYC-verified; the grid only lets verified twins deploy")
	case has("min fee is 2 tft"):
		// grid-client refuses to start below 2 TFT free
		// (deployer/validation.go validateAccountBalanceForExtrinsics).
		f = grid.Fail(grid.ReasonInsufficientFunds, "the wallet holds less than the 2 TFT the grid client needs free; top it up to %s", doing)
	case has("insufficient", "inability to pay", "not enough funds", "balance is not enough", "enough balance", "funds"):
		f = grid.Fail(grid.ReasonInsufficientFunds, "the wallet does not hold enough TFT to %s", doing)
	case has("capacity", "not enough resources", "no enough", "out of space", "no free", "already rented", "rented by"):
		f = grid.Fail(grid.ReasonNodeCapacity, "the node lacks the capacity to %s", doing)
	case has("node is down", "offline", "not reachable", "unreachable", "failed to get node client", "could not get node client", "no route"):
		f = grid.Fail(grid.ReasonNodeDown, "the node is down; could not %s", doing)
	case has("not found", "doesn't exist", "does not exist"):
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "could not %s: not found", doing)
	default:
		f = grid.Fail(grid.ReasonDeployFailed, "the grid failed to %s", doing)
	}
	f.Cause = err
	return f
}
