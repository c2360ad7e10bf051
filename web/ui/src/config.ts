// The server injects a <script id="fd-config" type="application/json"> into <head> for
// every page it serves (see web/dist/index.html and ARCHITECTURE.md §8), so the first
// paint already knows which storefront or console it belongs to. This module reads it
// once and falls back to a neutral storefront when the page was served without it
// (for example by `vite dev`).

export type Realm = 'tenant' | 'platform'
export type StripeMode = 'mock' | 'live'

export interface TenantBrand {
  slug: string
  name: string
  pitch: string
  logo_url: string
}

export interface FdConfig {
  realm: Realm
  tenant: TenantBrand
  stripe_mode: StripeMode
  version: string
}

const defaultTenant: TenantBrand = {
  slug: '',
  name: 'Cloud',
  pitch: 'Virtual machines in minutes, billed monthly by card.',
  logo_url: '',
}

const defaultConsole: TenantBrand = {
  slug: '',
  name: 'Platform console',
  pitch: '',
  logo_url: '',
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback
}

/** parseConfig turns untrusted JSON text into a complete FdConfig; it never throws. */
export function parseConfig(text: string | null | undefined, devRealm?: string | null): FdConfig {
  let raw: Record<string, unknown> = {}
  if (text) {
    try {
      const parsed: unknown = JSON.parse(text)
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        raw = parsed as Record<string, unknown>
      }
    } catch {
      // A malformed config must not blank the page; use the defaults.
    }
  }

  let realm: Realm = raw.realm === 'platform' ? 'platform' : 'tenant'
  if (devRealm === 'platform' || devRealm === 'tenant') realm = devRealm

  const base = realm === 'platform' ? defaultConsole : defaultTenant
  const t =
    raw.tenant && typeof raw.tenant === 'object' ? (raw.tenant as Record<string, unknown>) : {}
  const name = str(t.name, '').trim() || base.name

  return {
    realm,
    tenant: {
      slug: str(t.slug, base.slug),
      name,
      pitch: str(t.pitch, base.pitch).trim(),
      logo_url: str(t.logo_url, base.logo_url).trim(),
    },
    stripe_mode: raw.stripe_mode === 'live' ? 'live' : 'mock',
    version: str(raw.version, 'dev'),
  }
}

function readConfig(): FdConfig {
  if (typeof document === 'undefined') return parseConfig(null)
  const el = document.getElementById('fd-config')
  // Only the dev server may switch realms from the URL (?realm=platform), so the
  // console shell can be previewed without the Go server.
  const devRealm = import.meta.env.DEV
    ? new URLSearchParams(window.location.search).get('realm')
    : null
  return parseConfig(el?.textContent, devRealm)
}

export const config: FdConfig = readConfig()

export const isStorefront = config.realm === 'tenant'
export const isTestMode = config.stripe_mode === 'mock'
