package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ensureServices makes PostgreSQL and Redis answer for local use: the ones
// at the configured URLs when they answer; otherwise private instances
// started from the installed server binaries under FD_DATA_DIR on free ports
// (reused by the next run); otherwise, where a Docker engine works, the
// compose services; otherwise an error naming the package to install. It
// rewrites cfg's URLs to what it found.
func ensureServices(ctx context.Context, cfg *Config, out io.Writer) error {
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	if err := ensurePostgres(ctx, cfg, dataDir, out); err != nil {
		return err
	}
	return ensureRedis(ctx, cfg, dataDir, out)
}

func ensurePostgres(ctx context.Context, cfg *Config, dataDir string, out io.Writer) error {
	if pingPostgres(ctx, cfg.DatabaseOwnerURL) == nil {
		return nil
	}
	dir := filepath.Join(dataDir, "pg")
	port, err := readPort(filepath.Join(dataDir, "pg.port"))
	if err == nil {
		usePrivatePostgres(cfg, port)
		if pingPostgres(ctx, cfg.DatabaseOwnerURL) == nil {
			fmt.Fprintf(out, "PostgreSQL: private instance on 127.0.0.1:%d (%s)\n", port, dir)
			return nil
		}
	}
	bin := postgresBinDir()
	if bin == "" {
		if dockerCompose(ctx, out, "postgres") == nil {
			return waitFor(ctx, func() error { return pingPostgres(ctx, cfg.DatabaseOwnerURL) }, "PostgreSQL (docker compose)")
		}
		return errors.New("PostgreSQL does not answer at FD_DATABASE_OWNER_URL and no server is installed: install Debian's package postgresql (apt-get install postgresql), or point FD_DATABASE_OWNER_URL and FD_DATABASE_URL at a running server")
	}
	asUser, err := postgresRunner(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		os.RemoveAll(dir)
		// The data folder must be traversable by the postgres user when run as root.
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		if err := chownForPostgres(dir); err != nil {
			return err
		}
		fmt.Fprintf(out, "PostgreSQL: initialising a private cluster in %s\n", dir)
		if b, err := asUser(filepath.Join(bin, "initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions").CombinedOutput(); err != nil {
			return fmt.Errorf("initdb: %v: %s", err, lastLine(b))
		}
	}
	if port == 0 || !portFree(port) {
		if port, err = freePort(); err != nil {
			return err
		}
	}
	logFile := filepath.Join(dir, "server.log")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir)
	if b, err := asUser(filepath.Join(bin, "pg_ctl"), "-D", dir, "-o", opts, "-l", logFile, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		return fmt.Errorf("start private PostgreSQL: %v: %s (see %s)", err, lastLine(b), logFile)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "pg.port"), []byte(strconv.Itoa(port)), 0o644); err != nil {
		return err
	}
	usePrivatePostgres(cfg, port)
	fmt.Fprintf(out, "PostgreSQL: started a private instance on 127.0.0.1:%d (%s)\n", port, dir)
	return waitFor(ctx, func() error { return pingPostgres(ctx, cfg.DatabaseOwnerURL) }, "private PostgreSQL")
}

func ensureRedis(ctx context.Context, cfg *Config, dataDir string, out io.Writer) error {
	if pingRedis(ctx, cfg.RedisURL) == nil {
		return nil
	}
	dir := filepath.Join(dataDir, "redis")
	port, err := readPort(filepath.Join(dataDir, "redis.port"))
	if err == nil {
		cfg.RedisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
		if pingRedis(ctx, cfg.RedisURL) == nil {
			fmt.Fprintf(out, "Redis: private instance on 127.0.0.1:%d\n", port)
			return nil
		}
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if dockerCompose(ctx, out, "redis") == nil {
			return waitFor(ctx, func() error { return pingRedis(ctx, cfg.RedisURL) }, "Redis (docker compose)")
		}
		return errors.New("Redis does not answer at FD_REDIS_URL and no server is installed: install Debian's package redis-server (apt-get install redis-server), or point FD_REDIS_URL at a running server")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if port == 0 || !portFree(port) {
		if port, err = freePort(); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--daemonize", "yes",
		"--save", "", "--appendonly", "no", "--databases", "64", "--dir", dir, "--pidfile", filepath.Join(dir, "redis.pid"), "--logfile", filepath.Join(dir, "redis.log"))
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("start private Redis: %v: %s", err, lastLine(b))
	}
	if err := os.WriteFile(filepath.Join(dataDir, "redis.port"), []byte(strconv.Itoa(port)), 0o644); err != nil {
		return err
	}
	cfg.RedisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	fmt.Fprintf(out, "Redis: started a private instance on 127.0.0.1:%d\n", port)
	return waitFor(ctx, func() error { return pingRedis(ctx, cfg.RedisURL) }, "private Redis")
}

// stopServices stops the private instances, if any run.
func stopServices(cfg *Config, out io.Writer) error {
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	dir := filepath.Join(dataDir, "pg")
	if bin := postgresBinDir(); bin != "" {
		if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err == nil {
			if asUser, err := postgresRunner(dir); err == nil {
				asUser(filepath.Join(bin, "pg_ctl"), "-D", dir, "-m", "fast", "-w", "stop").Run()
				fmt.Fprintln(out, "PostgreSQL: private instance stopped")
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dataDir, "redis", "redis.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			if p, err := os.FindProcess(pid); err == nil && p.Signal(os.Interrupt) == nil {
				fmt.Fprintln(out, "Redis: private instance stopped")
			}
		}
	}
	return nil
}

func usePrivatePostgres(cfg *Config, port int) {
	cfg.DatabaseOwnerURL = rehost(cfg.DatabaseOwnerURL, "postgres", port)
	cfg.DatabaseURL = rehost(cfg.DatabaseURL, "fd_app", port)
	cfg.DatabaseSystemURL = rehost(cfg.DatabaseSystemURL, "fd_system", port)
}

// rehost points a PostgreSQL URL at 127.0.0.1:port as user, keeping the
// database name and parameters.
func rehost(dsn, userName string, port int) string {
	u, _ := url.Parse(dsn)
	u.Host = fmt.Sprintf("127.0.0.1:%d", port)
	u.User = url.User(userName)
	return u.String()
}

func pingPostgres(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	u.Path = "/postgres"
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func pingRedis(ctx context.Context, rawURL string) error {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return err
	}
	opt.MaxRetries = -1
	opt.DialTimeout = 2 * time.Second
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// postgresBinDir finds the newest installed PostgreSQL server binaries.
func postgresBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// postgresRunner returns how to run PostgreSQL's tools: PostgreSQL refuses to
// run as root, so as root they run as the postgres system user.
func postgresRunner(dir string) (func(name string, args ...string) *exec.Cmd, error) {
	if os.Geteuid() != 0 {
		return exec.Command, nil
	}
	if _, err := user.Lookup("postgres"); err != nil {
		return nil, errors.New("PostgreSQL refuses to run as root and there is no postgres user: run as a normal user, or install Debian's package postgresql")
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return nil, errors.New("PostgreSQL refuses to run as root and runuser is missing: run as a normal user")
	}
	return func(name string, args ...string) *exec.Cmd {
		return exec.Command(runuser, append([]string{"-u", "postgres", "--", name}, args...)...)
	}, nil
}

func chownForPostgres(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

// dockerCompose starts one compose service where a Docker engine answers.
func dockerCompose(ctx context.Context, out io.Writer, service string) error {
	if exec.CommandContext(ctx, "docker", "info").Run() != nil {
		return errors.New("no Docker engine")
	}
	fmt.Fprintf(out, "%s: starting with docker compose\n", service)
	return exec.CommandContext(ctx, "docker", "compose", "up", "-d", service).Run()
}

func waitFor(ctx context.Context, ping func() error, what string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := ping()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s does not answer: %w", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func readPort(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func runServices(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("services", "services up|down", `up makes PostgreSQL and Redis answer for local use: the ones at FD_DATABASE_OWNER_URL
and FD_REDIS_URL when they answer, else private instances under FD_DATA_DIR
started from the installed server binaries (reused on the next run), else
docker compose where a Docker engine works. It prints shell export lines for
the URLs it settled on (the Makefile evaluates them), and its notes on stderr.
down stops the private instances.`, stderr)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "up" && fs.Arg(0) != "down") {
		fmt.Fprintln(stderr, "fiatdashboard services: expected up or down")
		return 2
	}
	cfg, ok := mustConfig(stderr, servicesSettings)
	if !ok {
		return 2
	}
	if fs.Arg(0) == "down" {
		if err := stopServices(cfg, stderr); err != nil {
			fmt.Fprintf(stderr, "fiatdashboard services down: %v\n", err)
			return 1
		}
		return 0
	}
	if err := ensureServices(ctx, cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "fiatdashboard services: %v\n", err)
		return 1
	}
	for _, kv := range [][2]string{{"FD_DATABASE_OWNER_URL", cfg.DatabaseOwnerURL}, {"FD_DATABASE_URL", cfg.DatabaseURL}, {"FD_DATABASE_SYSTEM_URL", cfg.DatabaseSystemURL}, {"FD_REDIS_URL", cfg.RedisURL}} {
		fmt.Fprintf(stdout, "export %s='%s'\n", kv[0], kv[1])
	}
	return 0
}
