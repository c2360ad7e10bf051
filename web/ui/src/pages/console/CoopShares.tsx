import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { api, errorMessage } from '../../api'
import { money, pct } from '../../billing'
import { transferLabel, type MemberPayment, type PayoutAccount } from '../../coop'
import { Badge, DataTable, EmptyState, Loading, PageHeader, Pager, Panel, Time, useApi, usePaged, type Column } from '../../components/data'
import { Alert, ErrorPanel } from '../../components/forms'
import { CardIcon, CheckCircleIcon, CoinsIcon, DownloadIcon, HandshakeIcon } from '../../components/icons'
import { Button, buttonClass, Container, usePageTitle } from '../../components/ui'

/** CoopShares: a co-op member's payout account and its share of every payment. */
export function CoopShares() {
  usePageTitle('Co-op shares')
  const account = useApi<PayoutAccount>('/api/coop/payout-account')
  const payments = usePaged<MemberPayment>('/api/coop/payments?limit=20')
  const [params] = useSearchParams()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')

  const connect = async () => {
    setBusy(true)
    setError('')
    try {
      const { url } = await api.post<{ url: string }>('/api/coop/payout-account')
      window.location.assign(url)
    } catch (err) {
      setError(errorMessage(err))
      setBusy(false)
    }
  }

  if (account.error)
    return (
      <Container className="py-10">
        <ErrorPanel error={account.error} onRetry={account.reload} />
      </Container>
    )
  if (!account.data) return <Loading />
  const a = account.data
  const currency = payments.items[0]?.currency ?? 'usd'

  const columns: Column<MemberPayment>[] = [
    {
      header: 'Payment',
      primary: true,
      cell: (p) => (
        <div className="min-w-0">
          <p className="font-medium break-words text-fg">{p.description}</p>
          <p className="text-xs text-muted">
            {p.coop} · <Time iso={p.paid_at ?? p.created_at} />
          </p>
        </div>
      ),
    },
    {
      header: 'Charged',
      cell: (p) => (
        <div className="text-sm tabular-nums">
          <p>{money(p.charged_cents, p.currency)}</p>
          <p className="text-xs text-muted">
            −{money(p.platform_fee_cents + p.stripe_fee_cents, p.currency)} fees = {money(p.distributable_cents, p.currency)}
          </p>
        </div>
      ),
    },
    {
      header: 'Your share',
      cell: (p) => (
        <div className="text-sm tabular-nums" data-testid="coop-share">
          <p className="font-semibold text-fg">{money(p.share_cents, p.currency)}</p>
          <p className="text-xs text-muted">{pct(p.share_bps)}</p>
        </div>
      ),
    },
    {
      header: 'Transfer',
      cell: (p) => (
        <div className="space-y-1 text-sm">
          <Badge tone={transferLabel[p.status].tone}>{transferLabel[p.status].label}</Badge>
          {p.transfer_id ? <p className="font-mono text-xs break-all text-muted">{p.transfer_id}</p> : null}
          {p.status === 'held' ? <p className="text-xs text-muted">Sent when your Stripe account is ready.</p> : null}
        </div>
      ),
    },
    {
      header: 'Refunds',
      cell: (p) =>
        p.reversals.length === 0 ? (
          <span className="text-sm text-muted">—</span>
        ) : (
          <div className="text-sm tabular-nums" data-testid="coop-reversals">
            <p className="text-red-700 dark:text-red-400">−{money(p.reversed_cents, p.currency)}</p>
            <p className="text-xs text-muted">
              {p.reversals.length} reversal{p.reversals.length === 1 ? '' : 's'} · you keep {money(p.net_cents, p.currency)}
            </p>
          </div>
        ),
    },
  ]

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Co-op shares"
        icon={HandshakeIcon}
        description="Your share of every payment of the co-ops you belong to. Each share is transferred to your own Stripe account; refunds take back the same proportion."
        actions={
          <a className={buttonClass('secondary')} href="/api/coop/payments.csv" download data-testid="coop-csv">
            <DownloadIcon className="size-4" />
            CSV
          </a>
        }
      />
      {params.get('connect') === 'return' && a.ready ? (
        <Alert tone="success" data-testid="coop-connected">
          Your Stripe account is ready: shares held for you are on their way.
        </Alert>
      ) : null}
      {error ? <Alert tone="error">{error}</Alert> : null}

      <div className="grid gap-6 lg:grid-cols-3">
        <Panel title="Payout account" className="lg:col-span-1" data-testid="coop-payout">
          <div className="space-y-4 p-4 sm:p-5">
            {a.ready ? (
              <div className="flex items-start gap-3">
                <CheckCircleIcon className="mt-0.5 size-5 shrink-0 text-emerald-600" />
                <div>
                  <p className="font-medium text-fg">Stripe connected</p>
                  <p className="font-mono text-xs break-all text-muted">{a.account_id}</p>
                  <p className="mt-1 text-sm text-muted">Shares are transferred as soon as each payment succeeds.</p>
                </div>
              </div>
            ) : (
              <>
                <p className="text-sm text-muted">
                  {a.connected
                    ? 'Your Stripe onboarding is not finished. Until it is, your shares are held for you.'
                    : 'Connect a Stripe account to receive your shares. Until you do, they are held for you and sent when you connect.'}
                </p>
                <Button onClick={connect} busy={busy} data-testid="coop-connect" disabled={a.memberships.length === 0}>
                  <CardIcon className="size-4" />
                  {a.connected ? 'Finish Stripe onboarding' : 'Connect Stripe'}
                </Button>
                {a.mode === 'mock' ? <p className="text-xs text-muted">Test mode: onboarding completes at once.</p> : null}
              </>
            )}
          </div>
        </Panel>
        <Panel title="Your co-ops" className="lg:col-span-2">
          {a.memberships.length === 0 ? (
            <EmptyState icon={HandshakeIcon} title="Not a co-op member yet">
              A co-op’s admin adds you with the e-mail of this console account.
            </EmptyState>
          ) : (
            <ul className="divide-y divide-border">
              {a.memberships.map((m) => (
                <li key={m.tenant_id} className="flex flex-col gap-2 px-4 py-3.5 sm:flex-row sm:items-center sm:justify-between sm:px-5" data-testid="coop-membership">
                  <div>
                    <p className="font-medium text-fg">{m.name}</p>
                    <p className="text-sm text-muted">
                      {m.role === 'node_operator' ? 'Node operator' : 'Dashboard operator'} · {pct(m.share_bps)} of revenue
                    </p>
                  </div>
                  <div className="flex gap-4 text-sm tabular-nums">
                    <span>
                      <span className="block text-xs text-muted">Transferred</span>
                      {money(m.transferred_cents, currency)}
                    </span>
                    <span>
                      <span className="block text-xs text-muted">Held</span>
                      {money(m.held_cents, currency)}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Panel>
      </div>

      <Panel title="Payments" description="Newest first. Fees are the platform’s and Stripe’s; the rest is split among the members.">
        <DataTable
          caption="Your shares of payments"
          columns={columns}
          rows={payments.items}
          rowKey={(p) => p.id}
          rowProps={(p) => ({ 'data-testid': 'coop-payment', 'data-status': p.status })}
          loading={payments.loading}
          error={payments.error}
          onRetry={payments.reload}
          empty={
            <EmptyState icon={CoinsIcon} title="No payments yet">
              When customers of your co-ops pay, your share of each payment appears here.
            </EmptyState>
          }
        />
        <Pager paged={payments} noun="payments" />
      </Panel>
    </Container>
  )
}
