// Shapes of the treasury API (GET/PUT /api/admin/wallet, GET /api/admin/wallet/history,
// PUT /api/admin/wallet/policy, POST /api/admin/wallet/topups) and the helpers the wallet
// page uses: TFT formatting, the staking tiers, and where a top-up stands in its six steps.
//
// Amounts arrive as decimal strings with 7 decimals ("1215.0000000"); the tier report,
// runway and what a top-up buys are computed by the server, never here.

export type DiscountPackage = 'none' | 'default' | 'bronze' | 'silver' | 'gold'

export interface ContractTier {
  contract_id: number
  monthly_list_tft: string
  package: DiscountPackage
  pct: number
  /** What the contract costs a month after the discount. */
  monthly_tft: string
}

/** How many running contracts are at one tier (best tier first in by_tier). */
export interface TierCount {
  package: DiscountPackage
  pct: number
  contracts: number
}

export interface TierReport {
  balance_tft: string
  contracts: ContractTier[]
  /** Contracts per tier, from the same per-contract tiers as the table, best first. */
  by_tier: TierCount[]
  /** The tier every contract reaches (the most expensive contract binds). */
  all_contracts: DiscountPackage
  /** The next tier for all contracts; absent at Gold or without contracts. */
  next?: DiscountPackage
  more_for_next_tft?: string
  burn_month_tft: string
  /** -1: nothing burns. */
  runway_days: number
}

export interface Policy {
  enabled: boolean
  min_runway_days: number
  target_tier: DiscountPackage
  max_per_topup_tft: string
  max_per_month_tft: string
  slippage_bps: number
}

export type TopupState = 'planned' | 'quoted' | 'swapped' | 'bridged' | 'minted' | 'reconciled' | 'failed'

export interface Topup {
  id: string
  state: TopupState
  reason: string
  amount_tft: string
  quote_usdc: string
  alert: string
  error: string
  /** Where a failed top-up stopped: the state it did not reach. */
  failed_step?: Exclude<TopupState, 'planned' | 'failed'>
  failed_at?: string
  created_at: string
  updated_at: string
}

export type AlertReason = 'topup_failed' | 'mint_overdue' | 'runway_low'

/** The tenant's treasury incident, open until the wallet is healthy again. */
export interface WalletAlert {
  state: 'open'
  reason: AlertReason
  message: string
  runway_days: number | null
  opened_at: string
  /** When the owners and admins were e-mailed (once per incident). */
  notified_at: string | null
}

/** One day of the wallet's history: the day's last snapshot. */
export interface HistoryPoint {
  day: string
  balance_tft: string
  burn_month_tft: string
  runway_days: number | null
}

export interface WalletHistory {
  days: number
  items: HistoryPoint[]
}

export interface Wallet {
  twin_id: number
  stellar_account: string
  tft_balance: string
  kyc_verified: boolean
  /** Empty when the Stellar account could not be read (not funded yet, Horizon down). */
  stellar_usdc: string
  stellar_tft: string
  tiers: TierReport
  policy: Policy | null
  topups: Topup[] | null
  alert: WalletAlert | null
}

/** The twin is derived from the mnemonic on the server; a replacement needs a fresh TOTP code. */
export interface WalletInput {
  mnemonic: string
  stellar_secret: string
  totp_code?: string
}

// ——— Tiers ———

export const tierOrder: DiscountPackage[] = ['none', 'default', 'bronze', 'silver', 'gold']

export const tierInfo: Record<DiscountPackage, { label: string; pct: number; months: number }> = {
  none: { label: 'None', pct: 0, months: 0 },
  default: { label: 'Default', pct: 20, months: 1.5 },
  bronze: { label: 'Bronze', pct: 30, months: 3 },
  silver: { label: 'Silver', pct: 40, months: 6 },
  gold: { label: 'Gold', pct: 60, months: 18 },
}

/** tierSummary says what tier each contract is at, in one sentence, from by_tier. */
export function tierSummary(by: TierCount[]): string {
  const withDiscount = by.filter((b) => b.package !== 'none')
  if (!by.length) return ''
  if (!withDiscount.length) return 'No contract gets a discount yet.'
  const only = by.length === 1 ? by[0] : undefined
  if (only) return `Every contract is at ${tierLabel(only.package)} (${only.pct}% off) now.`
  const parts = by.map(
    (b, i) =>
      `${i === 0 ? `${b.contracts} contract${b.contracts === 1 ? '' : 's'}` : b.contracts} ${b.package === 'none' ? 'without a discount' : `at ${tierLabel(b.package)} (${b.pct}% off)`}`,
  )
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]} now.`
}

export function tierLabel(p: string | undefined): string {
  return p && p in tierInfo ? tierInfo[p as DiscountPackage].label : p || 'None'
}

// ——— Amounts ———

/** tftNumber reads a 7-decimal amount for display and comparisons (never for sums sent back). */
export function tftNumber(v: string | undefined | null): number {
  const n = Number(v)
  return v && Number.isFinite(n) ? n : 0
}

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const two = new Intl.NumberFormat('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 2 })
const small = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 })

/** formatAmount shows "1,215", "12.5" or "0.00405"; "—" for an unknown amount. */
export function formatAmount(v: string | undefined | null): string {
  if (v === undefined || v === null || v === '') return '—'
  const n = Number(v)
  if (!Number.isFinite(n)) return v
  const a = Math.abs(n)
  if (a === 0) return '0'
  if (a >= 10_000) return whole.format(n)
  if (a >= 0.01) return two.format(n)
  return small.format(n)
}

/** trimAmount turns "2000.0000000" into "2000" for an input's initial value. */
export function trimAmount(v: string | undefined): string {
  if (!v) return ''
  return v.includes('.') ? v.replace(/\.?0+$/, '') : v
}

// ——— Top-up steps ———

export const topupSteps: { state: Exclude<TopupState, 'failed'>; label: string; done: string; doing: string }[] = [
  { state: 'planned', label: 'Planned', done: 'Amount set by the policy', doing: 'Planning' },
  { state: 'quoted', label: 'Quoted', done: 'Priced on the Stellar order book', doing: 'Asking the Stellar order book for a price' },
  { state: 'swapped', label: 'Swapped', done: 'USDC → TFT on Stellar', doing: 'Swapping USDC for TFT on Stellar' },
  { state: 'bridged', label: 'Bridged', done: 'Sent to the TFChain bridge', doing: 'Sending the TFT to the TFChain bridge' },
  { state: 'minted', label: 'Minted', done: 'Arrived on TFChain', doing: 'Waiting for the bridge to mint the TFT on TFChain' },
  { state: 'reconciled', label: 'Reconciled', done: 'Fees posted to the ledger', doing: 'Posting the cost and fees to the ledger' },
]

export type StepState = 'done' | 'active' | 'pending' | 'failed'

/** underWay: the top-up still has steps to run. */
export function underWay(t: Topup): boolean {
  return t.state !== 'reconciled' && t.state !== 'failed'
}

/** stepNames names a step as a sentence does: "the swap". */
export const stepNames: Record<Exclude<TopupState, 'planned' | 'failed'>, string> = {
  quoted: 'quote',
  swapped: 'swap',
  bridged: 'bridge deposit',
  minted: 'mint',
  reconciled: 'ledger posting',
}

/**
 * stepStates places a top-up on its six steps. Its state names the last step done; a
 * failed top-up names the step it stopped at (older ones do not: the quote tells, without
 * one it failed while quoting, with one at the swap).
 */
export function stepStates(t: Topup): StepState[] {
  if (t.state === 'failed') {
    const at = t.failed_step ? topupSteps.findIndex((s) => s.state === t.failed_step) : -1
    const stopped = at > 0 ? at : tftNumber(t.quote_usdc) > 0 ? 2 : 1
    return topupSteps.map((_, i) => (i < stopped ? 'done' : i === stopped ? 'failed' : 'pending'))
  }
  const reached = topupSteps.findIndex((s) => s.state === t.state)
  return topupSteps.map((_, i) => (i <= reached ? 'done' : i === reached + 1 ? 'active' : 'pending'))
}
