package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"html"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fiatdashboard/fiatdashboard"
	"github.com/fiatdashboard/fiatdashboard/tenant"
)

// dist is the UI built by `make ui` (web/ui → web/dist). It holds only
// .gitkeep until then, and the server says how to build it.
//
//go:embed all:dist
var dist embed.FS

// headMarker in web/ui/index.html is replaced by the tenant's title, theme
// variables and site config.
const headMarker = "<!--fd:head-->"

var indexHTML = func() []byte {
	b, err := fs.ReadFile(dist, "dist/index.html")
	if err != nil {
		return nil
	}
	return b
}()

// ui serves the single-page app: built assets as they are, every other path
// as the branded index.html.
func (s *Server) ui(c *fiber.Ctx) error {
	p := c.Path()
	if isAPI(p) {
		return fiatdashboard.Errorf(fiatdashboard.ENOTFOUND, "no such endpoint: %s %s", c.Method(), p)
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return fiber.NewError(fiber.StatusMethodNotAllowed, "method not allowed")
	}
	if ext := path.Ext(p); ext != "" && p != "/index.html" {
		b, err := fs.ReadFile(dist, "dist"+path.Clean(p))
		if err != nil {
			return c.Status(fiber.StatusNotFound).Type("txt").SendString("not found")
		}
		if strings.HasPrefix(p, "/assets/") { // names carry a content hash
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		}
		ctype := mime.TypeByExtension(ext)
		if ext == ".woff2" { // not in Go's built-in table; /etc/mime.types may lack it
			ctype = "font/woff2"
		}
		c.Set(fiber.HeaderContentType, ctype)
		return c.Send(b)
	}

	info := s.siteInfo(c)
	site := siteOf(c)
	if site.Tenant != nil {
		switch site.Tenant.Status {
		case tenant.StatusPending:
			return c.Status(fiber.StatusNotFound).Type("html").SendString(unknownHostPage)
		case tenant.StatusSuspended:
			return c.Status(fiber.StatusServiceUnavailable).Type("html").SendString(maintenancePage(info))
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if indexHTML == nil {
		return c.Type("html").SendString(notBuiltPage)
	}
	return c.Type("html").Send(renderIndex(indexHTML, info))
}

// renderIndex puts the tenant's name, theme and site config into the page head.
func renderIndex(index []byte, info SiteInfo) []byte {
	cfg, _ := json.Marshal(info) // Go escapes <, > and & in JSON strings
	var head bytes.Buffer
	head.WriteString("<title>")
	head.WriteString(html.EscapeString(info.Tenant.Name))
	head.WriteString(`</title>`)
	if info.Tenant.FaviconURL != "" { // a validated /branding/favicon?v=… path
		head.WriteString(`<link rel="icon" href="` + html.EscapeString(info.Tenant.FaviconURL) + `">`)
	}
	head.WriteString(`<style id="fd-theme">`)
	head.WriteString(info.theme.CSS()) // validated tokens only
	head.WriteString(`</style><script id="fd-config" type="application/json">`)
	head.Write(cfg)
	head.WriteString(`</script>`)
	return bytes.Replace(index, []byte(headMarker), head.Bytes(), 1)
}

func maintenancePage(info SiteInfo) string {
	name := html.EscapeString(info.Tenant.Name)
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>` + name + `</title>
<style>` + info.theme.CSS() + `body{font-family:var(--fd-font);background:var(--fd-bg);color:var(--fd-text);display:grid;place-items:center;min-height:100vh;margin:0}main{text-align:center;padding:2rem}h1{font-size:1.5rem;margin:0 0 .5rem}p{color:var(--fd-muted)}</style></head>
<body><main><h1>` + name + ` is down for maintenance</h1><p>New orders are paused. Running servers are not affected.</p></main></body></html>`
}

const notBuiltPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>UI not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#0f172a}code{background:#f1f5f9;padding:.1rem .3rem;border-radius:.25rem}</style></head>
<body><h1>The UI is not built into this binary</h1><p>Build it with <code>make ui</code> (or <code>make build</code>), then rebuild the binary. The API under <code>/api</code> works without it.</p></body></html>`
