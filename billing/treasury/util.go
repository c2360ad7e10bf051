package treasury

import (
	"errors"
	"math/big"

	"github.com/lib/pq"
)

func isUnique(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

// ceilDiv is a / b rounded up (a, b > 0): what the treasury owes is never rounded down.
func ceilDiv(a, b *big.Int) *big.Int {
	q, m := new(big.Int).QuoRem(a, b, new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}
