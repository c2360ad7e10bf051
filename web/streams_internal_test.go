package web

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// TestStreamEndsWhenItsAccessTokenExpires: a session's stream ends when the
// access token that opened it expires (the UI refreshes and reopens); a
// stream of an API token ends at the longest a stream may last.
func TestStreamEndsWhenItsAccessTokenExpires(t *testing.T) {
	ctx, cancel := streamContext(uuid.New(), tenant.Actor{Kind: tenant.ActorUser, ID: uuid.New(), SessionID: uuid.New(), Until: time.Now().Add(50 * time.Millisecond)})
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the stream outlived its access token")
	}
	ctx2, cancel2 := streamContext(uuid.New(), tenant.Actor{Kind: tenant.ActorToken, ID: uuid.New()})
	defer cancel2()
	if dl, ok := ctx2.Deadline(); !ok || time.Until(dl) > streamMaxAge || time.Until(dl) < streamMaxAge-time.Minute {
		t.Errorf("an API token's stream deadline is %v away; want %v", time.Until(dl), streamMaxAge)
	}
}
