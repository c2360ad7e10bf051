package web

import (
	"errors"
	"log/slog"
	"math"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// statusByCode is the one table from error codes to HTTP statuses.
var statusByCode = map[string]int{
	fiatdashboard.EINVALID:        fiber.StatusBadRequest,
	fiatdashboard.EUNAUTHORIZED:   fiber.StatusUnauthorized,
	fiatdashboard.EFORBIDDEN:      fiber.StatusForbidden,
	fiatdashboard.ENOTFOUND:       fiber.StatusNotFound,
	fiatdashboard.ECONFLICT:       fiber.StatusConflict,
	fiatdashboard.ETOOMANYREQUEST: fiber.StatusTooManyRequests,
	fiatdashboard.EUNAVAILABLE:    fiber.StatusServiceUnavailable,
	fiatdashboard.EINTERNAL:       fiber.StatusInternalServerError,
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong; Field is set for bad input.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// errorHandler turns any error a handler returns into the JSON error shape.
// Internal errors are logged with the request id and shown only as
// "internal error".
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	body := ErrorDetail{RequestID: requestID(c)}
	if errors.Is(err, tenant.ErrNoTenant) && siteOf(c).Tenant == nil {
		// A storefront route called on the console host: nothing here.
		err = fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "not found")
	}
	status := fiber.StatusInternalServerError
	var fe *fiber.Error
	var ae *fiatdashboard.Error
	switch {
	case errors.As(err, &ae):
		body.Code, body.Message, body.Field = ae.Code, ae.Message, ae.Field
		status = statusByCode[ae.Code]
		if status == 0 {
			status = fiber.StatusInternalServerError
		}
		if ae.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
		}
	case errors.As(err, &fe):
		status = fe.Code
		body.Code, body.Message = codeForStatus(fe.Code), fe.Message
	default:
		body.Code = fiatdashboard.EINTERNAL
	}
	if status >= 500 && body.Code == fiatdashboard.EINTERNAL {
		s.log.Error("request failed", slog.String("request_id", body.RequestID),
			slog.String("method", c.Method()), slog.String("path", c.Path()), slog.Any("err", err))
		body.Message = "internal error"
	}
	return c.Status(status).JSON(ErrorBody{Error: body})
}

func codeForStatus(status int) string {
	for code, st := range statusByCode {
		if st == status {
			return code
		}
	}
	switch {
	case status == fiber.StatusMethodNotAllowed, status == fiber.StatusRequestEntityTooLarge, status == fiber.StatusUnsupportedMediaType:
		return fiatdashboard.EINVALID
	case status < 500:
		return fiatdashboard.EINVALID
	}
	return fiatdashboard.EINTERNAL
}
