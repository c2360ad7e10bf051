import { invoiceLabel, invoiceURL, money, periodLabel, receiptURL, type Order } from '../../billing'
import { Dialog } from '../../components/Dialog'
import { CheckCircleIcon, DownloadIcon, ExternalLinkIcon, FlaskIcon, ReceiptIcon } from '../../components/icons'
import { Button, ButtonLink, Card } from '../../components/ui'

/** What the customer sees after paying: the order is paid, with its receipt. */
export function Confirmation({ order, onAgain }: { order: Order; onAgain: () => void }) {
  return (
    <Card className="mx-auto max-w-xl p-6 text-center sm:p-10" data-testid="order-paid">
      <span className="mx-auto inline-flex size-14 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 ring-1 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300">
        <CheckCircleIcon className="size-7" />
      </span>
      <h1 className="mt-5 text-2xl font-bold tracking-tight text-fg">Payment received</h1>
      <p className="mt-2 text-sm leading-6 text-muted">
        {money(order.amount_cents, order.currency)} paid for {order.description}.
      </p>
      <dl className="mx-auto mt-6 grid max-w-sm grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-left text-sm">
        <dt className="text-muted">Order</dt>
        <dd className="font-mono text-fg">{order.id.slice(0, 8)}</dd>
        <dt className="text-muted">Status</dt>
        <dd className="font-medium text-emerald-700 dark:text-emerald-300" data-testid="order-status">
          Paid
        </dd>
        <dt className="text-muted">Period</dt>
        <dd className="text-fg">{periodLabel(order.months)}</dd>
        {order.invoice_number ? (
          <>
            <dt className="text-muted">Invoice</dt>
            <dd>
              <a
                href={invoiceURL(order.id)}
                download
                data-testid="confirmation-invoice"
                className="inline-flex items-center gap-1.5 font-medium text-primary hover:underline"
              >
                <DownloadIcon className="size-4" />
                {invoiceLabel(order.invoice_number)} (PDF)
              </a>
            </dd>
          </>
        ) : null}
      </dl>
      <div className="mt-8 flex flex-col justify-center gap-2 sm:flex-row">
        <a
          href={receiptURL(order.id)}
          target="_blank"
          rel="noopener"
          data-testid="receipt-link"
          className="inline-flex h-10 items-center justify-center gap-2 rounded-fd-sm bg-primary px-4 text-sm font-semibold text-primary-contrast shadow-sm hover:brightness-110 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary"
        >
          <ReceiptIcon className="size-4" />
          View receipt
          <ExternalLinkIcon className="size-3.5 opacity-80" />
          <span className="sr-only">(opens in a new tab)</span>
        </a>
        <ButtonLink to="/billing" variant="secondary">
          Billing and invoices
        </ButtonLink>
        <Button variant="ghost" onClick={onAgain}>
          Order another
        </Button>
      </div>
    </Card>
  )
}

/** Test mode's stand-in for the bank's 3-D Secure check on the order being authenticated. */
export function TestAuthentication({
  order,
  busy,
  onCancel,
  onComplete,
}: {
  order: Order | null
  busy: boolean
  onCancel: () => void
  onComplete: (order: Order) => void
}) {
  return (
    <Dialog
      open={!!order}
      onClose={onCancel}
      title="Test 3-D Secure"
      description="In test mode this stands in for your bank's security check. Nothing is sent to a bank."
      testId="three-d-secure-dialog"
      footer={
        <>
          <Button variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
          <Button
            busy={busy}
            data-testid="complete-authentication"
            onClick={() => {
              if (order) onComplete(order)
            }}
          >
            Complete authentication
          </Button>
        </>
      }
    >
      <div className="flex items-start gap-3 rounded-fd-sm border border-amber-300 bg-amber-50 p-3.5 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-200">
        <FlaskIcon className="mt-0.5 size-4.5 shrink-0" />
        <p>
          Your bank asks you to confirm a payment of <strong>{order ? money(order.amount_cents, order.currency) : ''}</strong>.
          With a real card this is where you would approve it in your banking app.
        </p>
      </div>
    </Dialog>
  )
}
