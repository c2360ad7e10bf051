package billing

import (
	"errors"

	"github.com/lib/pq"
)

func isUnique(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
