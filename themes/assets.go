package themes

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"strconv"
	"strings"

	"github.com/fiatdashboard/fiatdashboard"
)

// MaxAssetBytes is the largest logo or favicon accepted.
const MaxAssetBytes = 256 << 10

// allowedSVG are the SVG elements a logo may use: shapes, text, gradients,
// groups and their descriptions. Anything else (script, foreignObject,
// style, image, a, animate…) is refused.
var allowedSVG = map[string]bool{
	"svg": true, "g": true, "path": true, "rect": true, "circle": true, "ellipse": true, "line": true,
	"polyline": true, "polygon": true, "text": true, "tspan": true, "defs": true, "lineargradient": true,
	"radialgradient": true, "stop": true, "title": true, "desc": true, "clippath": true, "mask": true,
	"use": true, "symbol": true, "metadata": true,
}

// ValidateImage checks an uploaded logo or favicon: a PNG, or an SVG with no
// script, no event handler and no reference outside itself. It returns the
// content type to serve it with; EINVALID on field "file" says what is wrong.
func ValidateImage(data []byte) (string, error) {
	if len(data) == 0 {
		return "", fiatdashboard.Invalid("file", "the file is empty")
	}
	if len(data) > MaxAssetBytes {
		return "", fiatdashboard.Invalid("file", "the file is %d KB; the limit is 256 KB", (len(data)+1023)/1024)
	}
	if bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "", fiatdashboard.Invalid("file", "the PNG cannot be read")
		}
		if cfg.Width > 4096 || cfg.Height > 4096 {
			return "", fiatdashboard.Invalid("file", "the PNG is %d×%d; the limit is 4096×4096", cfg.Width, cfg.Height)
		}
		return "image/png", nil
	}
	if err := checkSVG(data); err != nil {
		return "", err
	}
	return "image/svg+xml", nil
}

// cssReachesOut reports whether a (style or presentation) attribute value
// could make the browser fetch anything: a url( that is not a reference
// inside the document (url(#id)), or an image-set(, image(, cross-fade(,
// element( or @import, in any spelling CSS accepts: escapes (u\72l(,
// \000075rl(), comments (u/**/rl is not CSS, url/**/( is), any case.
func cssReachesOut(v string) bool {
	v = strings.ToLower(unescapeCSS(v))
	for _, f := range []string{"image-set(", "image(", "cross-fade(", "element(", "@import", "src("} {
		if strings.Contains(v, f) {
			return true
		}
	}
	for rest := v; ; {
		i := strings.Index(rest, "url")
		if i < 0 {
			return false
		}
		rest = strings.TrimLeft(rest[i+3:], " \t\n\r\f")
		if !strings.HasPrefix(rest, "(") {
			continue
		}
		target := strings.TrimLeft(rest[1:], " \t\n\r\f\"'")
		if !strings.HasPrefix(target, "#") {
			return true
		}
	}
}

// unescapeCSS removes comments and resolves backslash escapes the way a CSS
// tokenizer does (https://www.w3.org/TR/css-syntax-3/#consume-escaped-code-point):
// up to six hex digits and one optional whitespace, or the next character.
func unescapeCSS(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case strings.HasPrefix(v[i:], "/*"):
			end := strings.Index(v[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += 2 + end + 1
		case v[i] == '\\' && i+1 < len(v):
			j := i + 1
			for j < len(v) && j < i+7 && isHex(v[j]) {
				j++
			}
			if j == i+1 { // not hex: the character itself
				b.WriteByte(v[j])
				i = j
				continue
			}
			n, _ := strconv.ParseUint(v[i+1:j], 16, 32)
			if n == 0 || n > 0x10FFFF {
				n = 0xFFFD
			}
			b.WriteRune(rune(n))
			if j < len(v) && strings.IndexByte(" \t\n\r\f", v[j]) >= 0 {
				j++
			}
			i = j - 1
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func checkSVG(data []byte) error {
	bad := func(format string, a ...any) error { return fiatdashboard.Invalid("file", "the SVG "+format, a...) }
	if bytes.Contains(bytes.ToUpper(data), []byte("<!ENTITY")) || bytes.Contains(bytes.ToUpper(data), []byte("<!DOCTYPE")) {
		return bad("declares a DOCTYPE or entities, which are not allowed")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	root := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fiatdashboard.Invalid("file", "upload a PNG or SVG image (the file is neither)")
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(el.Name.Local)
			if root && name != "svg" {
				return fiatdashboard.Invalid("file", "upload a PNG or SVG image (the file is neither)")
			}
			root = false
			if !allowedSVG[name] {
				return bad("contains a <%s> element, which is not allowed in a logo", el.Name.Local)
			}
			for _, a := range el.Attr {
				an, av := strings.ToLower(a.Name.Local), strings.ToLower(strings.TrimSpace(a.Value))
				switch {
				case strings.HasPrefix(an, "on"):
					return bad("has an event handler (%s), which is not allowed", a.Name.Local)
				case an == "href" || an == "src":
					if !strings.HasPrefix(av, "#") {
						return bad("refers to %q outside itself, which is not allowed", a.Value)
					}
				case strings.Contains(av, "javascript:") || strings.Contains(av, "data:"):
					return bad("has a script or data URL in %s, which is not allowed", a.Name.Local)
				case cssReachesOut(a.Value):
					return bad("refers to something outside itself in %s, which is not allowed", a.Name.Local)
				}
			}
		case xml.ProcInst:
			if strings.ToLower(el.Target) != "xml" {
				return bad("contains a processing instruction, which is not allowed")
			}
		case xml.Directive:
			return bad("declares a DOCTYPE or entities, which are not allowed")
		}
	}
	if root {
		return fiatdashboard.Invalid("file", "upload a PNG or SVG image (the file is neither)")
	}
	return nil
}
