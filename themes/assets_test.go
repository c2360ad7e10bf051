package themes_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/themes"
)

func TestValidateImage(t *testing.T) {
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 32, 32)))
	logo := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs><circle cx="12" cy="12" r="10" fill="url(#g)"/><use href="#g"/></svg>`
	tests := []struct {
		name, data, wantType, wantMsg string
	}{
		{"png", pngBuf.String(), "image/png", ""},
		{"clean svg", logo, "image/svg+xml", ""},
		{"script element", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "", "<script>"},
		{"event handler", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>`, "", "event handler"},
		{"external href", `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://evil.example/x.svg#a"/></svg>`, "", "outside itself"},
		{"external image", `<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>`, "", "<image>"},
		{"foreignObject", `<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>`, "", "<foreignObject>"},
		{"style with external url", `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/a)"/></svg>`, "", "outside itself"},
		// Any url( that leaves the document, however CSS spells it.
		{"url after a local one", `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(#g);stroke:url(https://evil.example/a)"/></svg>`, "", "outside itself"},
		{"css hex escape", `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:u\72l(https://evil.example/a)"/></svg>`, "", "outside itself"},
		{"css long escape", `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:\000075rl(//evil.example/a)"/></svg>`, "", "outside itself"},
		{"css char escape", `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:\u\r\l(//evil.example/a)"/></svg>`, "", "outside itself"},
		{"comment before paren", `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url/**/(//evil.example/a)"/></svg>`, "", "outside itself"},
		{"upper case", `<svg xmlns="http://www.w3.org/2000/svg"><rect fill="URL('//evil.example/a')"/></svg>`, "", "outside itself"},
		{"image-set", `<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:image-set('//evil.example/a' 1x)"/></svg>`, "", "outside itself"},
		{"quoted local ref", `<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"/></defs><rect fill="url( '#g' )"/></svg>`, "image/svg+xml", ""},
		{"entity expansion", `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>`, "", "DOCTYPE"},
		{"html, not svg", `<html><body>hi</body></html>`, "", "PNG or SVG"},
		{"too big", "<svg>" + strings.Repeat(" ", themes.MaxAssetBytes) + "</svg>", "", "256 KB"},
		{"empty", "", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := themes.ValidateImage([]byte(tt.data))
			if tt.wantMsg == "" {
				if err != nil || got != tt.wantType {
					t.Fatalf("ValidateImage = %q, %v; want %s", got, err, tt.wantType)
				}
				return
			}
			e, ok := err.(*fiatdashboard.Error)
			if !ok || e.Field != "file" || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("err = %v, want EINVALID on field file mentioning %q", err, tt.wantMsg)
			}
		})
	}
}
