// The server injects a <script id="fd-config" type="application/json"> into <head> for
// every page it serves (see web/dist/index.html and ARCHITECTURE.md §8), so the first
// paint already knows which storefront or console it belongs to. This module reads it
// once and falls back to a neutral storefront when the page was served without it
// (for example by `vite dev`).

import { useSyncExternalStore } from 'react'

export type Realm = 'tenant' | 'platform'
export type StripeMode = 'mock' | 'live'

export interface TenantBrand {
  slug: string
  name: string
  pitch: string
  /** A /branding/logo?v=… path on this host, or empty for the monogram. */
  logo_url: string
  favicon_url: string
  /** The theme's default colour scheme. */
  mode: 'light' | 'dark'
  /** pending | active | suspended (a suspended storefront is answered by the maintenance page). */
  status: string
}

export interface FdConfig {
  realm: Realm
  tenant: TenantBrand
  stripe_mode: StripeMode
  /** Live mode: the platform's publishable key for Stripe.js (empty until the server provides it). */
  stripe_publishable_key: string
  version: string
  /** Console only: the domain under which storefronts are slug hosts. */
  base_domain?: string
}

const defaultTenant: TenantBrand = {
  slug: '',
  name: 'Cloud',
  pitch: 'Virtual machines in minutes, billed monthly by card.',
  logo_url: '',
  favicon_url: '',
  mode: 'light',
  status: 'active',
}

const defaultConsole: TenantBrand = {
  slug: '',
  name: 'Platform console',
  pitch: '',
  logo_url: '',
  favicon_url: '',
  mode: 'light',
  status: 'active',
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
      favicon_url: str(t.favicon_url, base.favicon_url).trim(),
      mode: t.mode === 'dark' ? 'dark' : 'light',
      status: str(t.status, base.status),
    },
    stripe_mode: raw.stripe_mode === 'live' ? 'live' : 'mock',
    stripe_publishable_key: str(raw.stripe_publishable_key, '').trim(),
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

/** setModeAttribute tells CSS (the dark: variant) whether the theme is light or dark. */
export function setModeAttribute(mode: 'light' | 'dark') {
  if (typeof document !== 'undefined') document.documentElement.dataset.fdMode = mode
}

setModeAttribute(config.tenant.mode)

export const isStorefront = config.realm === 'tenant'
export const isTestMode = config.stripe_mode === 'mock'

// ——— The brand as shown right now ———
// The admin branding page changes the name and logo without a reload; the header,
// footer and sign-in pages read them from here instead of the first-paint config.

let brand: TenantBrand = config.tenant
const brandListeners = new Set<() => void>()

export function updateBrand(patch: Partial<TenantBrand>) {
  brand = { ...brand, ...patch }
  if (patch.mode) setModeAttribute(patch.mode)
  for (const l of brandListeners) l()
}

export function useBrand(): TenantBrand {
  return useSyncExternalStore(
    (l) => {
      brandListeners.add(l)
      return () => brandListeners.delete(l)
    },
    () => brand,
  )
}
