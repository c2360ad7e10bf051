import { useRef, useState } from 'react'
import { useNavigate } from 'react-router'
import { api } from '../api'
import {
  cardLabel,
  creditNoteURL,
  hasReceipt,
  invoiceLabel,
  invoiceURL,
  money,
  orderStatus,
  periodLabel,
  receiptURL,
  type CardList,
  type Order,
} from '../billing'
import { AddCard, CardSummary } from '../components/cards'
import { ConfirmDialog, Dialog } from '../components/Dialog'
import {
  Badge,
  DataTable,
  EmptyState,
  Loading,
  Pager,
  Panel,
  Time,
  useApi,
  usePaged,
  type Column,
} from '../components/data'
import { Alert, ErrorPanel } from '../components/forms'
import { RequireAuth } from '../components/Guard'
import { CardIcon, DownloadIcon, ExternalLinkIcon, PlusIcon, ReceiptIcon, RocketIcon, WalletIcon } from '../components/icons'
import { Button, ButtonLink, Card, Container, usePageTitle } from '../components/ui'

interface Subscriptions {
  items: { id: string; status: string }[]
  credit_cents: number
}

export function Billing() {
  return (
    <RequireAuth>
      <BillingPage />
    </RequireAuth>
  )
}

function OrderAmount({ o }: { o: Order }) {
  if (o.status === 'failed')
    return (
      <span>
        <span className="font-medium text-fg" data-testid="not-charged">
          Not charged
        </span>
        <span className="block text-xs text-muted">{money(o.amount_cents, o.currency)} attempted</span>
      </span>
    )
  return (
    <span>
      <span className="font-medium text-fg">{money(o.amount_cents, o.currency)}</span>
      {o.refunded_cents > 0 ? (
        <span className="block text-xs text-muted">{money(o.refunded_cents, o.currency)} refunded</span>
      ) : null}
    </span>
  )
}

function BillingPage() {
  usePageTitle('Billing')
  const cards = useApi<CardList>('/api/cards')
  const orders = usePaged<Order>('/api/orders?limit=20')
  const subs = useApi<Subscriptions>('/api/subscriptions')
  const [adding, setAdding] = useState(false)
  const [removing, setRemoving] = useState<CardList['items'][number] | null>(null)
  const [busyCard, setBusyCard] = useState('')
  const [notice, setNotice] = useState('')
  const [actionError, setActionError] = useState<unknown>(null)
  const cardsRef = useRef<HTMLDivElement>(null)

  const latest = orders.page === 1 ? orders.items[0] : undefined
  const lastFailed = latest?.status === 'failed' ? latest : undefined
  const credit = subs.data?.credit_cents ?? 0
  const currency = orders.items[0]?.currency ?? 'usd'

  // A subscription past due or suspended, or a renewal waiting for the customer's
  // authentication: "Pay now" takes the on-session path, the payment page when the bank asks.
  const overdue = subs.data?.items.find((x) => x.status === 'past_due' || x.status === 'suspended')
  const waiting = orders.items.find((o) => o.status === 'requires_action')
  const [paying, setPaying] = useState(false)
  const navigate = useNavigate()
  const payNow = async (id: string) => {
    setPaying(true)
    setActionError(null)
    try {
      const res = await api.post<{ order?: Order }>(`/api/subscriptions/${encodeURIComponent(id)}/pay`)
      if (res.order?.status === 'requires_action') {
        navigate(`/pay/${res.order.id}`)
        return
      }
      subs.reload()
      orders.reload()
      setNotice('Payment started. It shows below as soon as your bank confirms it.')
    } catch (err) {
      setActionError(err)
    } finally {
      setPaying(false)
    }
  }

  const makeDefault = async (id: string) => {
    setBusyCard(id)
    setActionError(null)
    try {
      await api.post(`/api/cards/${encodeURIComponent(id)}/default`)
      cards.reload()
      setNotice('Default card changed. Renewals are charged to it from now on.')
    } catch (err) {
      setActionError(err)
    } finally {
      setBusyCard('')
    }
  }

  const columns: Column<Order>[] = [
    {
      header: 'Order',
      primary: true,
      cell: (o) => (
        <span className="min-w-0">
          <span className="block font-medium text-fg">{o.description}</span>
          <span className="block text-xs text-muted">
            {periodLabel(o.months)} ·{' '}
            <span className="font-mono">{o.invoice_number ? invoiceLabel(o.invoice_number) : o.id.slice(0, 8)}</span>
          </span>
          {o.status === 'failed' && o.failure_message ? (
            <span className="mt-1 block text-xs text-red-700 dark:text-red-400">{o.failure_message}</span>
          ) : null}
        </span>
      ),
    },
    { header: 'Date', className: 'md:whitespace-nowrap', cell: (o) => <Time iso={o.created_at} relative={false} /> },
    { header: 'Amount', cell: (o) => <OrderAmount o={o} /> },
    {
      header: 'Status',
      cell: (o) => {
        const s = orderStatus(o)
        return (
          <Badge tone={s.tone} dot data-testid="order-status">
            {s.label}
          </Badge>
        )
      },
    },
    {
      header: '',
      actions: true,
      cell: (o) =>
        hasReceipt(o) ? (
          <span className="flex flex-wrap items-center gap-1 md:justify-end">
            <a
              href={receiptURL(o.id)}
              target="_blank"
              rel="noopener"
              className="inline-flex items-center gap-1.5 rounded-fd-sm px-2 py-1 text-sm font-medium text-primary hover:bg-primary/5"
              data-testid="order-receipt"
            >
              <ReceiptIcon className="size-4" />
              Receipt
              <ExternalLinkIcon className="size-3.5 opacity-70" />
              <span className="sr-only">(opens in a new tab)</span>
            </a>
            {o.invoice_number ? (
              <a
                href={invoiceURL(o.id)}
                download
                className="inline-flex items-center gap-1.5 rounded-fd-sm px-2 py-1 text-sm font-medium text-primary hover:bg-primary/5"
                data-testid="order-invoice"
                title={`Invoice ${invoiceLabel(o.invoice_number)} as a PDF`}
              >
                <DownloadIcon className="size-4" />
                Download invoice
                <span className="sr-only">{invoiceLabel(o.invoice_number)} (PDF)</span>
              </a>
            ) : null}
            {(o.credit_notes ?? []).map((cn) => (
              <a
                key={cn.id}
                href={creditNoteURL(o.id, cn.id)}
                download
                className="inline-flex items-center gap-1.5 rounded-fd-sm px-2 py-1 text-sm font-medium text-primary hover:bg-primary/5"
                data-testid="order-credit-note"
                title={`Credit note ${cn.label} (${money(cn.amount_cents, o.currency)} refunded) as a PDF`}
              >
                <DownloadIcon className="size-4" />
                Credit note <span className="font-mono">{cn.label}</span>
                <span className="sr-only">(PDF)</span>
              </a>
            ))}
          </span>
        ) : null,
    },
  ]

  const addButton = (
    <Button onClick={() => setAdding(true)} data-testid="add-card-button" disabled={!cards.data}>
      <PlusIcon className="size-4" />
      Add a card
    </Button>
  )

  return (
    <Container className="space-y-8 py-8 sm:py-12">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h1 className="text-3xl font-bold tracking-tight text-fg">Billing</h1>
          <p className="mt-2 text-base text-muted">Your cards, payments, receipts and invoices.</p>
        </div>
        <ButtonLink to="/deploy" variant="secondary">
          <RocketIcon className="size-4" />
          Deploy a VM
        </ButtonLink>
      </div>

      {lastFailed ? (
        <Alert
          tone="error"
          title="Your last payment failed"
          data-testid="failed-payment-banner"
          action={
            <Button
              size="sm"
              variant="secondary"
              onClick={() => {
                setAdding(true)
                cardsRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' })
              }}
            >
              <CardIcon className="size-4" />
              Update card
            </Button>
          }
        >
          {lastFailed.failure_message || 'Your card was declined.'} No money was taken for{' '}
          {lastFailed.description}. Add a card that works, or make another one the default, and try again.
        </Alert>
      ) : null}

      {waiting ? (
        <Alert
          tone="warning"
          title="Your bank asks you to confirm a payment"
          data-testid="authentication-banner"
          action={
            <ButtonLink size="sm" to={`/pay/${waiting.id}`} data-testid="confirm-payment-link">
              Confirm payment
            </ButtonLink>
          }
        >
          {waiting.description}: nothing has been charged yet. Confirm it to keep your server running.
        </Alert>
      ) : null}

      {overdue && !waiting ? (
        <Alert
          tone="warning"
          title="A renewal is waiting for you"
          data-testid="overdue-banner"
          action={
            <Button size="sm" busy={paying} onClick={() => void payNow(overdue.id)} data-testid="pay-now">
              Pay now
            </Button>
          }
        >
          A renewal of one of your servers has not been paid. Pay it now with your default card; if your bank asks, you
          confirm it on the next page.
        </Alert>
      ) : null}

      {notice ? (
        <Alert tone="success" data-testid="billing-notice">
          {notice}
        </Alert>
      ) : null}
      {actionError ? <ErrorPanel error={actionError} /> : null}

      <div ref={cardsRef} className="scroll-mt-24">
        <Panel
          title="Cards"
          description="The default card pays for renewals. Cards are stored by our payment provider, never on our servers."
          actions={cards.data && cards.data.items.length ? addButton : null}
          data-testid="cards-panel"
        >
          {cards.error ? (
            <div className="p-4 sm:p-5">
              <ErrorPanel error={cards.error} onRetry={cards.reload} />
            </div>
          ) : !cards.data ? (
            <Loading />
          ) : cards.data.items.length === 0 ? (
            <EmptyState icon={CardIcon} title="No saved card" action={addButton}>
              Add a card to pay for your VMs. It is charged when you deploy and at each renewal.
            </EmptyState>
          ) : (
            <ul className="divide-y divide-border">
              {cards.data.items.map((c) => (
                <li
                  key={c.id}
                  className="flex flex-col gap-3 px-4 py-4 sm:flex-row sm:items-center sm:justify-between sm:px-5"
                  data-testid="saved-card"
                  data-last4={c.last4}
                >
                  <span className="flex items-center gap-3">
                    <CardSummary card={c} />
                    {c.is_default ? (
                      <Badge tone="primary" data-testid="default-card">
                        Default
                      </Badge>
                    ) : null}
                  </span>
                  <span className="flex gap-2">
                    {!c.is_default ? (
                      <Button
                        size="sm"
                        variant="secondary"
                        busy={busyCard === c.id}
                        onClick={() => void makeDefault(c.id)}
                        aria-label={`Make ${cardLabel(c)} the default card`}
                      >
                        Make default
                      </Button>
                    ) : null}
                    <Button
                      size="sm"
                      variant="danger-ghost"
                      onClick={() => setRemoving(c)}
                      aria-label={`Remove ${cardLabel(c)}`}
                    >
                      Remove
                    </Button>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Panel>
      </div>

      {credit > 0 ? (
        <Card className="flex items-center gap-4 p-5" data-testid="account-credit">
          <WalletIcon className="size-6 shrink-0 text-primary" />
          <div>
            <p className="text-sm text-muted">Account credit</p>
            <p className="text-xl font-bold text-fg">{money(credit, currency)}</p>
            <p className="text-xs text-muted">Used before your card at your next payment.</p>
          </div>
        </Card>
      ) : null}

      <Panel
        title="Payments, receipts and invoices"
        description="Every payment with its receipt and its PDF invoice, newest first."
        data-testid="orders-panel"
      >
        <DataTable
          caption="Payments"
          columns={columns}
          rows={orders.items}
          rowKey={(o) => o.id}
          rowProps={(o) => ({ 'data-testid': 'order-row', 'data-status': o.status, 'data-order': o.id })}
          loading={orders.loading}
          error={orders.error}
          onRetry={orders.reload}
          empty={
            <EmptyState
              icon={ReceiptIcon}
              title="No payments yet"
              action={
                <ButtonLink to="/deploy">
                  <RocketIcon className="size-4" />
                  Deploy your first VM
                </ButtonLink>
              }
            >
              When you pay for a VM, the payment and its receipt appear here.
            </EmptyState>
          }
        />
        <Pager paged={orders} noun="payments" />
      </Panel>

      <Dialog
        open={adding}
        onClose={() => setAdding(false)}
        title="Add a card"
        description="The card is saved for this and future payments; the first card becomes the default."
        testId="add-card-dialog"
      >
        {cards.data ? (
          <AddCard
            cards={cards.data}
            onCancel={() => setAdding(false)}
            onAdded={(_, card) => {
              setAdding(false)
              cards.reload()
              setNotice(card ? `${cardLabel(card)} was added.` : 'Your card was added.')
            }}
          />
        ) : null}
      </Dialog>

      <ConfirmDialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        title="Remove this card?"
        confirmLabel="Remove card"
        onConfirm={async () => {
          if (!removing) return
          await api.del(`/api/cards/${encodeURIComponent(removing.id)}`)
          cards.reload()
          setNotice(`${cardLabel(removing)} was removed.`)
        }}
      >
        {removing ? (
          <p>
            <strong className="text-fg">{cardLabel(removing)}</strong> will no longer be charged.
            {removing.is_default
              ? ' It is your default card: add or choose another default so your VMs keep renewing.'
              : ''}
          </p>
        ) : null}
      </ConfirmDialog>
    </Container>
  )
}
