import { config } from './config'

// Shapes of the tenancy API (tenants, settings, domains, applications) shared by the
// storefront admin pages and the console, with the labels the UI shows for them.

export type TenantKind = 'operator' | 'coop'
export type TenantStatus = 'pending' | 'active' | 'suspended'

export interface TenantRecord {
  id: string
  slug: string
  name: string
  kind: TenantKind
  status: TenantStatus
  pitch: string
  base_currency: string
  support_email: string
  legal_name: string
  /** The seller's address on invoices (up to 6 lines). */
  legal_address?: string
  /** The seller's VAT or tax number on invoices. */
  tax_id?: string
  /** What a customer who cancels gets back for the unused time: a refund to the card, or account credit. */
  on_cancel?: 'credit' | 'refund'
  suspended_reason?: string
  platform_fee_bps: number | null
  platform_fee_fixed_cents: number | null
  created_at: string
}

export interface ConsoleTenant extends TenantRecord {
  domains: number
  /** Live servers: provisioning, running or suspended. */
  deployments: number
  /** Paid this calendar month less refunds, in cents of base_currency. */
  revenue_month_cents: number
  /** This month's net and platform fees, as the tenant's own overview defines them. */
  net_month_cents?: number
  platform_fees_month_cents?: number
  /** healthy, payouts pending, onboarding, not connected; a co-op: platform account. */
  stripe_health: string
  /** The treasury's word for the grid wallet: not set up, healthy, low runway or failing. */
  wallet_health: string
  /** Why, in a sentence. */
  wallet_note?: string
}

export interface Domain {
  id: string
  domain: string
  status: 'pending' | 'verified'
  txt_name: string
  txt_value: string
  cname_target: string
  verified_at: string | null
  last_checked_at: string | null
  last_error: string
  created_at: string
  /** The tenant's name, in the console's overview. */
  tenant?: string
}

export interface Application {
  id: string
  kind: TenantKind
  slug: string
  name: string
  contact_email: string
  message: string
  status: 'pending' | 'approved' | 'rejected'
  reason: string
  tenant_id?: string
  decided_at: string | null
  created_at: string
}

export const kindLabels: Record<string, string> = {
  operator: 'Operator',
  coop: 'Co-op',
}

export const statusLabels: Record<string, string> = {
  pending: 'Pending',
  active: 'Active',
  suspended: 'Suspended',
  verified: 'Verified',
  approved: 'Approved',
  rejected: 'Rejected',
}

export type Tone = 'neutral' | 'success' | 'warning' | 'danger' | 'primary'

export function statusTone(status: string): Tone {
  switch (status) {
    case 'active':
    case 'verified':
    case 'approved':
      return 'success'
    case 'pending':
      return 'warning'
    case 'suspended':
    case 'rejected':
      return 'danger'
    default:
      return 'neutral'
  }
}

export const currencies: Array<{ code: string; label: string }> = [
  { code: 'usd', label: 'US dollar (USD)' },
  { code: 'eur', label: 'Euro (EUR)' },
  { code: 'gbp', label: 'British pound (GBP)' },
  { code: 'chf', label: 'Swiss franc (CHF)' },
  { code: 'cad', label: 'Canadian dollar (CAD)' },
  { code: 'aud', label: 'Australian dollar (AUD)' },
]

/**
 * baseHost is the storefronts' parent host as the console links to them: the server's
 * FD_BASE_DOMAIN (sent in the page's config) with the port this page was served on, or —
 * when the page came without it (vite dev) — a guess from the console's own host
 * (console.example.com → example.com).
 */
export function baseHost(consoleHost: string = typeof window === 'undefined' ? '' : window.location.host): string {
  if (config.base_domain) {
    const colon = consoleHost.lastIndexOf(':')
    const port = colon > 0 && !consoleHost.endsWith(']') ? consoleHost.slice(colon) : ''
    return config.base_domain + port
  }
  const dot = consoleHost.indexOf('.')
  return dot > 0 ? consoleHost.slice(dot + 1) : consoleHost
}

/** storefrontURL is the address of a tenant's storefront, seen from the console. */
export function storefrontURL(slug: string): string {
  const proto = typeof window === 'undefined' ? 'https:' : window.location.protocol
  return `${proto}//${slug}.${baseHost()}/`
}

/** slugify proposes a storefront address from a name: "Nordic Nodes AB" → "nordic-nodes-ab". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '')
}
