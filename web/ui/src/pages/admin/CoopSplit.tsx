import { useEffect, useState } from 'react'
import { api } from '../../api'
import { bpsInput, money, parsePct, pct } from '../../billing'
import { transferLabel, type CoopPayment, type CoopSplit } from '../../coop'
import { Badge, DataTable, EmptyState, Pager, Panel, Time, useApi, usePaged, type Column } from '../../components/data'
import { Alert, FormError, SubmitButton, useForm } from '../../components/forms'
import { CoinsIcon, PercentIcon } from '../../components/icons'
import { cx } from '../../components/ui'

const payoutTone = { ready: 'success', pending: 'warning', none: 'neutral' } as const
const payoutLabel = { ready: 'Stripe connected', pending: 'Onboarding', none: 'No payout account' } as const

/** RevenueSplit edits each member's share of the co-op's revenue; a change applies from the next charge. */
export function RevenueSplit({ manage }: { manage: boolean }) {
  const split = useApi<CoopSplit>('/api/admin/coop/split')
  const [draft, setDraft] = useState<Record<string, string>>({})
  const [saved, setSaved] = useState('')
  const form = useForm(['shares'])
  useEffect(() => {
    if (split.data) setDraft(Object.fromEntries(split.data.members.map((m) => [m.account_id, bpsInput(m.share_bps)])))
  }, [split.data])
  const members = split.data?.members ?? []
  const parsed = members.map((m) => parsePct(draft[m.account_id] ?? ''))
  const total = parsed.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0)
  const valid = parsed.every((b) => !Number.isNaN(b) && b >= 0 && b <= 10000) && total === 10000
  const changed = members.some((m, i) => parsed[i] !== m.share_bps)

  return (
    <Panel
      title="Revenue split"
      description="Each member’s share of every payment, after the platform fee and Stripe’s fee. A change applies from the next charge; it is recorded in the audit log."
      data-testid="coop-split"
    >
      <form
        ref={form.formRef}
        noValidate
        className="space-y-4 p-4 sm:p-5"
        onSubmit={form.submit(async () => {
          const shares = members.map((m, i) => ({ member: m.account_id, bps: parsed[i] }))
          await api.put<CoopSplit>('/api/admin/coop/split', { shares })
          setSaved('The new split applies from the next payment.')
          split.reload()
        })}
      >
        {split.data && !split.data.complete ? (
          <Alert tone="warning" data-testid="coop-split-incomplete">
            The shares sum to {pct(split.data.total_bps)}, not 100 %. Customers cannot pay until they do.
          </Alert>
        ) : null}
        {saved ? (
          <Alert tone="success" data-testid="coop-split-saved">
            {saved}
          </Alert>
        ) : null}
        <FormError form={form} />
        {members.length === 0 && !split.loading ? (
          <p className="text-sm text-muted">Add members first; then give each one a share.</p>
        ) : (
          <ul className="divide-y divide-border rounded-fd-sm border border-border">
            {members.map((m, i) => (
              <li key={m.account_id} className="flex flex-col gap-3 px-4 py-3 sm:flex-row sm:items-center sm:justify-between">
                <div className="min-w-0">
                  <p className="font-medium break-words text-fg">{m.email}</p>
                  <Badge tone={payoutTone[m.payout_account]}>{payoutLabel[m.payout_account]}</Badge>
                  {m.payout_account !== 'ready' ? (
                    <span className="ml-2 text-xs text-muted">Their shares are held until they connect Stripe on the console.</span>
                  ) : null}
                </div>
                <label className="flex items-center gap-2 text-sm">
                  <span className="sr-only">Share of {m.email}</span>
                  <input
                    inputMode="decimal"
                    disabled={!manage}
                    value={draft[m.account_id] ?? ''}
                    onChange={(e) => {
                      setSaved('')
                      setDraft((d) => ({ ...d, [m.account_id]: e.target.value }))
                    }}
                    aria-invalid={Number.isNaN(parsed[i])}
                    className={cx(
                      'w-24 rounded-fd-sm border bg-surface px-3 py-2 text-right tabular-nums text-fg focus-visible:outline-2 focus-visible:outline-primary',
                      Number.isNaN(parsed[i]) ? 'border-red-500' : 'border-border',
                    )}
                    data-testid="coop-share-input"
                    data-email={m.email}
                  />
                  <span className="text-muted">%</span>
                </label>
              </li>
            ))}
          </ul>
        )}
        <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
          <p className={cx('text-sm tabular-nums', total === 10000 ? 'text-muted' : 'font-medium text-red-700 dark:text-red-400')} data-testid="coop-split-total">
            <PercentIcon className="mr-1 inline size-4 align-[-3px]" />
            Total {pct(total)} {total === 10000 ? '' : '— must be 100 %'}
          </p>
          {manage ? (
            <SubmitButton form={form} disabled={!valid || !changed} data-testid="coop-split-save">
              Save split
            </SubmitButton>
          ) : null}
        </div>
      </form>
    </Panel>
  )
}

/** CoopPayouts lists paid orders and how each was divided among the members. */
export function CoopPayouts() {
  const payments = usePaged<CoopPayment>('/api/admin/coop/payments?limit=20')
  const columns: Column<CoopPayment>[] = [
    {
      header: 'Payment',
      primary: true,
      cell: (p) => (
        <div className="min-w-0">
          <p className="font-medium break-words text-fg">{p.description}</p>
          <p className="text-xs text-muted">
            <Time iso={p.paid_at} /> · {money(p.charged_cents, p.currency)} charged
            {p.refunded_cents ? ` · ${money(p.refunded_cents, p.currency)} refunded` : ''}
          </p>
        </div>
      ),
    },
    {
      header: 'Fees',
      cell: (p) => (
        <span className="text-sm text-muted tabular-nums">
          {money(p.platform_fee_cents, p.currency)} platform · {money(p.stripe_fee_cents, p.currency)} Stripe
        </span>
      ),
    },
    {
      header: 'Members’ shares',
      cell: (p) => (
        <ul className="space-y-1 text-sm">
          {p.members.map((m) => (
            <li key={m.id} className="flex flex-wrap items-center gap-2">
              <span className="break-all text-fg">{m.member_email}</span>
              <span className="tabular-nums">{money(m.share_cents, m.currency)}</span>
              {m.reversed_cents ? <span className="text-xs text-muted tabular-nums">−{money(m.reversed_cents, m.currency)} reversed</span> : null}
              <Badge tone={transferLabel[m.status].tone}>{transferLabel[m.status].label}</Badge>
            </li>
          ))}
        </ul>
      ),
    },
  ]
  return (
    <Panel title="Payments and transfers" description="Each payment is charged on the platform and transferred to the members in its own transfer group; refunds reverse the transfers in proportion.">
      <DataTable
        caption="Co-op payments"
        columns={columns}
        rows={payments.items}
        rowKey={(p) => p.order_id}
        rowProps={(p) => ({ 'data-testid': 'coop-payment-row', 'data-order': p.order_id })}
        loading={payments.loading}
        error={payments.error}
        onRetry={payments.reload}
        empty={
          <EmptyState icon={CoinsIcon} title="No payments yet">
            When customers pay, each payment appears here with every member’s share and its transfer.
          </EmptyState>
        }
      />
      <Pager paged={payments} noun="payments" />
    </Panel>
  )
}
