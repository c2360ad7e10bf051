// Shapes of the payments API (catalog, quotes, cards, orders, admin billing and pricing)
// and the helpers every payments page shares: money formatting in the storefront's
// currency, the debounced live quote, checkout keys and order polling.
//
// Prices are never computed here: the server's /api/quote is the only source of a price.

import { useEffect, useRef, useState } from 'react'
import { api, ApiError, isApiError } from './api'
import type { Schema } from './schema'

// ——— Shapes ———

export interface Size {
  id: string
  name: string
  cpu: number
  ram_gb: number
  disk_gb: number
  /** Admin pricing only: the monthly price in fixed mode (minor units). */
  fixed_cents?: number
  /** Catalog only: the monthly list price (minor units). */
  monthly_cents?: number
}

export type TierKind = 'prepaid_months' | 'active_deployments'

export interface DiscountTier {
  id?: string
  kind: TierKind
  threshold: number
  pct_bps: number
}

export type Catalog = Schema<'Catalog'>

export interface QuoteInput {
  /** A size preset or custom; an app's quote has none (its form decides the plan). */
  size?: string
  /** A one-click app (kubernetes, nextcloud, openwebui, livekit) and its form's values. */
  app?: string
  app_config?: Record<string, string | number | boolean>
  cpu?: number
  ram_gb?: number
  disk_gb?: number
  ipv4?: boolean
  months?: number
  coupon?: string
  /** none, vm (a standby VM) or qsfs (a QSFS swarm): priced on its own line. */
  backup?: 'none' | 'vm' | 'qsfs'
  /** Ordered from a co-op offer: a GPU offer rents the node whole, priced on its own line. */
  offer_id?: string
  placement?: 'default' | 'advanced'
  node_id?: number
}

/** One part of a price: per month in a quote, for the period in an order (discounts negative). */
export interface PriceLine {
  kind?: 'vm' | 'worker' | 'disk' | 'ipv4' | 'gateway' | 'standby' | 'qsfs' | 'rent' | 'discount' | 'coupon'
  label: string
  cents: number
}

export interface Breakdown {
  grid_usd_month_cents: number
  tft_month: string
  staking_discount: string
  stripe_fee_cents: number
  platform_fee_cents: number
  margin_cents: number
  /** The part of grid_usd_month_cents the backup costs on the grid. */
  backup_grid_usd_month_cents?: number
}

export interface Quote {
  currency: string
  monthly_cents: number
  months: number
  subtotal_cents: number
  discount_cents: number
  total_cents: number
  coupon?: string
  discounts: { label: string; cents: number }[]
  spec: { size: string; cpu: number; ram_gb: number; disk_gb: number; ipv4: boolean; backup?: string }
  /** The parts of monthly_cents: VM, public IPv4, standby VM, QSFS swarm. */
  lines?: PriceLine[]
  /** Staff only. */
  breakdown?: Breakdown
}

export interface SavedCard {
  id: string
  brand: string
  last4: string
  exp_month: number
  exp_year: number
  is_default: boolean
  created_at?: string
}

export interface CardList {
  items: SavedCard[]
  mode: 'mock' | 'live'
  test_cards: { id: string; label: string }[]
}

export interface SetupIntent {
  id: string
  client_secret: string
  stripe_account: string
  mode: 'mock' | 'live'
}

export type OrderStatus = 'awaiting_payment' | 'requires_action' | 'paid' | 'failed' | 'refunded'

export type Order = Schema<'Order'>

export interface ConnectStatus {
  account_id: string
  connected: boolean
  charges_enabled: boolean
  payouts_enabled: boolean
  details_submitted: boolean
  requirements: string[] | null
  mode: 'mock' | 'live'
  updated_at: string
  /** A co-op: customers are charged on the platform's account and paid out to members. */
  platform_charged?: boolean
}

export type Coupon = Schema<'Coupon'>

export interface PriceRule {
  mode: 'margin' | 'fixed'
  margin_bps: number
  ipv4_cents: number
  /** Fixed monthly add-ons for the backup options; 0: priced from grid cost under the rule. */
  standby_cents?: number
  qsfs_cents?: number
  sizes: Size[]
}

export interface Pricing {
  currency: string
  rule: PriceRule
  tiers: DiscountTier[]
  coupons?: Coupon[]
}

export interface Balance {
  account: string
  cents: number
}

// ——— Money ———

const formatters = new Map<string, Intl.NumberFormat>()

function formatter(currency: string): Intl.NumberFormat {
  const code = (currency || 'usd').toUpperCase()
  let f = formatters.get(code)
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: code })
    } catch {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' })
    }
    formatters.set(code, f)
  }
  return f
}

/** fractionDigits is how many decimals the currency's minor unit has (2 for USD, 0 for JPY). */
export function fractionDigits(currency: string): number {
  return formatter(currency).resolvedOptions().maximumFractionDigits ?? 2
}

/** money formats minor units: money(608, 'usd') → "$6.08". */
export function money(cents: number, currency: string): string {
  return formatter(currency).format(cents / 10 ** fractionDigits(currency))
}

/** perMonth: "$6.08 / month". */
export function perMonth(cents: number, currency: string): string {
  return `${money(cents, currency)} / month`
}

/** currencySymbol: "$" for usd, "€" for eur — for the prefix of a money input. */
export function currencySymbol(currency: string): string {
  const part = formatter(currency)
    .formatToParts(0)
    .find((p) => p.type === 'currency')
  return part?.value ?? currency.toUpperCase()
}

/** toMajorInput turns minor units into the text of a money input: 608 → "6.08". */
export function toMajorInput(cents: number | null | undefined, currency: string): string {
  if (cents === null || cents === undefined) return ''
  const d = fractionDigits(currency)
  const neg = cents < 0
  const abs = Math.abs(Math.trunc(cents))
  const s = String(abs).padStart(d + 1, '0')
  const whole = d ? s.slice(0, -d) : s
  const frac = d ? s.slice(-d) : ''
  return (neg ? '-' : '') + whole + (frac ? '.' + frac : '')
}

/**
 * parseMajor reads a money input ("6.08", "6,08", "6") into minor units without
 * floating-point error; NaN when it is not an amount.
 */
export function parseMajor(text: string, currency: string): number {
  const t = text.trim().replace(',', '.')
  if (!/^\d+(\.\d*)?$/.test(t)) return Number.NaN
  const d = fractionDigits(currency)
  const [whole, frac = ''] = t.split('.')
  if (frac.length > d) return Number.NaN
  return Number(whole) * 10 ** d + Number(frac.padEnd(d, '0') || '0')
}

/** pct shows basis points as a percentage: 1000 → "10 %", 1250 → "12.5 %". */
export function pct(bps: number): string {
  const n = bps / 100
  return `${Number.isInteger(n) ? n : n.toFixed(2).replace(/0$/, '')} %`
}

/** parsePct reads "12.5" into basis points (1250); NaN when it is not a number. */
export function parsePct(text: string): number {
  const t = text.trim().replace(',', '.').replace(/%$/, '').trim()
  if (!/^\d+(\.\d{0,2})?$/.test(t)) return Number.NaN
  const [whole, frac = ''] = t.split('.')
  return Number(whole) * 100 + Number(frac.padEnd(2, '0') || '0')
}

export function bpsInput(bps: number): string {
  const n = bps / 100
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0$/, '')
}

// ——— Periods and tiers ———

export const periods = [1, 3, 6, 12] as const

export function periodLabel(months: number): string {
  if (months === 1) return 'Monthly'
  if (months === 12) return '12 months'
  return `${months} months`
}

/** tierFor is the best prepaid-months tier that applies to a period, as the server picks it. */
export function tierFor(tiers: DiscountTier[] | undefined, months: number): DiscountTier | undefined {
  let best: DiscountTier | undefined
  for (const t of tiers ?? []) {
    if (t.kind === 'prepaid_months' && months >= t.threshold && (!best || t.pct_bps > best.pct_bps)) best = t
  }
  return best
}

export function specLine(s: { cpu: number; ram_gb: number; disk_gb: number }): string {
  return `${s.cpu} vCPU · ${s.ram_gb} GB RAM · ${s.disk_gb} GB disk`
}

// ——— Cards ———

export function brandLabel(brand: string): string {
  const names: Record<string, string> = {
    visa: 'Visa',
    mastercard: 'Mastercard',
    amex: 'American Express',
    discover: 'Discover',
    jcb: 'JCB',
    diners: 'Diners Club',
    unionpay: 'UnionPay',
  }
  return names[brand.toLowerCase()] ?? (brand ? brand.charAt(0).toUpperCase() + brand.slice(1) : 'Card')
}

export function cardLabel(c: Pick<SavedCard, 'brand' | 'last4'>): string {
  return `${brandLabel(c.brand)} •••• ${c.last4}`
}

export function cardExpiry(c: Pick<SavedCard, 'exp_month' | 'exp_year'>): string {
  if (!c.exp_month || !c.exp_year) return ''
  return `${String(c.exp_month).padStart(2, '0')}/${c.exp_year}`
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * waitForCard polls the saved cards until the one just added appears (the server saves
 * it when Stripe's setup_intent.succeeded webhook arrives). It resolves with the fresh
 * list, or with null when the card has not shown up within the time allowed.
 */
export async function waitForCard(
  before: string[],
  expectedId?: string,
  timeoutMs = 10_000,
): Promise<CardList | null> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const list = await api.get<CardList>('/api/cards')
    const fresh = list.items.some((c) => (expectedId ? c.id === expectedId : !before.includes(c.id)))
    if (fresh) return list
    if (Date.now() > end) return null
    await sleep(600)
  }
}

// ——— Orders ———

/** newClientKey is a random idempotency key for one checkout attempt (works without a secure context). */
export function newClientKey(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return 'co_' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export const settled = (s: OrderStatus) => s === 'paid' || s === 'failed' || s === 'refunded'

/**
 * pollOrder asks for the order until the webhook has settled it (paid or failed) or
 * it waits for the customer (requires_action, unless throughAction: the customer has
 * just authenticated), or the time is up.
 */
export async function pollOrder(
  id: string,
  opts: { timeoutMs?: number; signal?: { cancelled: boolean }; throughAction?: boolean } = {},
) {
  const end = Date.now() + (opts.timeoutMs ?? 60_000)
  let delay = 500
  for (;;) {
    const o = await api.get<Order>(`/api/orders/${encodeURIComponent(id)}`)
    if (settled(o.status) || (o.status === 'requires_action' && !opts.throughAction)) return o
    if (opts.signal?.cancelled || Date.now() > end) return o
    await sleep(delay)
    delay = Math.min(delay * 1.5, 3000)
  }
}

export const orderStatusLabels: Record<OrderStatus, string> = {
  awaiting_payment: 'Processing',
  requires_action: 'Needs authentication',
  paid: 'Paid',
  failed: 'Failed',
  refunded: 'Refunded',
}

export type StatusTone = 'neutral' | 'success' | 'warning' | 'danger' | 'primary'

export function orderStatus(o: Pick<Order, 'status' | 'refunded_cents'>): { label: string; tone: StatusTone } {
  if (o.status === 'paid' && o.refunded_cents > 0) return { label: 'Partly refunded', tone: 'warning' }
  const tone: Record<OrderStatus, StatusTone> = {
    awaiting_payment: 'primary',
    requires_action: 'warning',
    paid: 'success',
    failed: 'danger',
    refunded: 'neutral',
  }
  return { label: orderStatusLabels[o.status] ?? o.status, tone: tone[o.status] ?? 'neutral' }
}

export function receiptURL(id: string): string {
  return `/api/orders/${encodeURIComponent(id)}/receipt`
}

export const hasReceipt = (o: Pick<Order, 'paid_at'>) => !!o.paid_at

/** invoiceURL is the PDF invoice of a paid order (a download). */
export function invoiceURL(id: string): string {
  return `/api/orders/${encodeURIComponent(id)}/invoice`
}

/** invoiceLabel prints an invoice number as the invoice does: INV-000042. */
export function invoiceLabel(n: number): string {
  return `INV-${String(n).padStart(6, '0')}`
}

/** creditNoteURL is the PDF of one of an order's credit notes (a download). */
export function creditNoteURL(order: string, note: string): string {
  return `/api/orders/${encodeURIComponent(order)}/credit-notes/${encodeURIComponent(note)}`
}

// ——— The live quote ———

export interface LiveQuote {
  quote: Quote | null
  error: ApiError | null
  loading: boolean
}

/**
 * useQuote asks the server for the price of input, debounced, and keeps the last good
 * quote on screen while a new one loads. A null input clears nothing and asks nothing.
 */
export function useQuote(input: QuoteInput | null, delayMs = 250): LiveQuote {
  const key = input ? JSON.stringify(input) : ''
  const [state, setState] = useState<LiveQuote>({ quote: null, error: null, loading: !!input })
  const seq = useRef(0)

  useEffect(() => {
    if (!key) return
    const n = ++seq.current
    setState((s) => ({ ...s, loading: true }))
    const t = setTimeout(() => {
      api.post<Quote>('/api/quote', JSON.parse(key) as QuoteInput).then(
        (quote) => {
          if (n === seq.current) setState({ quote, error: null, loading: false })
        },
        (err: unknown) => {
          if (n !== seq.current) return
          setState((s) => ({
            quote: s.quote,
            error: isApiError(err) ? err : new ApiError({ status: 0, code: 'internal', message: String(err) }),
            loading: false,
          }))
        },
      )
    }, delayMs)
    return () => clearTimeout(t)
  }, [key, delayMs])

  return state
}

// ——— Live mode (Stripe.js) ———

/** stripeUnavailableMessage is shown when live card payments cannot load in the browser. */
export const stripeUnavailableMessage =
  'Card payments are being set up for this store. Please come back soon.'
