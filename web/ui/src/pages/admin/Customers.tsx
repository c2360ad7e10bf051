import { useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { withQuery } from '../../api'
import { brandLabel, money, orderStatus, type OrderStatus } from '../../billing'
import { Dialog } from '../../components/Dialog'
import {
  Badge,
  DataTable,
  EmptyState,
  Loading,
  PageHeader,
  Pager,
  Panel,
  Time,
  formatDate,
  useApi,
  usePaged,
  type Column,
} from '../../components/data'
import { ErrorPanel } from '../../components/forms'
import { CardIcon, LayersIcon, ReceiptIcon, UsersIcon } from '../../components/icons'
import { SearchBox, useSearchQuery } from '../../components/search'
import { Button, usePageTitle } from '../../components/ui'
import { config } from '../../config'
import { deploymentStatus, imageLabel, specLine, type DeploymentSpec } from '../../deployments'

/** A customer as GET /api/admin/customers answers: who it is, what it runs and has paid. */
export interface Customer {
  id: string
  email: string
  created_at: string
  email_verified: boolean
  mfa_enabled: boolean
  disabled_at: string | null
  active_deployments: number
  deployments: number
  /** Card payments net of refunds, in minor units of currency. */
  paid_cents: number
  credit_cents: number
  currency: string
  last_payment_at: string | null
}

interface CustomerDetail extends Customer {
  recent_deployments: Array<{
    id: string
    name: string
    image: string
    spec: DeploymentSpec | null
    status: string
    backup: string
    node_id: number | null
    ipv4: string
    price_cents: number
    months: number
    currency: string
    created_at: string
  }>
  recent_payments: Array<{
    id: string
    status: OrderStatus
    description: string
    amount_cents: number
    credit_cents: number
    refunded_cents: number
    currency: string
    paid_at: string | null
    created_at: string
  }>
  cards: Array<{ brand: string; last4: string; exp_month: number; exp_year: number; is_default: boolean }>
}

function Amount({ cents, currency, muted = false }: { cents: number; currency: string; muted?: boolean }) {
  return <span className={muted && cents === 0 ? 'text-muted tabular-nums' : 'tabular-nums'}>{money(cents, currency)}</span>
}

export function Customers() {
  usePageTitle('Customers')
  const search = useSearchQuery()
  const paged = usePaged<Customer>(withQuery('/api/admin/customers', { q: search.query }))
  const [open, setOpen] = useState<Customer | null>(null)

  const columns: Column<Customer>[] = [
    {
      header: 'Customer',
      primary: true,
      cell: (c) => (
        <span className="flex min-w-0 flex-col gap-1">
          <button
            type="button"
            onClick={() => setOpen(c)}
            className="self-start rounded-sm text-left font-medium break-words text-fg hover:text-primary hover:underline"
            data-testid="customer-open"
          >
            {c.email}
          </button>
          <span className="text-xs text-muted">
            Signed up <Time iso={c.created_at} />
          </span>
          {!c.email_verified || c.disabled_at ? (
            <span className="flex flex-wrap gap-1.5">
              {!c.email_verified ? <Badge tone="warning">E-mail not verified</Badge> : null}
              {c.disabled_at ? <Badge tone="danger">Disabled</Badge> : null}
            </span>
          ) : null}
        </span>
      ),
    },
    {
      header: '2FA',
      cell: (c) =>
        c.mfa_enabled ? (
          <Badge tone="success" dot>
            On
          </Badge>
        ) : (
          <Badge dot>Off</Badge>
        ),
    },
    {
      header: 'Active servers',
      className: 'text-right',
      cell: (c) => (
        <span className="tabular-nums" title={`${c.deployments} ever deployed`}>
          {c.active_deployments > 0 ? c.active_deployments : <span className="text-muted">0</span>}
        </span>
      ),
    },
    {
      header: 'Total paid',
      className: 'text-right',
      cell: (c) => <Amount cents={c.paid_cents} currency={c.currency} muted />,
    },
    {
      header: 'Credit',
      className: 'text-right',
      cell: (c) => <Amount cents={c.credit_cents} currency={c.currency} muted />,
    },
    { header: 'Last payment', className: 'whitespace-nowrap', cell: (c) => (c.last_payment_at ? <Time iso={c.last_payment_at} /> : <span className="text-muted">Never</span>) },
    {
      header: '',
      actions: true,
      cell: (c) => (
        <Button size="sm" variant="secondary" onClick={() => setOpen(c)} aria-label={`View ${c.email}`}>
          View
        </Button>
      ),
    },
  ]

  return (
    <div className="space-y-8">
      <PageHeader
        title="Customers"
        icon={UsersIcon}
        description={`Everyone with an account at ${config.tenant.name}: what they run, what they have paid and the credit they hold. Open one to see their servers, payments and cards.`}
      />

      <Panel
        title="Customer accounts"
        description="Totals are card payments net of refunds, in your currency."
        actions={
          <SearchBox
            value={search.text}
            onChange={search.setText}
            label="Search customers by e-mail"
            placeholder="Search by e-mail…"
            hint="Shows customers whose e-mail address starts with what you type."
            testId="customer-search"
          />
        }
      >
        <DataTable
          caption="Customers"
          columns={columns}
          rows={paged.items}
          rowKey={(c) => c.id}
          rowProps={(c) => ({ 'data-testid': 'customer-row', 'data-email': c.email })}
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          empty={
            search.query ? (
              <EmptyState icon={UsersIcon} title="No customer matches" action={<Button variant="secondary" onClick={() => search.setText('')}>Clear the search</Button>}>
                No customer’s e-mail address starts with “{search.query}”. Search by the beginning of the address, e.g. “ann” or
                “ann@example”.
              </EmptyState>
            ) : (
              <EmptyState icon={UsersIcon} title="No customers yet">
                Customers appear here as soon as they sign up on your storefront. Share your storefront’s address, or{' '}
                <Link to="/admin/pricing" className="font-medium text-primary hover:underline">
                  check your prices
                </Link>{' '}
                so visitors see offers worth ordering.
              </EmptyState>
            )
          }
        />
        <Pager paged={paged} noun="customers" />
      </Panel>

      <Dialog
        open={!!open}
        onClose={() => setOpen(null)}
        size="lg"
        title={open?.email ?? ''}
        description={open ? <>Customer since {formatDate(open.created_at)}</> : null}
        testId="customer-dialog"
      >
        {open ? <CustomerView id={open.id} /> : null}
      </Dialog>
    </div>
  )
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rounded-fd-sm border border-border px-3.5 py-3">
      <dt className="text-xs font-medium text-muted">{label}</dt>
      <dd className="mt-1 text-base font-semibold text-fg">{children}</dd>
    </div>
  )
}

function CustomerView({ id }: { id: string }) {
  const d = useApi<CustomerDetail>(`/api/admin/customers/${encodeURIComponent(id)}`)
  if (d.error) return <ErrorPanel error={d.error} onRetry={d.reload} />
  if (!d.data) return <Loading />
  const c = d.data
  return (
    <div className="space-y-6" data-testid="customer-detail">
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        <Stat label="Active servers">{c.active_deployments}</Stat>
        <Stat label="Total paid">
          <Amount cents={c.paid_cents} currency={c.currency} />
        </Stat>
        <Stat label="Credit">
          <Amount cents={c.credit_cents} currency={c.currency} />
        </Stat>
        <Stat label="Last payment">{c.last_payment_at ? <Time iso={c.last_payment_at} /> : 'Never'}</Stat>
      </dl>
      <div className="flex flex-wrap gap-1.5">
        <Badge tone={c.email_verified ? 'success' : 'warning'} dot>
          {c.email_verified ? 'E-mail verified' : 'E-mail not verified'}
        </Badge>
        <Badge tone={c.mfa_enabled ? 'success' : 'neutral'} dot>
          {c.mfa_enabled ? '2FA on' : '2FA off'}
        </Badge>
        {c.disabled_at ? <Badge tone="danger">Disabled</Badge> : null}
      </div>

      <section aria-labelledby="cust-deployments">
        <h3 id="cust-deployments" className="flex items-center gap-2 text-sm font-semibold text-fg">
          <LayersIcon className="size-4 text-muted" />
          Servers
        </h3>
        {c.recent_deployments.length === 0 ? (
          <p className="mt-2 text-sm text-muted">No servers yet.</p>
        ) : (
          <ul className="mt-2 divide-y divide-border rounded-fd-sm border border-border">
            {c.recent_deployments.map((x) => {
              const st = deploymentStatus[x.status] ?? { label: x.status, tone: 'neutral' as const }
              return (
                <li key={x.id} className="flex flex-col gap-1 px-3.5 py-3 sm:flex-row sm:items-center sm:justify-between" data-testid="customer-deployment">
                  <div className="min-w-0">
                    <p className="font-mono text-sm font-medium break-all text-fg">{x.name}</p>
                    <p className="text-xs text-muted">
                      {imageLabel(x.image)}
                      {specLine(x.spec) ? ` · ${specLine(x.spec)}` : ''}
                      {x.node_id ? ` · node #${x.node_id}` : ''}
                    </p>
                  </div>
                  <div className="flex shrink-0 items-center gap-3 text-sm">
                    <span className="text-muted tabular-nums">
                      {money(x.price_cents, x.currency)} / {x.months === 1 ? 'month' : `${x.months} months`}
                    </span>
                    <Badge tone={st.tone} dot>
                      {st.label}
                    </Badge>
                  </div>
                </li>
              )
            })}
          </ul>
        )}
      </section>

      <section aria-labelledby="cust-payments">
        <h3 id="cust-payments" className="flex items-center gap-2 text-sm font-semibold text-fg">
          <ReceiptIcon className="size-4 text-muted" />
          Payments
        </h3>
        {c.recent_payments.length === 0 ? (
          <p className="mt-2 text-sm text-muted">No payments yet.</p>
        ) : (
          <ul className="mt-2 divide-y divide-border rounded-fd-sm border border-border">
            {c.recent_payments.map((p) => {
              const st = orderStatus(p)
              return (
                <li key={p.id} className="flex flex-col gap-1 px-3.5 py-3 sm:flex-row sm:items-center sm:justify-between" data-testid="customer-payment">
                  <div className="min-w-0">
                    <p className="text-sm font-medium break-words text-fg">{p.description}</p>
                    <p className="text-xs text-muted">
                      <Time iso={p.paid_at ?? p.created_at} relative={false} />
                      {p.credit_cents > 0 ? ` · ${money(p.credit_cents, p.currency)} from credit` : ''}
                      {p.refunded_cents > 0 ? ` · ${money(p.refunded_cents, p.currency)} refunded` : ''}
                    </p>
                  </div>
                  <div className="flex shrink-0 items-center gap-3 text-sm">
                    <span className="font-medium tabular-nums">{money(p.amount_cents, p.currency)}</span>
                    <Badge tone={st.tone} dot>
                      {st.label}
                    </Badge>
                  </div>
                </li>
              )
            })}
          </ul>
        )}
        <p className="mt-2 text-xs text-muted">
          Refunds are made from{' '}
          <Link to="/admin/billing" className="font-medium text-primary hover:underline">
            Billing
          </Link>
          .
        </p>
      </section>

      <section aria-labelledby="cust-cards">
        <h3 id="cust-cards" className="flex items-center gap-2 text-sm font-semibold text-fg">
          <CardIcon className="size-4 text-muted" />
          Saved cards
        </h3>
        {c.cards.length === 0 ? (
          <p className="mt-2 text-sm text-muted">No saved card: renewals will fail until the customer adds one.</p>
        ) : (
          <ul className="mt-2 flex flex-wrap gap-2">
            {c.cards.map((k, i) => (
              <li key={i} className="inline-flex items-center gap-2 rounded-fd-sm border border-border px-3 py-2 text-sm">
                <span className="font-medium">
                  {brandLabel(k.brand)} •••• {k.last4}
                </span>
                <span className="text-muted">
                  {String(k.exp_month).padStart(2, '0')}/{String(k.exp_year).slice(-2)}
                </span>
                {k.is_default ? <Badge tone="primary">Default</Badge> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  )
}
