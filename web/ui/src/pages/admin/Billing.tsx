import { useEffect, useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import { api, ApiError, type Page } from '../../api'
import {
  creditNoteURL,
  hasReceipt,
  invoiceLabel,
  invoiceURL,
  money,
  orderStatus,
  parseMajor,
  periodLabel,
  receiptURL,
  toMajorInput,
  type Balance,
  type Catalog,
  type ConnectStatus,
  type Order,
} from '../../billing'
import { Dialog, DialogActions } from '../../components/Dialog'
import {
  Badge,
  DataTable,
  EmptyState,
  Loading,
  PageHeader,
  Pager,
  Panel,
  Time,
  useApi,
  usePaged,
  type Column,
} from '../../components/data'
import { Alert, ErrorPanel, FormError, SubmitButton, TextArea, TextField, useForm } from '../../components/forms'
import {
  CardIcon,
  CheckCircleIcon,
  DownloadIcon,
  ExternalLinkIcon,
  ReceiptIcon,
  TriangleAlertIcon,
} from '../../components/icons'
import { Button, buttonClass, cx, Spinner, usePageTitle } from '../../components/ui'
import { RevenueGrid, type RevenueFigures } from '../../components/revenue'
import { canManageTenant, useSession } from '../../session'

// ——— Stripe Connect ———

function Check({ ok, label }: { ok: boolean; label: string }) {
  return (
    <li className="flex items-center gap-2 text-sm">
      {ok ? (
        <CheckCircleIcon className="size-4.5 text-emerald-600 dark:text-emerald-400" />
      ) : (
        <span className="inline-block size-4.5 rounded-full border-2 border-border" aria-hidden="true" />
      )}
      <span className={ok ? 'text-fg' : 'text-muted'}>{label}</span>
      <span className="sr-only">{ok ? ': yes' : ': not yet'}</span>
    </li>
  )
}

function requirementLabel(r: string): string {
  return r.replace(/[._]/g, ' ').replace(/^\w/, (c) => c.toUpperCase())
}

function ConnectCard({ manage }: { manage: boolean }) {
  const [params, setParams] = useSearchParams()
  const back = params.get('connect')
  const status = useApi<ConnectStatus>('/api/admin/billing/connect')
  const [going, setGoing] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const { reload } = status
  const ready = !!status.data?.charges_enabled

  // Back from Stripe: its account.updated webhook may lag a little; look again a few times.
  useEffect(() => {
    if (back !== 'return' || ready) return
    let n = 0
    const t = setInterval(() => {
      n += 1
      reload()
      if (n >= 10) clearInterval(t)
    }, 2000)
    return () => clearInterval(t)
  }, [back, ready, reload])

  const onboard = async () => {
    setGoing(true)
    setError(null)
    try {
      const { url } = await api.post<{ url: string }>('/api/admin/billing/connect')
      window.location.assign(url)
    } catch (err) {
      setError(err)
      setGoing(false)
    }
  }

  const dismiss = () => {
    const next = new URLSearchParams(params)
    next.delete('connect')
    setParams(next, { replace: true })
  }

  const s = status.data
  const reqs = s?.requirements ?? []
  const label = !s?.connected ? 'Connect with Stripe' : 'Continue onboarding'

  if (s?.platform_charged) {
    // A co-op is charged on the platform's account; its members are paid their shares.
    return (
      <Panel
        title="Payments"
        description="Your customers pay the platform, which transfers each member's share to the member's own Stripe account."
        data-testid="connect-card"
        actions={
          <Badge tone="success" dot data-testid="connect-state">
            Charged by the platform
          </Badge>
        }
      >
        <div className="space-y-2 p-4 text-sm leading-6 text-muted sm:p-5" data-testid="coop-payments-model">
          <p>
            Card payments on your storefront are taken on the platform&apos;s Stripe account, so customers can pay without a
            Stripe account of yours. After the platform fee, each payment is split among your members by the revenue split
            and transferred to each member&apos;s connected account; refunds reverse the transfers in proportion.
          </p>
          <p>
            Members connect their payout accounts from the console; the split is on the{' '}
            <a className="font-medium text-primary underline" href="/admin/coop">
              co-op page
            </a>
            .
          </p>
        </div>
      </Panel>
    )
  }

  return (
    <Panel
      title="Stripe account"
      description="Customers pay into your own Stripe account; you are the merchant on their statements."
      data-testid="connect-card"
      actions={
        s ? (
          !s.connected ? (
            <Badge tone="warning" dot data-testid="connect-state">
              Not connected
            </Badge>
          ) : s.charges_enabled ? (
            <Badge tone="success" dot data-testid="connect-state">
              Taking payments
            </Badge>
          ) : (
            <Badge tone="warning" dot data-testid="connect-state">
              Onboarding incomplete
            </Badge>
          )
        ) : null
      }
    >
      <div className="space-y-4 p-4 sm:p-5">
        {back === 'return' ? (
          <Alert
            tone={ready ? 'success' : 'info'}
            data-testid="connect-return"
            action={
              <Button size="sm" variant="secondary" onClick={dismiss}>
                Dismiss
              </Button>
            }
          >
            {ready
              ? 'Welcome back: your Stripe account is connected and can take card payments.'
              : 'Welcome back from Stripe. It can take a minute for Stripe to confirm your details; this card updates by itself.'}
          </Alert>
        ) : back === 'refresh' ? (
          <Alert tone="warning" title="The onboarding link expired" data-testid="connect-refresh">
            Links to Stripe's onboarding work once and for a few minutes. {manage ? 'Continue to get a fresh one.' : ''}
          </Alert>
        ) : null}

        {status.error ? (
          <ErrorPanel error={status.error} onRetry={reload} />
        ) : !s ? (
          <Loading />
        ) : (
          <div className="flex flex-col gap-5 sm:flex-row sm:items-start sm:justify-between">
            <div className="min-w-0 space-y-3">
              {!s.connected ? (
                <p className="max-w-xl text-sm leading-6 text-muted">
                  Connect a Stripe account to take card payments. Until then, customers see prices but cannot pay. Stripe
                  asks for your business and bank details; it takes a few minutes.
                </p>
              ) : (
                <>
                  <ul className="grid gap-2 sm:grid-cols-3">
                    <Check ok={s.details_submitted} label="Details submitted" />
                    <Check ok={s.charges_enabled} label="Charges enabled" />
                    <Check ok={s.payouts_enabled} label="Payouts enabled" />
                  </ul>
                  <p className="text-xs text-muted">
                    Account <span className="font-mono">{s.account_id}</span>
                    {s.updated_at ? (
                      <>
                        {' '}
                        · updated <Time iso={s.updated_at} />
                      </>
                    ) : null}
                    {s.mode === 'mock' ? ' · test mode' : ''}
                  </p>
                </>
              )}
              {reqs.length ? (
                <div className="rounded-fd-sm border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-200">
                  <p className="flex items-center gap-2 font-semibold">
                    <TriangleAlertIcon className="size-4" />
                    Stripe still needs
                  </p>
                  <ul className="mt-1.5 list-disc space-y-0.5 pl-6" data-testid="connect-requirements">
                    {reqs.map((r) => (
                      <li key={r}>{requirementLabel(r)}</li>
                    ))}
                  </ul>
                </div>
              ) : null}
              {error ? <ErrorPanel error={error} /> : null}
            </div>
            {manage && (!s.connected || !s.charges_enabled || reqs.length > 0 || back === 'refresh') ? (
              <Button onClick={() => void onboard()} busy={going} className="shrink-0" data-testid="connect-button">
                {label}
                <ExternalLinkIcon className="size-4" />
              </Button>
            ) : null}
          </div>
        )}
      </div>
    </Panel>
  )
}

// ——— Balances ———

const balanceInfo: Record<string, { label: string; hint: string; sign: 1 | -1 }> = {
  stripe_balance: { label: 'Net to you', hint: 'On your Stripe account after fees and refunds', sign: 1 },
  revenue: { label: 'Customer payments', hint: 'Everything customers paid', sign: -1 },
  stripe_fees: { label: 'Stripe fees', hint: 'Estimated card fees', sign: 1 },
  platform_fees: { label: 'Platform fees', hint: 'Application fees on each payment', sign: 1 },
  refunds: { label: 'Refunds and credit', hint: 'Given back to customers', sign: 1 },
  disputes: { label: 'Disputes', hint: 'Held or lost in card disputes', sign: 1 },
}

function Balances({ currency }: { currency: string }) {
  const loaded = useApi<{ items: Balance[] }>('/api/admin/billing/balances')
  const rows = useMemo(() => {
    const by = new Map<string, number>()
    let credit = 0
    let members = 0
    for (const b of loaded.data?.items ?? []) {
      if (b.account.startsWith('customer_credit:')) credit += b.cents
      else if (b.account.startsWith('member_payouts:')) members += b.cents
      else by.set(b.account, b.cents)
    }
    const out = Object.entries(balanceInfo).map(([k, info]) => ({
      key: k,
      label: info.label,
      hint: info.hint,
      cents: (by.get(k) ?? 0) * info.sign || 0,
    }))
    out.push({ key: 'customer_credit', label: 'Customer credit', hint: 'Owed to customers, used before their card', cents: credit ? -credit : 0 })
    if (members) out.push({ key: 'member_payouts', label: 'Paid to members', hint: 'Shares transferred to co-op members', cents: members })
    // Any other account gets a readable name, never its internal key.
    for (const [k, v] of by)
      if (!(k in balanceInfo)) {
        const name = (k.split(':')[0] ?? k).replace(/_/g, ' ')
        out.push({ key: k, label: name.charAt(0).toUpperCase() + name.slice(1), hint: 'From the ledger', cents: v })
      }
    return out
  }, [loaded.data])

  return (
    <Panel title="Balances" description="From the ledger: every payment, fee, refund and dispute." data-testid="balances">
      {loaded.error ? (
        <div className="p-4 sm:p-5">
          <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
        </div>
      ) : !loaded.data ? (
        <Loading />
      ) : (
        <dl className="grid grid-cols-2 gap-px bg-border xl:grid-cols-4">
          {rows.map((r, i) => (
            <div
              key={r.key}
              className={cx('bg-surface px-4 py-4 sm:px-5', i === 0 && rows.length % 2 === 1 && 'col-span-2')}
              data-testid={`balance-${r.key}`}
            >
              <dt className="text-sm text-muted">{r.label}</dt>
              <dd className={cx('mt-1 text-xl font-bold tracking-tight', i === 0 ? 'text-primary' : 'text-fg')}>
                {money(r.cents, currency)}
              </dd>
              <dd className="mt-0.5 text-xs text-muted">{r.hint}</dd>
            </div>
          ))}
        </dl>
      )}
    </Panel>
  )
}

// ——— Monthly revenue ———

interface MonthBar {
  key: string
  label: string
  long: string
  cents: number
}

/** useRevenue sums paid orders (less refunds) by the month they were paid, over a year. */
function useRevenue(nonce: number) {
  const [state, setState] = useState<{ bars: MonthBar[] | null; error: unknown; partial: boolean }>({
    bars: null,
    error: null,
    partial: false,
  })

  useEffect(() => {
    let live = true
    const now = new Date()
    const start = new Date(now.getFullYear(), now.getMonth() - 11, 1)
    const keyOf = (d: Date) => `${d.getFullYear()}-${d.getMonth()}`
    const bars: MonthBar[] = []
    for (let i = 0; i < 12; i++) {
      const d = new Date(start.getFullYear(), start.getMonth() + i, 1)
      bars.push({
        key: keyOf(d),
        label: d.toLocaleDateString(undefined, { month: 'short' }),
        long: d.toLocaleDateString(undefined, { month: 'long', year: 'numeric' }),
        cents: 0,
      })
    }
    ;(async () => {
      let cursor = ''
      let partial = false
      for (let page = 0; ; page++) {
        if (page >= 10) {
          partial = true
          break
        }
        const res = await api.get<Page<Order>>(
          '/api/admin/billing/payments?limit=100' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
        )
        let older = false
        for (const o of res.items) {
          if (new Date(o.created_at) < start) older = true
          if (!o.paid_at) continue
          const bar = bars.find((b) => b.key === keyOf(new Date(o.paid_at!)))
          if (bar) bar.cents += o.amount_cents - o.refunded_cents
        }
        cursor = res.next_cursor ?? ''
        if (!cursor || older) break
      }
      if (live) setState({ bars, error: null, partial })
    })().catch((err: unknown) => live && setState({ bars: null, error: err, partial: false }))
    return () => {
      live = false
    }
  }, [nonce])

  return state
}

// ——— This month: the one definition of revenue ———

function MonthFigures({ nonce }: { nonce: number }) {
  const loaded = useApi<{ figures: RevenueFigures; definitions: Record<string, string> }>(`/api/admin/billing/revenue?n=${nonce}`)
  return (
    <Panel
      title="This month"
      description="From the ledger; the overview and the platform console show the same figures."
      data-testid="billing-figures"
    >
      {loaded.error ? (
        <div className="p-4 sm:p-5">
          <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
        </div>
      ) : !loaded.data ? (
        <Loading />
      ) : (
        <RevenueGrid figures={loaded.data.figures} definitions={loaded.data.definitions} />
      )}
    </Panel>
  )
}

function RevenueChart({ currency, nonce }: { currency: string; nonce: number }) {
  const { bars, error, partial } = useRevenue(nonce)
  const max = Math.max(1, ...(bars ?? []).map((b) => b.cents))
  const thisMonth = bars?.[bars.length - 1]
  const year = (bars ?? []).reduce((s, b) => s + b.cents, 0)
  const W = 600
  const H = 180
  const gap = 10
  const bw = (W - gap * 11) / 12

  return (
    <Panel
      title="Payments by month"
      description="Card payments received each month, less what was refunded of them (this month's figures are above)."
      data-testid="revenue-chart"
      actions={
        thisMonth ? (
          <div className="text-right text-sm">
            <span className="text-muted">12 months, less refunds </span>
            <span className="font-semibold text-fg">{money(year, currency)}</span>
          </div>
        ) : null
      }
    >
      <div className="p-4 sm:p-5">
        {error ? (
          <ErrorPanel error={error} />
        ) : !bars ? (
          <Loading />
        ) : (
          <figure>
            <svg
              viewBox={`0 0 ${W} ${H}`}
              preserveAspectRatio="none"
              className="h-44 w-full"
              role="img"
              aria-label={`Revenue per month, ${bars[0]?.long ?? ''} to ${thisMonth?.long ?? ''}`}
            >
              {[0.25, 0.5, 0.75, 1].map((f) => (
                <line
                  key={f}
                  x1={0}
                  x2={W}
                  y1={H - f * (H - 4)}
                  y2={H - f * (H - 4)}
                  stroke="var(--fd-border)"
                  strokeWidth={1}
                  vectorEffect="non-scaling-stroke"
                />
              ))}
              {bars.map((b, i) => {
                const h = b.cents > 0 ? Math.max(2, (b.cents / max) * (H - 4)) : 0
                return (
                  <rect
                    key={b.key}
                    x={i * (bw + gap)}
                    y={H - h}
                    width={bw}
                    height={h}
                    rx={3}
                    fill="var(--fd-primary)"
                    opacity={i === bars.length - 1 ? 1 : 0.7}
                  >
                    <title>{`${b.long}: ${money(b.cents, currency)}`}</title>
                  </rect>
                )
              })}
              <line x1={0} x2={W} y1={H - 0.5} y2={H - 0.5} stroke="var(--fd-border)" vectorEffect="non-scaling-stroke" />
            </svg>
            <div className="mt-2 grid grid-cols-12 gap-[1.6%] text-center text-[0.65rem] text-muted sm:text-xs" aria-hidden="true">
              {bars.map((b) => (
                <span key={b.key} className="truncate">
                  {b.label}
                </span>
              ))}
            </div>
            <figcaption className="sr-only">
              <table>
                <tbody>
                  {bars.map((b) => (
                    <tr key={b.key}>
                      <th>{b.long}</th>
                      <td>{money(b.cents, currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </figcaption>
            {partial ? (
              <p className="mt-3 text-xs text-muted">Only the latest 1,000 payments are counted. The CSV has them all.</p>
            ) : null}
          </figure>
        )}
      </div>
    </Panel>
  )
}

// ——— Payments and refunds ———

function RefundForm({ order, onClose, onDone }: { order: Order; onClose: () => void; onDone: (cents: number) => void }) {
  const form = useForm(['amount_cents', 'reason'])
  const left = order.amount_cents - order.refunded_cents
  const [amount, setAmount] = useState('')
  const [reason, setReason] = useState('')

  return (
    <form
      ref={form.formRef}
      noValidate
      onSubmit={form.submit(async () => {
        let cents = 0
        if (amount.trim()) {
          cents = parseMajor(amount, order.currency)
          if (Number.isNaN(cents) || cents <= 0)
            throw new ApiError({
              status: 400,
              code: 'invalid',
              field: 'amount_cents',
              message: `enter an amount such as ${toMajorInput(left, order.currency)}, or leave it empty to refund everything`,
            })
        }
        await api.post(`/api/admin/billing/orders/${order.id}/refund`, { amount_cents: cents, reason: reason.trim() })
        onDone(cents || left)
      })}
    >
      <div className="space-y-4">
        <p className="text-sm text-muted">
          {order.description} · paid {money(order.amount_cents, order.currency)}
          {order.refunded_cents ? `, ${money(order.refunded_cents, order.currency)} already refunded` : ''}.
        </p>
        <FormError form={form} />
        <TextField
          label={`Amount (${order.currency.toUpperCase()})`}
          name="amount_cents"
          inputMode="decimal"
          placeholder={toMajorInput(left, order.currency)}
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          hint={`Leave empty to refund everything that is left: ${money(left, order.currency)}.`}
          error={form.fieldError('amount_cents')}
          autoFocus
        />
        <TextArea
          label="Reason"
          name="reason"
          optional
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          hint="Kept in the audit log and on the refund in Stripe."
          error={form.fieldError('reason')}
          className="min-h-20"
        />
      </div>
      <DialogActions>
        <Button variant="secondary" onClick={onClose} disabled={form.busy}>
          Cancel
        </Button>
        <SubmitButton form={form} variant="danger" data-testid="refund-submit">
          Refund
        </SubmitButton>
      </DialogActions>
    </form>
  )
}

interface Dispute {
  id: string
  order_id: string | null
  amount_cents: number
  currency: string
  reason: string
  status: string
  evidence_due_by: string | null
  evidence_text: string
  submitted_at: string | null
  created_at: string
}

/**
 * Disputes (chargebacks) of the storefront's payments. Tenants' Express accounts have no
 * full Stripe Dashboard, so disputes are seen and answered here (docs/stripe-connect.md).
 */
function Disputes({ manage }: { manage: boolean }) {
  const loaded = useApi<{ items: Dispute[] }>('/api/admin/billing/disputes')
  const [answering, setAnswering] = useState<Dispute | null>(null)
  const items = loaded.data?.items ?? []
  if (loaded.error) return <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
  if (!items.length) return null
  const open = (d: Dispute) => !d.submitted_at && d.status !== 'won' && d.status !== 'lost'
  return (
    <Panel
      title="Disputes"
      description="A customer asked their bank to reverse a payment. Stripe holds the amount and its dispute fee until the bank decides; answer with your evidence before the deadline."
      data-testid="disputes"
    >
      <ul className="divide-y divide-border">
        {items.map((d) => (
          <li key={d.id} className="flex flex-col gap-2 px-4 py-4 sm:flex-row sm:items-center sm:justify-between sm:px-5" data-testid="dispute-row">
            <span className="min-w-0 text-sm">
              <span className="block font-medium text-fg">
                {money(d.amount_cents, d.currency)} · {d.reason.replace(/_/g, ' ') || 'no reason given'}
              </span>
              <span className="block text-xs text-muted">
                {d.status.replace(/_/g, ' ')}
                {d.evidence_due_by && open(d) ? ` · answer by ${new Date(d.evidence_due_by).toLocaleDateString()}` : ''}
                {d.submitted_at ? ' · evidence sent' : ''}
              </span>
            </span>
            {manage && open(d) ? (
              <Button size="sm" variant="secondary" onClick={() => setAnswering(d)} data-testid="dispute-answer">
                Answer
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
      <Dialog
        open={!!answering}
        onClose={() => setAnswering(null)}
        flush
        title="Answer a dispute"
        description="Your evidence goes to the customer's bank through Stripe. You can send it once."
        testId="dispute-dialog"
      >
        {answering ? (
          <DisputeForm
            dispute={answering}
            onClose={() => setAnswering(null)}
            onDone={() => {
              setAnswering(null)
              loaded.reload()
            }}
          />
        ) : null}
      </Dialog>
    </Panel>
  )
}

function DisputeForm({ dispute, onClose, onDone }: { dispute: Dispute; onClose: () => void; onDone: () => void }) {
  const form = useForm(['evidence'])
  const [evidence, setEvidence] = useState('')
  return (
    <form
      ref={form.formRef}
      noValidate
      onSubmit={form.submit(async () => {
        await api.post(`/api/admin/billing/disputes/${encodeURIComponent(dispute.id)}/evidence`, { evidence: evidence.trim() })
        onDone()
      })}
    >
      <div className="space-y-4">
        <FormError form={form} />
        <TextArea
          label="Evidence"
          name="evidence"
          value={evidence}
          onChange={(e) => setEvidence(e.target.value)}
          hint="What the customer bought, when, and why the payment is genuine (use of the server, logins, messages)."
          error={form.fieldError('evidence')}
          className="min-h-32"
          autoFocus
        />
      </div>
      <DialogActions>
        <Button variant="secondary" onClick={onClose} disabled={form.busy}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="dispute-submit">
          Send evidence
        </SubmitButton>
      </DialogActions>
    </form>
  )
}

export function AdminBilling() {
  usePageTitle('Billing')
  const { me } = useSession()
  const manage = canManageTenant(me)
  const catalog = useApi<Catalog>('/api/catalog')
  const payments = usePaged<Order>('/api/admin/billing/payments?limit=25')
  const [refunding, setRefunding] = useState<Order | null>(null)
  const [notice, setNotice] = useState('')
  const [nonce, setNonce] = useState(0)
  const currency = catalog.data?.currency ?? payments.items[0]?.currency ?? 'usd'
  const { reload } = payments

  const columns: Column<Order>[] = [
    {
      header: 'Payment',
      primary: true,
      cell: (o) => (
        <span className="min-w-0">
          <span className="block font-medium text-fg">{o.description}</span>
          <span className="block text-xs text-muted">
            {periodLabel(o.months)} · <span className="font-mono">{o.id.slice(0, 8)}</span>
            {o.coupon_code ? ` · coupon ${o.coupon_code}` : ''}
          </span>
          {o.status === 'failed' && o.failure_message ? (
            <span className="mt-1 block text-xs text-red-700 dark:text-red-400">{o.failure_message}</span>
          ) : null}
        </span>
      ),
    },
    { header: 'Date', className: 'md:whitespace-nowrap', cell: (o) => <Time iso={o.created_at} relative={false} /> },
    {
      header: 'Amount',
      cell: (o) =>
        o.status === 'failed' ? (
          <span>
            <span className="font-medium text-fg">Not charged</span>
            <span className="block text-xs text-muted">{money(o.amount_cents, o.currency)} attempted</span>
          </span>
        ) : (
          <span>
            <span className="font-medium text-fg">{money(o.amount_cents, o.currency)}</span>
            {o.refunded_cents > 0 ? (
              <span className="block text-xs text-muted">{money(o.refunded_cents, o.currency)} refunded</span>
            ) : null}
          </span>
        ),
    },
    {
      header: 'Status',
      cell: (o) => {
        const s = orderStatus(o)
        return (
          <Badge tone={s.tone} dot>
            {s.label}
          </Badge>
        )
      },
    },
    {
      header: '',
      actions: true,
      cell: (o) => (
        <span className="inline-flex flex-wrap justify-end gap-1 md:max-w-72">
          {hasReceipt(o) ? (
            <a
              href={receiptURL(o.id)}
              target="_blank"
              rel="noopener"
              className={buttonClass('ghost', 'sm')}
              aria-label={`Receipt of payment ${o.id.slice(0, 8)} (opens in a new tab)`}
            >
              <ReceiptIcon className="size-4" />
              Receipt
            </a>
          ) : null}
          {o.invoice_number ? (
            <a
              href={invoiceURL(o.id)}
              download
              className={buttonClass('ghost', 'sm')}
              aria-label={`Invoice ${invoiceLabel(o.invoice_number)} (PDF)`}
              data-testid="payment-invoice"
            >
              <DownloadIcon className="size-4" />
              {invoiceLabel(o.invoice_number)}
            </a>
          ) : null}
          {(o.credit_notes ?? []).map((cn) => (
            <a
              key={cn.id}
              href={creditNoteURL(o.id, cn.id)}
              download
              className={buttonClass('ghost', 'sm')}
              aria-label={`Credit note ${cn.label} (PDF)`}
              title={`Credit note ${cn.label}: ${money(cn.amount_cents, o.currency)} given back`}
              data-testid="payment-credit-note"
            >
              <DownloadIcon className="size-4" />
              {cn.label}
            </a>
          ))}
          {manage && o.status === 'paid' && o.refunded_cents < o.amount_cents ? (
            <Button size="sm" variant="secondary" onClick={() => setRefunding(o)} data-testid="refund-button">
              Refund
            </Button>
          ) : null}
        </span>
      ),
    },
  ]

  return (
    <div className="space-y-8" data-testid="admin-billing">
      <PageHeader
        title="Billing"
        icon={CardIcon}
        description="Your Stripe account, what customers paid, refunds and the ledger."
        actions={
          <a href="/api/admin/billing/payments.csv" download className={buttonClass('secondary')} data-testid="payments-csv">
            <DownloadIcon className="size-4" />
            Export CSV
          </a>
        }
      />
      {!manage ? <Alert tone="info">Your support role can see billing but not change it or refund payments.</Alert> : null}
      {notice ? (
        <Alert tone="success" data-testid="billing-notice">
          {notice}
        </Alert>
      ) : null}

      <ConnectCard manage={manage} />
      <MonthFigures nonce={nonce} />
      <RevenueChart currency={currency} nonce={nonce} />
      <Balances key={nonce} currency={currency} />
      <Disputes manage={manage} />

      <Panel
        title="Payments"
        description="Every order, newest first. Refunds go back to the customer's card."
        actions={
          payments.loading && payments.items.length ? <Spinner className="size-4 text-muted" label="Refreshing" /> : null
        }
      >
        <DataTable
          caption="Payments"
          columns={columns}
          rows={payments.items}
          rowKey={(o) => o.id}
          rowProps={(o) => ({ 'data-testid': 'payment-row', 'data-status': o.status, 'data-order': o.id })}
          loading={payments.loading}
          error={payments.error}
          onRetry={reload}
          empty={
            <EmptyState icon={ReceiptIcon} title="No payments yet">
              When customers pay for a VM, their payments appear here with receipts, refunds and a CSV export.
            </EmptyState>
          }
        />
        <Pager paged={payments} noun="payments" />
      </Panel>

      <Dialog
        open={!!refunding}
        onClose={() => setRefunding(null)}
        flush
        title="Refund a payment"
        description="The money goes back to the customer's card; Stripe returns the platform fee in proportion."
        testId="refund-dialog"
      >
        {refunding ? (
          <RefundForm
            order={refunding}
            onClose={() => setRefunding(null)}
            onDone={(cents) => {
              setNotice(
                `Refund of ${money(cents, refunding.currency)} requested. The payment shows as refunded once Stripe confirms it.`,
              )
              setRefunding(null)
              reload()
              setNonce((n) => n + 1)
              // Stripe's charge.refunded usually follows within seconds.
              setTimeout(() => {
                reload()
                setNonce((n) => n + 1)
              }, 2500)
            }}
          />
        ) : null}
      </Dialog>
    </div>
  )
}

