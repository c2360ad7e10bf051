package web

import (
	"errors"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/deploy"
)

// TestTypeErrorsNameTheJSONField: a form that embeds another (the deploy
// form embeds the quote's fields) names the JSON field of a type error,
// not Go's embedded struct ("QuoteInput.months").
func TestTypeErrorsNameTheJSONField(t *testing.T) {
	for _, v := range []any{&deploy.CreateInput{}, &deploy.QuoteInput{}} {
		err := decodeJSON([]byte(`{"size":"small","months":"x"}`), v)
		var fe *fiatdashboard.Error
		if !errors.As(err, &fe) || fe.Field != "months" {
			t.Errorf("%T: months \"x\" = %v; want an error on the field months", v, err)
		}
	}
}
