package web

import "time"

// SetStreamSessionCheck shortens how often open progress streams ask
// whether their session ended elsewhere, for tests.
func (s *Server) SetStreamSessionCheck(d time.Duration) { s.streams.check = d }
