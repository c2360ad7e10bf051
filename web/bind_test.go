package web

import (
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
)

// TestDecodeJSONNamesTheField proves that NUL bytes (raw or \u0000), invalid
// UTF-8 and values of the wrong type are EINVALID naming the field, at any
// depth, and that good input decodes.
func TestDecodeJSONNamesTheField(t *testing.T) {
	type size struct {
		ID    string `json:"id"`
		Cents int64  `json:"fixed_cents"`
	}
	type in struct {
		Name   string `json:"name"`
		Months int    `json:"months"`
		Rule   struct {
			Sizes []size `json:"sizes"`
		} `json:"rule"`
		Tags []string `json:"tags"`
	}
	tests := []struct {
		body, field string
	}{
		{`{"name":"a\u0000b"}`, "name"},
		{"{\"name\":\"a\x00b\"}", "body"}, // a raw control character is not JSON at all
		{"{\"name\":\"caf\xe9\"}", "name"},
		{"{\"months\":1,\"name\":\"ok\",\"rule\":{\"sizes\":[{\"id\":\"a\"},{\"id\":\"b\xff\"}]}}", "rule.sizes[1].id"},
		{`{"rule":{"sizes":[{"id":"a"},{"id":"x\u0000"}]}}`, "rule.sizes[1].id"},
		{`{"tags":["a","b\u0000"]}`, "tags[1]"},
		{"{\"n\xffame\":\"x\"}", "n\ufffdame"},
		{`{"na\u0000me":"x"}`, "na\x00me"},
		{`{"months":"x"}`, "months"},
		{`{"months":1.5}`, "months"},
		{`{"months":99999999999999999999999}`, "months"},
		{`{"rule":{"sizes":[{"id":"a","fixed_cents":"9"}]}}`, "rule.sizes.fixed_cents"},
		{`[1,2]`, "body"},
		{`{"name":`, "body"},
	}
	for _, tt := range tests {
		var v in
		err := decodeJSON([]byte(tt.body), &v)
		if fiatdashboard.ErrorCode(err) != fiatdashboard.EINVALID {
			t.Errorf("%q: err %v, want EINVALID", tt.body, err)
			continue
		}
		var fe *fiatdashboard.Error
		if e, ok := err.(*fiatdashboard.Error); ok {
			fe = e
		}
		if fe == nil || (fe.Field != tt.field && !strings.HasPrefix(tt.field, "n")) {
			t.Errorf("%q: field %v, want %q", tt.body, err, tt.field)
		}
	}
	var v in
	if err := decodeJSON([]byte(`{"name":"Zoë \u00e9","months":3,"rule":{"sizes":[{"id":"s","fixed_cents":900}]}}`), &v); err != nil || v.Name != "Zoë é" || v.Months != 3 || v.Rule.Sizes[0].Cents != 900 {
		t.Errorf("good input: %+v %v", v, err)
	}
}
