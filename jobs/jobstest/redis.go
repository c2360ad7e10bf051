// Package jobstest gives each test its own Redis logical database, claimed
// with a lease so that test binaries running in parallel never share one,
// flushed before use and after.
package jobstest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

const defaultURL = "redis://127.0.0.1:6379/0"

// Redis is one test's Redis database.
type Redis struct {
	URL    string
	Client *redis.Client
	Opt    asynq.RedisClientOpt
}

// New claims a free Redis database (1 to the server's last; 0 holds the leases) for t.
func New(t testing.TB) *Redis {
	t.Helper()
	base := os.Getenv("FD_REDIS_URL")
	if base == "" {
		base = defaultURL
	}
	opt, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("jobstest: FD_REDIS_URL: %v", err)
	}
	ctx := context.Background()
	leases := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: 0})
	defer leases.Close()
	if err := leases.Ping(ctx).Err(); err != nil {
		t.Fatalf("jobstest: Redis does not answer at FD_REDIS_URL (run the tests with `make test`, which starts it): %v", err)
	}
	me := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	// As many logical databases as the server has (16 by default; more when
	// several test runs share one server).
	maxDB := 15
	if v, err := leases.ConfigGet(ctx, "databases").Result(); err == nil {
		if n, err := strconv.Atoi(v["databases"]); err == nil && n > 1 {
			maxDB = n - 1
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	for db := 1; ; db++ {
		if db > maxDB {
			if time.Now().After(deadline) {
				t.Fatal("jobstest: no free Redis database for three minutes")
			}
			db = 1
			time.Sleep(50 * time.Millisecond)
		}
		key := "fdtest:lease:" + strconv.Itoa(db)
		ok, err := leases.SetNX(ctx, key, me, 10*time.Minute).Result()
		if err != nil {
			t.Fatalf("jobstest: lease: %v", err)
		}
		if !ok {
			continue
		}
		r := &Redis{
			Client: redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: db}),
			Opt:    asynq.RedisClientOpt{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: db},
		}
		u, _ := url.Parse(base)
		u.Path = "/" + strconv.Itoa(db)
		r.URL = u.String()
		r.Client.FlushDB(ctx)
		t.Cleanup(func() {
			r.Client.FlushDB(context.Background())
			r.Client.Close()
			l := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: 0})
			defer l.Close()
			if v, _ := l.Get(context.Background(), key).Result(); v == me {
				l.Del(context.Background(), key)
			}
		})
		return r
	}
}
