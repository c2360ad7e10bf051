package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"
)

// decodeJSON checks a request body and decodes it into v. Everything that
// reaches PostgreSQL must be text it accepts: a NUL byte (also written
// \u0000) or invalid UTF-8 anywhere is EINVALID naming the field; so is a
// value of the wrong type (field "months", not "body"). A body that is not
// one JSON value is EINVALID on "body".
func decodeJSON(body []byte, v any) error {
	if field, problem := checkJSONText(body); problem != "" {
		return fiatdashboard.Invalid(field, "%s", problem)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := jsonField(te.Field)
			if field == "" {
				return fiatdashboard.Invalid("body", "the request body must be a JSON object")
			}
			return fiatdashboard.Invalid(field, "%s must be %s", field, jsonTypeName(te.Type.Kind().String()))
		}
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			return fiatdashboard.Invalid("body", "a number is out of range")
		}
		return fiatdashboard.Invalid("body", "the request body must be a JSON object")
	}
	return nil
}

// jsonField is the JSON path of an UnmarshalTypeError's field without the
// Go names of embedded structs ("QuoteInput.months" is "months"): our JSON
// names are lower case, Go's type names are not.
func jsonField(f string) string {
	parts := strings.Split(f, ".")
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper([]rune(p)[0]) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}

func jsonTypeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "a whole number in range"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice", kind == "array":
		return "a list"
	case kind == "map", kind == "struct":
		return "an object"
	}
	return "of another type"
}

// checkJSONText walks the tokens of body and returns the path of the first
// key or string with a NUL byte or invalid UTF-8 ("name", "rule.sizes[2].id"),
// with what is wrong; problem is empty when the text is fine (or the JSON is
// malformed, which decoding reports).
func checkJSONText(body []byte) (field, problem string) {
	bad := -1
	if !utf8.Valid(body) {
		for i := 0; i < len(body); {
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n <= 1 {
				bad = i
				break
			}
			i += n
		}
	}
	var stack []jsonFrame
	path := func(last string) string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if f.key == "" {
					continue
				}
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				fmt.Fprintf(&b, "[%d]", f.index)
			}
		}
		if last != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(last)
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return "", ""
		}
		end := int(dec.InputOffset())
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			isKey = false
		}
		var here string
		if isKey {
			top := &stack[len(stack)-1]
			prev := top.key
			top.key = ""
			here = path(tok.(string))
			top.key = prev
		} else {
			here = path("")
		}
		if bad >= 0 && bad < end {
			return here, "the text must be valid UTF-8"
		}
		if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return here, "the text must not contain a NUL character"
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, jsonFrame{object: true, expectKey: true})
			case '[':
				stack = append(stack, jsonFrame{})
			default:
				stack = stack[:len(stack)-1]
				consumed(stack)
			}
			continue
		}
		if isKey {
			stack[len(stack)-1].key = tok.(string)
			stack[len(stack)-1].expectKey = false
			continue
		}
		consumed(stack)
	}
}

// jsonFrame is one open object or array while walking tokens.
type jsonFrame struct {
	object    bool
	key       string
	index     int
	expectKey bool
}

// consumed notes that the innermost container read one value.
func consumed(stack []jsonFrame) {
	if len(stack) == 0 {
		return
	}
	f := &stack[len(stack)-1]
	if f.object {
		f.expectKey = true
	} else {
		f.index++
	}
}

// isJSON reports whether the Content-Type is application/json (or +json).
func isJSON(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	return err == nil && (mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json"))
}
