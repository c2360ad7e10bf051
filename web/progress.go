package web

import (
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// progressHub wakes a deployment's open progress streams when the database
// says the deployment has a new event (fd_deployment, sent at commit by the
// trigger on deployment_events, from whichever process wrote it). An idle
// stream therefore costs no query and no CPU: it waits on its channel, with
// a keep-alive comment now and then. Without live notifications streams
// fall back to polling.
type progressHub struct {
	notes *tenant.Notifications

	mu      sync.Mutex
	streams map[uuid.UUID]map[chan struct{}]struct{}
}

// progressKeepAlive is how often an idle stream writes a comment, so proxies
// keep it open and a departed client is noticed.
const progressKeepAlive = 25 * time.Second

func newProgressHub(notes *tenant.Notifications) *progressHub {
	h := &progressHub{notes: notes, streams: map[uuid.UUID]map[chan struct{}]struct{}{}}
	if notes != nil {
		notes.Subscribe(tenant.ChannelDeployment, func(payload string) {
			if id, err := uuid.Parse(payload); err == nil {
				h.wake(id)
			}
		})
		// Notifications may have been missed: every stream reads again.
		notes.OnReset(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			for _, set := range h.streams {
				for ch := range set {
					poke(ch)
				}
			}
		})
	}
	return h
}

// watch returns a channel that receives when the deployment may have new
// events, and the function that stops watching.
func (h *progressHub) watch(id uuid.UUID) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.streams[id] == nil {
		h.streams[id] = map[chan struct{}]struct{}{}
	}
	h.streams[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.streams[id], ch)
		if len(h.streams[id]) == 0 {
			delete(h.streams, id)
		}
		h.mu.Unlock()
	}
}

func (h *progressHub) wake(id uuid.UUID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.streams[id] {
		poke(ch)
	}
}

// poke signals ch without blocking: one pending wake-up is enough.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// next waits until the stream should read its events again: a wake-up, a
// poll tick when notifications are not live, or the keep-alive. It reports
// whether the stream should read (false: only a keep-alive is due).
func (h *progressHub) next(done <-chan struct{}, wake <-chan struct{}) (read, open bool) {
	poll := progressKeepAlive
	if !h.notes.Live() {
		poll = time.Second
	}
	t := time.NewTimer(poll)
	defer t.Stop()
	select {
	case <-done:
		return false, false
	case <-wake:
		return true, true
	case <-t.C:
		return !h.notes.Live(), true
	}
}
