import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { sentence, type ApiError } from '../../api'
import { cardLabel, money, perMonth, periodLabel, specLine, type Quote, type SavedCard, type Size } from '../../billing'
import { Alert, FormError, type FormState } from '../../components/forms'
import { ArrowRightIcon, FlaskIcon, LockIcon } from '../../components/icons'
import { Button, ButtonLink, Card, Spinner } from '../../components/ui'
import { isTestMode } from '../../config'
import { vmSummary } from './VmSections'
import { SummaryRow } from './parts'
import { CUSTOM, type DeployState } from './state'

/** The sticky order summary: what is being bought, the live price, the checkout's outcome and the pay button. */
export function OrderSummary({
  state,
  selected,
  selectedSize,
  quote,
  quoteLoading,
  quoteError,
  form,
  signedIn,
  loginHref,
  chosenCard,
  cardsLoaded,
  todo,
  canPay,
  onPay,
  details,
}: {
  /** What is being bought, in place of the VM's rows (an app's plan). */
  details?: ReactNode
  state: DeployState
  selected?: string
  selectedSize?: Size | undefined
  quote: Quote | null
  quoteLoading: boolean
  quoteError: ApiError | null
  form: FormState
  signedIn: boolean
  loginHref: string
  chosenCard: SavedCard | undefined
  cardsLoaded: boolean
  todo: string
  canPay: boolean
  onPay: () => void
}) {
  const { vm, ipv4, months, declined, pending, confirming } = state
  const busy = form.busy || confirming
  const total = quote ? money(quote.total_cents, quote.currency) : ''
  return (
    <Card className="p-5 sm:p-6" data-testid="order-summary">
      <h2 className="text-base font-semibold text-fg">Summary</h2>
      <dl className="mt-4 space-y-2.5 text-sm">
        {details ?? (
          <>
        {vmSummary(vm).map((r) => (
          <SummaryRow key={r.label} label={r.label}>
            <span className="break-all" data-testid={`summary-${r.label.toLowerCase()}`}>
              {r.value}
            </span>
          </SummaryRow>
        ))}
        <SummaryRow label="Size">
          <span data-testid="summary-size">{selected === CUSTOM ? 'Custom' : (selectedSize?.name ?? '—')}</span>
        </SummaryRow>
        {quote ? <p className="text-right text-xs text-muted">{specLine(quote.spec)}</p> : null}
        <SummaryRow label="Public IPv4">{ipv4 ? 'Yes' : 'No'}</SummaryRow>
        <SummaryRow label="Mycelium network">Included</SummaryRow>
        <SummaryRow label="Billing period">{periodLabel(months)}</SummaryRow>
          </>
        )}
      </dl>
      <dl className="mt-4 space-y-2.5 border-t border-border pt-4 text-sm" aria-live="polite" aria-busy={quoteLoading}>
        {quote?.lines?.map((l) => (
          <SummaryRow key={l.kind ?? l.label} label={l.label}>
            <span data-testid={`summary-line-${l.kind}`}>{perMonth(l.cents, quote.currency)}</span>
          </SummaryRow>
        ))}
        <SummaryRow label="Price">
          <span data-testid="summary-monthly">{quote ? perMonth(quote.monthly_cents, quote.currency) : '—'}</span>
        </SummaryRow>
        {quote && quote.months > 1 ? (
          <SummaryRow label={`${quote.months} months`}>{money(quote.subtotal_cents, quote.currency)}</SummaryRow>
        ) : null}
        {quote?.discounts.map((d) => (
          <SummaryRow key={d.label} label={d.label}>
            <span className="text-emerald-700 dark:text-emerald-300">−{money(d.cents, quote.currency)}</span>
          </SummaryRow>
        ))}
        <div className="border-t border-border pt-3">
          <SummaryRow label="Due today" strong>
            <span className="inline-flex items-center gap-2" data-testid="summary-total">
              {quoteLoading ? <Spinner className="size-4 text-muted" label="Updating the price" /> : null}
              {quote ? total : '—'}
            </span>
          </SummaryRow>
          {quote ? (
            <p className="mt-1 text-right text-xs text-muted">
              {quote.months === 1 ? 'Renews monthly' : `Renews every ${quote.months} months`} until you cancel
            </p>
          ) : null}
        </div>
      </dl>

      {quoteError && !quoteError.field ? (
        <Alert tone="error" className="mt-4">
          {sentence(quoteError.message)}
        </Alert>
      ) : null}

      <div className="mt-5 space-y-3">
        {declined ? (
          <Alert tone="error" title={declined.title} data-testid="payment-declined">
            <span data-testid="decline-message">{declined.message}</span>{' '}
            <strong className="font-semibold">No money was taken.</strong> Pick another card or add a new one, then try
            again.
          </Alert>
        ) : null}
        {pending ? (
          <Alert tone="info" title="Still confirming your payment" data-testid="payment-pending">
            Your bank has not confirmed the payment yet. It will appear under{' '}
            <Link to="/billing" className="font-medium underline">
              Billing
            </Link>{' '}
            as soon as it does; there is no need to pay again.
          </Alert>
        ) : null}
        <FormError form={form} />

        {signedIn ? (
          <>
            {chosenCard ? (
              <p className="flex items-center gap-2 text-sm text-muted">
                <LockIcon className="size-4 shrink-0" />
                <span>
                  Charged to <span className="font-medium text-fg">{cardLabel(chosenCard)}</span>
                </span>
              </p>
            ) : null}
            <Button
              size="lg"
              className="w-full"
              onClick={onPay}
              busy={busy}
              disabled={!canPay || form.retryIn > 0}
              data-testid="pay-button"
            >
              {confirming ? 'Confirming payment…' : form.busy ? 'Paying…' : quote ? `Pay ${total} and deploy` : 'Pay and deploy'}
            </Button>
            {todo && chosenCard ? (
              <p className="text-center text-xs text-muted" data-testid="deploy-todo">
                {todo}
              </p>
            ) : null}
            {!chosenCard && cardsLoaded ? <p className="text-center text-xs text-muted">Add a card to pay.</p> : null}
          </>
        ) : (
          <>
            <ButtonLink to={loginHref} size="lg" className="w-full" data-testid="login-to-deploy">
              Log in to deploy
              <ArrowRightIcon className="size-4.5" />
            </ButtonLink>
            <p className="text-center text-sm text-muted">
              New here?{' '}
              <Link to="/signup" className="font-medium text-primary hover:underline">
                Create an account
              </Link>
            </p>
          </>
        )}
        {isTestMode ? (
          <p className="flex items-center justify-center gap-1.5 text-xs text-muted">
            <FlaskIcon className="size-3.5" />
            Test mode: no real card is charged.
          </p>
        ) : null}
      </div>
    </Card>
  )
}
