import { useState } from 'react'
import { Link } from 'react-router'
import { api, ApiError } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { Alert } from '../../components/forms'
import { Button } from '../../components/ui'
import type { Schema } from '../../schema'
import { money } from '../../billing'
import { Badge, Panel, useApi } from '../../components/data'
import { ChevronRightIcon } from '../../components/icons'
import { RevenueGrid, type RevenueFigures } from '../../components/revenue'
import { Card, cx } from '../../components/ui'
import { formatAmount, tierLabel, tierSummary, type Wallet } from '../../wallet'

// The tenant admin's business dashboard: this month's money, deployments, the wallet's
// runway and tier, and what needs attention (UX.md: "money, capacity and health at a glance").

export interface Overview {
  money: {
    currency: string
    month: string
    revenue_cents: number
    refunds_cents: number
    disputes_cents: number
    stripe_fees_cents: number
    platform_fees_cents: number
    net_cents: number
    previous_revenue_cents: number
    daily_revenue_cents: number[]
    disputes_90d: number
    figures: RevenueFigures
    definitions: Record<string, string>
  }
  activity: {
    by_status: Record<string, number>
    pool_nodes: number
    nodes_down: number[]
    running_on_down_nodes: number
  }
}

interface WalletAlert {
  kind?: string
  message?: string
}

type WalletWithAlert = Wallet & { alert?: WalletAlert | null }

function Kpi({
  label,
  value,
  hint,
  testId,
  tone,
}: {
  label: string
  value: string
  hint?: string
  testId: string
  tone?: 'warning'
}) {
  return (
    <Card
      className={cx('p-4 sm:p-5', tone === 'warning' && 'border-amber-300 dark:border-amber-400/40')}
      data-testid={testId}
    >
      <p className="text-xs font-semibold tracking-wide text-muted uppercase">{label}</p>
      <p className="mt-1.5 text-2xl font-bold tracking-tight text-fg tabular-nums" data-testid={`${testId}-value`}>
        {value}
      </p>
      {hint ? <p className="mt-1 text-xs leading-5 text-muted">{hint}</p> : null}
    </Card>
  )
}

/** RevenueChart draws the month's daily revenue as bars, with the day of month below. */
function RevenueChart({ daily, currency, month }: { daily: number[]; currency: string; month: string }) {
  const days = Math.max(daysInMonth(month), daily.length)
  const max = Math.max(1, ...daily)
  const w = 640
  const h = 160
  const pad = { top: 8, bottom: 2, left: 2, right: 2 }
  const slot = (w - pad.left - pad.right) / days
  const bar = Math.max(2, slot * 0.62)
  const y = (v: number) => pad.top + (h - pad.top - pad.bottom) * (1 - v / max)
  const label = new Date(month).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' })
  return (
    <figure className="px-4 pt-4 pb-3 sm:px-5" data-testid="revenue-chart">
      <svg
        viewBox={`0 0 ${w} ${h}`}
        className="h-40 w-full"
        role="img"
        aria-label={`Revenue per day in ${label}`}
        preserveAspectRatio="none"
      >
        <line x1={pad.left} x2={w - pad.right} y1={h - pad.bottom} y2={h - pad.bottom} className="stroke-border" strokeWidth={1} />
        {Array.from({ length: days }, (_, i) => {
          const v = daily[i] ?? 0
          const x = pad.left + i * slot + (slot - bar) / 2
          const top = y(v)
          return (
            <g key={i}>
              {i < daily.length ? (
                <rect
                  x={x}
                  y={v > 0 ? top : h - pad.bottom - 1}
                  width={bar}
                  height={v > 0 ? h - pad.bottom - top : 1}
                  rx={1.5}
                  className={v > 0 ? 'fill-primary' : 'fill-border'}
                >
                  <title>{`${i + 1}: ${money(v, currency)}`}</title>
                </rect>
              ) : null}
            </g>
          )
        })}
      </svg>
      <div className="mt-1 flex justify-between text-[11px] text-muted tabular-nums" aria-hidden>
        <span>1</span>
        <span>{Math.ceil(days / 2)}</span>
        <span>{days}</span>
      </div>
      <figcaption className="mt-1 text-xs text-muted">
        Revenue per day, {label}. Best day {money(daily.length ? Math.max(...daily) : 0, currency)}.
      </figcaption>
    </figure>
  )
}

/** tierRange is the tier of every contract, or "Silver–Gold" when contracts differ (one definition: by_tier). */
function tierRange(w: Wallet): string {
  const by = w.tiers.by_tier ?? []
  const best = by[0]
  const worst = by[by.length - 1]
  if (!best || !worst) return tierLabel(w.tiers.all_contracts)
  return best === worst ? tierLabel(best.package) : `${tierLabel(worst.package)}–${tierLabel(best.package)}`
}

function daysInMonth(iso: string): number {
  const d = new Date(iso)
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
}

function trend(now: number, before: number): string {
  if (before <= 0) return now > 0 ? 'First revenue since last month' : 'No revenue last month either'
  const pct = Math.round(((now - before) / before) * 100)
  return `${pct >= 0 ? '+' : ''}${pct} % on all of last month`
}

interface AlertItem {
  tone: 'danger' | 'warning'
  text: string
  to: string
  testId: string
}

function alertsOf(o: Overview | undefined, w: WalletWithAlert | undefined, walletMissing: boolean): AlertItem[] {
  const out: AlertItem[] = []
  if (walletMissing) {
    out.push({ tone: 'danger', text: 'No grid wallet yet: deployments cannot start until you add one.', to: '/admin/wallet', testId: 'alert-wallet' })
  }
  if (w?.alert?.message) {
    out.push({ tone: 'danger', text: `Wallet: ${w.alert.message}`, to: '/admin/wallet', testId: 'alert-wallet' })
  } else if (w && w.tiers.runway_days >= 0 && w.policy && w.tiers.runway_days < w.policy.min_runway_days) {
    out.push({
      tone: 'warning',
      text: `Wallet runway is ${w.tiers.runway_days} days, under your policy's ${w.policy.min_runway_days}.`,
      to: '/admin/wallet',
      testId: 'alert-runway',
    })
  }
  if (o) {
    const down = o.activity.nodes_down.length
    if (o.activity.running_on_down_nodes > 0) {
      out.push({
        tone: 'danger',
        text: `${o.activity.running_on_down_nodes} running deployment${o.activity.running_on_down_nodes === 1 ? ' is' : 's are'} on a node that is down; failover or re-provisioning is under way.`,
        to: '/admin/deployments',
        testId: 'alert-running-down',
      })
    }
    if (down > 0) {
      out.push({
        tone: 'warning',
        text: `${down} pool node${down === 1 ? ' is' : 's are'} offline (${o.activity.nodes_down.slice(0, 5).join(', ')}${down > 5 ? ', …' : ''}).`,
        to: '/admin/pool',
        testId: 'alert-nodes-down',
      })
    }
    if (o.money.disputes_90d > 0) {
      out.push({
        tone: 'danger',
        text: `${o.money.disputes_90d} payment dispute${o.money.disputes_90d === 1 ? '' : 's'} in the last 90 days.`,
        to: '/admin/billing',
        testId: 'alert-disputes',
      })
    }
  }
  return out
}

type AttentionItem = Schema<'AttentionItem'>

const attentionTitle: Record<AttentionItem['kind'], string> = {
  failed: 'Failed to start',
  stuck: 'Stuck before running',
  payment_failed: 'Payment failed',
  suspended: 'Suspended (renewal unpaid)',
}

/** AttentionRow is one deployment that needs the admin, with the actions that apply to it. */
function AttentionRow({
  item,
  busy,
  onAction,
}: {
  item: AttentionItem
  busy: string
  onAction: (item: AttentionItem, action: 'retry' | 'refund' | 'dismiss') => void
}) {
  const has = (a: 'retry' | 'refund' | 'dismiss') => item.actions.includes(a)
  return (
    <li className="flex flex-col gap-1.5 px-4 py-3 sm:px-5" data-testid="attention-item" data-kind={item.kind} data-name={item.name}>
      <div className="flex min-w-0 flex-wrap items-center gap-2">
        <Badge tone={item.kind === 'stuck' || item.kind === 'failed' ? 'danger' : 'warning'} dot>
          {attentionTitle[item.kind]}
        </Badge>
        <Link to="/admin/deployments" className="truncate text-sm font-semibold text-fg hover:underline">
          {item.name}
        </Link>
      </div>
      <p className="truncate text-xs text-muted" title={item.customer_email}>
        {item.customer_email}
      </p>
      <p className="text-sm leading-6 text-fg">{item.message}</p>
      <div className="flex flex-wrap gap-2 pt-0.5">
        {has('retry') ? (
          <Button size="sm" variant="secondary" busy={busy === 'retry'} onClick={() => onAction(item, 'retry')} data-testid="attention-retry">
            Retry
          </Button>
        ) : null}
        {has('refund') ? (
          <Button size="sm" variant="secondary" busy={busy === 'refund'} onClick={() => onAction(item, 'refund')} data-testid="attention-refund">
            Refund {money(item.refundable_cents, item.currency)}
          </Button>
        ) : null}
        {has('dismiss') ? (
          <Button size="sm" variant="ghost" busy={busy === 'dismiss'} onClick={() => onAction(item, 'dismiss')} data-testid="attention-dismiss">
            Dismiss
          </Button>
        ) : null}
      </div>
    </li>
  )
}

const handledNotice: Record<'retry' | 'refund' | 'dismiss', (i: AttentionItem) => string> = {
  retry: (i) => `${i.name} is queued again; it picks up where the last attempt stopped.`,
  refund: (i) => `${money(i.refundable_cents, i.currency)} is being refunded to ${i.customer_email}.`,
  dismiss: (i) => `${i.name} is dismissed.`,
}

export function BusinessDashboard() {
  const overview = useApi<Overview>('/api/admin/overview')
  const attention = useApi<{ items: AttentionItem[] }>('/api/admin/attention')
  const items = attention.data?.items ?? []
  const [busy, setBusy] = useState<{ id: string; action: string }>({ id: '', action: '' })
  const [refunding, setRefunding] = useState<AttentionItem | null>(null)
  const [notice, setNotice] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)
  const handle = async (item: AttentionItem, action: 'retry' | 'refund' | 'dismiss') => {
    setBusy({ id: item.deployment_id, action })
    try {
      await api.post(`/api/admin/attention/${item.deployment_id}`, { action })
      setNotice({ tone: 'success', text: handledNotice[action](item) })
    } catch (e) {
      setNotice({ tone: 'error', text: e instanceof Error ? e.message : String(e) })
    } finally {
      setBusy({ id: '', action: '' })
      attention.reload()
      overview.reload()
    }
  }
  const onAction = (item: AttentionItem, action: 'retry' | 'refund' | 'dismiss') =>
    action === 'refund' ? setRefunding(item) : void handle(item, action)
  const wallet = useApi<WalletWithAlert>('/api/admin/wallet')
  const o = overview.data
  const w = wallet.data
  const walletMissing = wallet.error instanceof ApiError && wallet.error.status === 404
  const active = o ? (o.activity.by_status['running'] ?? 0) + (o.activity.by_status['provisioning'] ?? 0) : 0
  const alerts = alertsOf(o, w, walletMissing)
  const m = o?.money

  return (
    <div className="space-y-6" data-testid="business-dashboard">
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 sm:gap-4">
        <Kpi
          label="Gross this month"
          testId="kpi-revenue"
          value={m ? money(m.revenue_cents, m.currency) : '…'}
          hint={m ? trend(m.revenue_cents, m.previous_revenue_cents) : undefined}
        />
        <Kpi
          label="Net this month"
          testId="kpi-net"
          value={m ? money(m.net_cents, m.currency) : '…'}
          hint={m ? m.definitions.net : undefined}
        />
        <Kpi
          label="Active deployments"
          testId="kpi-deployments"
          value={o ? String(active) : '…'}
          hint={o ? `${o.activity.by_status['failed'] ?? 0} failed, ${o.activity.by_status['awaiting_payment'] ?? 0} awaiting payment` : undefined}
        />
        <Kpi
          label="Pool nodes"
          testId="kpi-nodes"
          tone={o && o.activity.nodes_down.length > 0 ? 'warning' : undefined}
          value={o ? `${o.activity.pool_nodes - o.activity.nodes_down.length} up` : '…'}
          hint={
            o
              ? o.activity.nodes_down.length
                ? `${o.activity.nodes_down.length} of ${o.activity.pool_nodes} offline`
                : `All ${o.activity.pool_nodes} online`
              : undefined
          }
        />
        <Kpi
          label="Wallet runway"
          testId="kpi-runway"
          tone={w && w.policy && w.tiers.runway_days >= 0 && w.tiers.runway_days < w.policy.min_runway_days ? 'warning' : undefined}
          value={w ? (w.tiers.runway_days < 0 ? 'No burn' : `${w.tiers.runway_days} days`) : walletMissing ? 'No wallet' : '…'}
          hint={w ? `${formatAmount(w.tiers.burn_month_tft)} TFT a month` : undefined}
        />
        <Kpi
          label="Discount tier"
          testId="kpi-tier"
          value={w ? tierRange(w) : walletMissing ? '—' : '…'}
          hint={
            w
              ? [tierSummary(w.tiers.by_tier ?? []), w.tiers.next ? `${tierLabel(w.tiers.next)} with ${formatAmount(w.tiers.more_for_next_tft)} TFT more.` : '']
                  .filter(Boolean)
                  .join(' ')
              : undefined
          }
        />
      </div>

      {m ? (
        <Panel title="Money this month" description="From the ledger; the billing page and the platform console show the same figures." data-testid="overview-figures">
          <RevenueGrid figures={m.figures} definitions={m.definitions} />
        </Panel>
      ) : null}

      <div className="grid gap-6 lg:grid-cols-5">
        <Panel title="Gross by day" description="Gross this month, by day (refunds not deducted)." className="lg:col-span-3">
          {m ? <RevenueChart daily={m.daily_revenue_cents} currency={m.currency} month={m.month} /> : <div className="h-48" />}
        </Panel>
        <Panel
          title="Needs attention"
          description={
            alerts.length + items.length ? `${alerts.length + items.length} item${alerts.length + items.length === 1 ? '' : 's'}` : undefined
          }
          className="lg:col-span-2"
          data-testid="overview-alerts"
        >
          {notice ? (
            <div className="px-4 pt-3 sm:px-5">
              <Alert tone={notice.tone} data-testid="attention-notice">
                {notice.text}
              </Alert>
            </div>
          ) : null}
          {items.length ? (
            <ul className="divide-y divide-border border-b border-border" data-testid="attention-items">
              {items.map((i) => (
                <AttentionRow key={i.deployment_id} item={i} busy={busy.id === i.deployment_id ? busy.action : ''} onAction={onAction} />
              ))}
            </ul>
          ) : null}
          {alerts.length ? (
            <ul className="divide-y divide-border">
              {alerts.map((a) => (
                <li key={a.testId}>
                  <Link to={a.to} className="group flex items-start gap-3 px-4 py-3 hover:bg-primary/[0.03] sm:px-5" data-testid={a.testId}>
                    <Badge tone={a.tone} dot>
                      {a.tone === 'danger' ? 'Act' : 'Check'}
                    </Badge>
                    <span className="min-w-0 flex-1 text-sm text-fg">{a.text}</span>
                    <ChevronRightIcon className="mt-0.5 size-4 shrink-0 text-muted" />
                  </Link>
                </li>
              ))}
            </ul>
          ) : items.length ? null : (
            <p className="px-4 py-6 text-sm text-muted sm:px-5" data-testid="attention-empty">
              Wallet, nodes, deployments and payments are all in order.
            </p>
          )}
        </Panel>
        <ConfirmDialog
          open={!!refunding}
          onClose={() => setRefunding(null)}
          title={`Refund ${refunding ? money(refunding.refundable_cents, refunding.currency) : ''} to ${refunding?.customer_email ?? ''}?`}
          confirmLabel="Refund"
          testId="attention-refund-dialog"
          onConfirm={async () => {
            if (refunding) await handle(refunding, 'refund')
            setRefunding(null)
          }}
        >
          <p>
            What is left of the payment for {refunding?.name} goes back to the customer’s card, and the platform fee is returned in
            proportion. This cannot be undone.
          </p>
        </ConfirmDialog>
      </div>
    </div>
  )
}
