package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatalf("defaults do not load: %v", err)
	}
	if cfg.StripeMode() != "mock" || cfg.ConsoleHost != "console.localhost" || !strings.Contains(cfg.DatabaseURL, "fd_app@") {
		t.Errorf("defaults = %+v", cfg)
	}
}

// TestBadConfigNamesTheVariable proves a malformed value stops the program
// with one line naming the variable and what it expects, without echoing a
// secret.
func TestBadConfigNamesTheVariable(t *testing.T) {
	tests := []struct {
		env      map[string]string
		variable string
		leak     string // must not appear in the message
	}{
		{map[string]string{"FD_DATABASE_URL": "nonsense"}, "FD_DATABASE_URL", "nonsense"},
		{map[string]string{"FD_DATABASE_URL": "mysql://u:hunter2@h/db"}, "FD_DATABASE_URL", "hunter2"},
		{map[string]string{"FD_REDIS_URL": "localhost:6379"}, "FD_REDIS_URL", ""},
		{map[string]string{"FD_HTTP_ADDR": "8080"}, "FD_HTTP_ADDR", ""},
		{map[string]string{"FD_SHUTDOWN_TIMEOUT": "soon"}, "FD_SHUTDOWN_TIMEOUT", ""},
		{map[string]string{"FD_WORKER_CONCURRENCY": "0"}, "FD_WORKER_CONCURRENCY", ""},
		{map[string]string{"FD_LOG_FORMAT": "xml"}, "FD_LOG_FORMAT", ""},
		{map[string]string{"FD_STRIPE_SECRET_KEY": "pk_live_secretish"}, "FD_STRIPE_SECRET_KEY", "secretish"},
		{map[string]string{"FD_STRIPE_SECRET_KEY": "sk_test_x"}, "FD_STRIPE_WEBHOOK_SECRET", "sk_test_x"},
		{map[string]string{"FD_STRIPE_SECRET_KEY": "sk_test_x", "FD_STRIPE_WEBHOOK_SECRET": "whsec_x",
			"FD_SECRET_KEYS": "k1:" + strings.Repeat("QUJD", 11), "FD_MASTER_KEY": "m1:" + strings.Repeat("WFla", 11)}, "FD_STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_x"},
		{map[string]string{"FD_ENV": "production"}, "FD_STRIPE_SECRET_KEY", ""},
		// The profiler answers only on loopback: never on a public interface.
		{map[string]string{"FD_PPROF_ADDR": ":6060"}, "FD_PPROF_ADDR", ""},
		{map[string]string{"FD_PPROF_ADDR": "0.0.0.0:6060"}, "FD_PPROF_ADDR", ""},
		{map[string]string{"FD_PPROF_ADDR": "10.1.2.3:6060"}, "FD_PPROF_ADDR", ""},
		{map[string]string{"FD_DATABASE_MAX_CONNS": "1"}, "FD_DATABASE_MAX_CONNS", ""},
	}
	for _, tt := range tests {
		_, err := loadConfig(env(tt.env))
		if err == nil {
			t.Errorf("%v loaded, want an error naming %s", tt.env, tt.variable)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, tt.variable+": expected ") || strings.Contains(msg, "\n") {
			t.Errorf("%v: message %q, want one line starting %q", tt.env, msg, tt.variable+": expected ")
		}
		if tt.leak != "" && strings.Contains(msg, tt.leak) {
			t.Errorf("%v: message %q echoes the secret value", tt.env, msg)
		}
	}
}

// TestServeWithBadConfigExitsWithOneLine runs the command as main does.
func TestServeWithBadConfigExitsWithOneLine(t *testing.T) {
	t.Setenv("FD_DATABASE_URL", "nonsense")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"serve"}, &stdout, &stderr)
	if code == 0 {
		t.Fatal("serve with FD_DATABASE_URL=nonsense exited 0")
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "FD_DATABASE_URL") || strings.Contains(lines[0], "goroutine") {
		t.Errorf("stderr = %q, want one line naming FD_DATABASE_URL", stderr.String())
	}
}

// TestEnvExampleListsEverySetting keeps .env.example in step with the code.
func TestEnvExampleListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings() {
		if !strings.Contains(string(b), "\n"+s.name+"="+s.def+"\n") {
			t.Errorf(".env.example lacks %s=%s", s.name, s.def)
		}
	}
}

func TestHelpExplainsEveryCommand(t *testing.T) {
	for _, c := range commands() {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{c.name, "-h"}, &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String()+stderr.String(), "Usage: fiatdashboard "+c.name) {
			t.Errorf("%s -h: exit %d, output %q; want 0 and a usage line", c.name, code, stdout.String()+stderr.String())
		}
	}
}

// TestDevKeysRefusedNextToLiveParts proves the public development keys and
// the mock webhook secret are refused whenever anything is live (a Stripe
// key, a real grid, a real domain), whatever FD_ENV says, and still work
// when everything is local.
func TestDevKeysRefusedNextToLiveParts(t *testing.T) {
	own := map[string]string{
		"FD_SECRET_KEYS": "k1:" + strings.Repeat("QUJD", 11),
		"FD_MASTER_KEY":  "m1:" + strings.Repeat("WFla", 11),
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	live := [][]string{
		{"FD_STRIPE_SECRET_KEY", "sk_live_abc", "FD_STRIPE_WEBHOOK_SECRET", "whsec_real", "FD_STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_real_connect"},
		{"FD_STRIPE_SECRET_KEY", "sk_test_abc", "FD_STRIPE_WEBHOOK_SECRET", "whsec_real", "FD_STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_real_connect"},
		{"FD_GRID_NETWORK", "main", "FD_GRID_MNEMONIC", "word word word"},
		{"FD_BASE_DOMAIN", "cloud.example.com"},
		{"FD_CONSOLE_HOST", "console.example.com"},
	}
	for _, l := range live {
		for _, tt := range []struct {
			env  map[string]string
			want string
		}{
			{with(nil, l...), "FD_SECRET_KEYS"},                                                               // development keys by default
			{with(nil, append(l, "FD_SECRET_KEYS", devSecretKey)...), "FD_SECRET_KEYS"},                       // the dev key spelled out
			{with(own, append(l, "FD_MASTER_KEY", "")...), "FD_MASTER_KEY"},                                   // own session keys, dev master key
			{with(own, append(l, "FD_MASTER_KEY", devMasterKey)...), "FD_MASTER_KEY"},                         // the dev master key spelled out
			{with(own, append(l, "FD_STRIPE_WEBHOOK_SECRET", "whsec_mock_x")...), "FD_STRIPE_WEBHOOK_SECRET"}, // the mock secret
			{with(own, append(l, "FD_STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_mock_y")...), "FD_STRIPE_CONNECT_WEBHOOK_SECRET"},
		} {
			_, err := loadConfig(env(tt.env))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want+": expected") {
				t.Errorf("%v: err = %v, want one naming %s", tt.env, err, tt.want)
			}
		}
		if _, err := loadConfig(env(with(own, l...))); err != nil {
			t.Errorf("%v with keys of its own: %v", l, err)
		}
	}
	// All local: the development keys are fine.
	if _, err := loadConfig(env(map[string]string{"FD_BASE_DOMAIN": "localhost", "FD_CONSOLE_HOST": "console.localhost"})); err != nil {
		t.Errorf("local development refused: %v", err)
	}
}

// TestCommandsLoadOnlyWhatTheyRead proves each command's settings load on
// their own from an empty environment: the rules that tie settings
// together (production keys, development keys next to live parts) judge
// only what the command reads. `services up` once failed because the
// live-parts rule saw the grid network and hosts it had not read as empty.
func TestCommandsLoadOnlyWhatTheyRead(t *testing.T) {
	for name, uses := range map[string][]string{
		"migrate": migrateSettings, "services": servicesSettings, "user/token": accountSettings,
		"tenant": tenantSettings, "keys": keysSettings, "serve/worker/dev": everySetting,
	} {
		if _, err := loadSettings(env(nil), uses); err != nil {
			t.Errorf("%s with an empty environment: %v", name, err)
		}
	}
	// Serve still refuses the public development keys next to a live grid.
	if _, err := loadSettings(env(map[string]string{"FD_GRID_NETWORK": "main", "FD_GRID_MNEMONIC": "x"}), everySetting); err == nil || !strings.HasPrefix(err.Error(), "FD_SECRET_KEYS") {
		t.Errorf("serve on mainnet with the development keys: %v, want FD_SECRET_KEYS refused", err)
	}
}

// TestGridSSHKeyIsReadAsTextOrFileAndNeverShown: FD_GRID_SSH_KEY takes the
// key's text or a file holding it (an environment file takes no
// multi-line value), refuses what is not a private key without quoting
// it, and commands that do not use the grid never read it.
func TestGridSSHKeyIsReadAsTextOrFileAndNeverShown(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(pem.EncodeToMemory(block)))
	file := filepath.Join(t.TempDir(), "grid_ssh_key")
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]string{"text": key, "file": file} {
		cfg, err := loadConfig(env(map[string]string{"FD_GRID_SSH_KEY": v}))
		if err != nil || cfg.GridSSHKey != key {
			t.Errorf("FD_GRID_SSH_KEY as %s: %v; want the key read", what, err)
		}
	}
	if cfg, err := loadConfig(env(nil)); err != nil || cfg.GridSSHKey != "" {
		t.Errorf("no FD_GRID_SSH_KEY: %v; want none, and no error", err)
	}
	for _, bad := range []string{"-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LXZhbHVl\n-----END OPENSSH PRIVATE KEY-----", file + ".missing"} {
		_, err := loadConfig(env(map[string]string{"FD_GRID_SSH_KEY": bad}))
		if err == nil || !strings.HasPrefix(err.Error(), "FD_GRID_SSH_KEY: expected") || strings.Contains(err.Error(), "c2VjcmV0") || strings.Contains(err.Error(), ".missing") {
			t.Errorf("FD_GRID_SSH_KEY=%q: %v; want it refused, naming the variable, not its value", bad, err)
		}
	}
	for name, uses := range map[string][]string{"migrate": migrateSettings, "services": servicesSettings, "user/token": accountSettings,
		"tenant": tenantSettings, "keys": keysSettings} {
		if _, err := loadSettings(env(map[string]string{"FD_GRID_SSH_KEY": "not a key"}), uses); err != nil {
			t.Errorf("%s reads FD_GRID_SSH_KEY: %v", name, err)
		}
	}
}
