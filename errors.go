// Package fiatdashboard holds what every domain package shares: the error type
// with its codes. Domain packages live in the folders below this one.
package fiatdashboard

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The web package maps each to one HTTP status; jobs decide from
// them whether a task is worth retrying.
const (
	ECONFLICT       = "conflict"          // the action conflicts with the current state
	EFORBIDDEN      = "forbidden"         // the caller is known but may not do this
	EINTERNAL       = "internal"          // a bug or an outage; the detail goes to the log only
	EINVALID        = "invalid"           // bad input; Field names the offending field
	ENOTFOUND       = "not_found"         // missing, or not visible to the caller
	EUNAUTHORIZED   = "unauthorized"      // no valid credentials
	EUNAVAILABLE    = "unavailable"       // a dependency is down; retry later
	ETOOMANYREQUEST = "too_many_requests" // rate limited
)

// Error is an error the application means to show to its caller. Any other
// error reaching the edge is reported as EINTERNAL with a request id.
type Error struct {
	Code    string // one of the E* constants
	Message string // plain words for a person; never contains a secret
	Field   string // the input field at fault, for EINVALID
	// RetryAfter is how long to wait, for ETOOMANYREQUEST (and EUNAVAILABLE).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// "internal error" for any other error, so internals never reach a user.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
