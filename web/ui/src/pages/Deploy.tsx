import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react'
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router'
import { api, isApiError, sentence, type ApiError } from '../api'
import {
  cardLabel,
  money,
  newClientKey,
  perMonth,
  periodLabel,
  periods,
  pollOrder,
  pct,
  receiptURL,
  specLine,
  tierFor,
  useQuote,
  type Catalog,
  type CardList,
  type Order,
  type Quote,
  type QuoteInput,
} from '../billing'
import { AddCard, CardSummary } from '../components/cards'
import { Loading, useApi } from '../components/data'
import { Dialog } from '../components/Dialog'
import { Alert, ErrorPanel, FieldError, FormError, TextField, useForm } from '../components/forms'
import {
  ArrowRightIcon,
  CheckCircleIcon,
  CpuIcon,
  DiskIcon,
  ExternalLinkIcon,
  FlaskIcon,
  LockIcon,
  MemoryIcon,
  PlusIcon,
  ReceiptIcon,
  RocketIcon,
  ShieldCheckIcon,
} from '../components/icons'
import { Button, ButtonLink, Card, Container, cx, Spinner, usePageTitle } from '../components/ui'
import { isTestMode } from '../config'
import { capabilityOf, type Offer } from '../coop'
import type { Deployment } from '../deployments'
import { useSession } from '../session'
import {
  BackupPicker,
  ImagePicker,
  NameField,
  PlacementPicker,
  SshKeyField,
  useVmChoice,
  vmFields,
  vmProblem,
  vmRequest,
  vmSummary,
} from './deploy/VmSections'

// The create-server flow, top to bottom: name → image → size → network → SSH key →
// placement → backup → billing period → card, with the live price in a sticky summary.
// The server's own sections (name, image, SSH key, placement, backup) live in
// deploy/VmSections; paying places the order and the deployment in one POST
// /api/deployments, and the customer then follows the server on /deployments/:id.

const CUSTOM = 'custom'

interface CustomSpec {
  cpu: string
  ram_gb: string
  disk_gb: string
}

function Step({
  n,
  title,
  description,
  children,
  testId,
}: {
  n: number
  title: string
  description?: ReactNode
  children: ReactNode
  testId?: string
}) {
  const id = useId()
  return (
    <section aria-labelledby={id} className="scroll-mt-24" data-testid={testId}>
      <div className="flex items-start gap-3">
        <span className="mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-full border border-primary/30 bg-primary/10 text-sm font-bold text-primary">
          {n}
        </span>
        <div className="min-w-0">
          <h2 id={id} className="text-lg font-semibold text-fg">
            {title}
          </h2>
          {description ? <p className="mt-0.5 text-sm text-muted">{description}</p> : null}
        </div>
      </div>
      <div className="mt-4 sm:pl-10">{children}</div>
    </section>
  )
}

/** A card-like radio option: the whole box is the label, the radio itself is visually hidden. */
function OptionCard({
  name,
  value,
  checked,
  onChange,
  children,
  className,
  testId,
}: {
  name: string
  value: string
  checked: boolean
  onChange: () => void
  children: ReactNode
  className?: string
  testId?: string
}) {
  return (
    <label
      data-testid={testId}
      data-checked={checked || undefined}
      className={cx(
        'relative flex cursor-pointer flex-col rounded-fd border bg-surface p-4 shadow-xs transition-[border-color,box-shadow]',
        'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
        checked ? 'border-primary ring-1 ring-primary' : 'border-border hover:border-primary/40',
        className,
      )}
    >
      <input type="radio" name={name} value={value} checked={checked} onChange={onChange} className="sr-only" />
      {checked ? (
        <CheckCircleIcon className="absolute top-3 right-3 size-5 text-primary" aria-hidden="true" />
      ) : null}
      {children}
    </label>
  )
}

function Spec({ icon: I, children }: { icon: typeof CpuIcon; children: ReactNode }) {
  return (
    <li className="flex items-center gap-2 text-sm text-fg">
      <I className="size-4 shrink-0 text-muted" />
      {children}
    </li>
  )
}

function Switch({
  checked,
  onChange,
  label,
  description,
  name,
}: {
  checked: boolean
  onChange: (v: boolean) => void
  label: string
  description: ReactNode
  name: string
}) {
  const id = useId()
  return (
    <div className="flex items-start justify-between gap-4">
      <div className="min-w-0">
        <label htmlFor={id} className="text-sm font-medium text-fg">
          {label}
        </label>
        <p id={`${id}-d`} className="mt-0.5 text-sm text-muted">
          {description}
        </p>
      </div>
      <button
        id={id}
        name={name}
        type="button"
        role="switch"
        aria-checked={checked}
        aria-describedby={`${id}-d`}
        onClick={() => onChange(!checked)}
        data-testid={`switch-${name}`}
        className={cx(
          'relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary',
          checked ? 'bg-primary' : 'bg-border',
        )}
      >
        <span
          aria-hidden="true"
          className={cx(
            'inline-block size-5 rounded-full bg-surface shadow ring-1 ring-black/5 transition-transform',
            checked ? 'translate-x-5.5' : 'translate-x-0.5',
          )}
        />
      </button>
    </div>
  )
}

/** What the customer sees after paying: the order is paid, with its receipt. */
function Confirmation({ order, onAgain }: { order: Order; onAgain: () => void }) {
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
          Billing and receipts
        </ButtonLink>
        <Button variant="ghost" onClick={onAgain}>
          Order another
        </Button>
      </div>
    </Card>
  )
}

function SummaryRow({ label, children, strong }: { label: ReactNode; children: ReactNode; strong?: boolean }) {
  return (
    <div className="flex items-baseline justify-between gap-4">
      <dt className={cx(strong ? 'font-semibold text-fg' : 'text-muted')}>{label}</dt>
      <dd className={cx('text-right', strong ? 'text-lg font-bold text-fg' : 'text-fg')}>{children}</dd>
    </div>
  )
}

export function Deploy() {
  usePageTitle('Deploy a VM')
  const session = useSession()
  const signedIn = session.status === 'signed-in'
  const location = useLocation()
  const [params] = useSearchParams()
  const catalog = useApi<Catalog>('/api/catalog')
  const cards = useApi<CardList>(signedIn ? '/api/cards' : null)
  // Opened from a co-op offer (?offer=): its sizes, and only its nodes.
  const offerId = params.get('offer') || undefined
  const offer = useApi<Offer>(offerId ? `/api/offers/${encodeURIComponent(offerId)}` : null)

  const [size, setSize] = useState(params.get('size') ?? '')
  const [custom, setCustom] = useState<CustomSpec>({ cpu: '2', ram_gb: '4', disk_gb: '50' })
  const [ipv4, setIpv4] = useState(false)
  const [months, setMonths] = useState(1)
  const [couponText, setCouponText] = useState('')
  const [coupon, setCoupon] = useState('')
  const [couponError, setCouponError] = useState<ApiError | null>(null)
  const [applying, setApplying] = useState(false)
  const [cardChoice, setCardChoice] = useState('')
  const [adding, setAdding] = useState(false)

  const [paid, setPaid] = useState<Order | null>(null)
  const [declined, setDeclined] = useState<{ title: string; message: string } | null>(null)
  const [pending, setPending] = useState<Order | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [auth, setAuth] = useState<Order | null>(null)
  const form = useForm(['size', 'cpu', 'ram_gb', 'disk_gb', 'months', 'coupon', 'payment_method', ...vmFields])
  const [vm, setVm] = useVmChoice()
  const navigate = useNavigate()
  // The deployment the current attempt created (its order is what we follow).
  const deployment = useRef<Pick<Deployment, 'id'> | null>(null)

  const offerSizes = offer.data?.sizes ?? []
  const sizes = (catalog.data?.sizes ?? []).filter((s) => offerSizes.length === 0 || offerSizes.includes(s.id))
  const currency = catalog.data?.currency ?? 'usd'
  const offersCustom = !!catalog.data?.custom && offerSizes.length === 0
  // The size on offer that is selected: the one asked for, else the first.
  const selected =
    size === CUSTOM && offersCustom ? CUSTOM : sizes.some((s) => s.id === size) ? size : (sizes[0]?.id ?? '')
  const selectedSize = sizes.find((s) => s.id === selected)

  const quoteInput: QuoteInput | null = useMemo(() => {
    if (!selected) return null
    const base: QuoteInput = { size: selected, ipv4, months }
    if (selected === CUSTOM) {
      base.cpu = Number(custom.cpu) || 0
      base.ram_gb = Number(custom.ram_gb) || 0
      base.disk_gb = Number(custom.disk_gb) || 0
    }
    if (coupon) base.coupon = coupon
    return base
  }, [selected, ipv4, months, custom, coupon])
  const live = useQuote(quoteInput)
  const quote: Quote | null = live.error ? null : live.quote
  // The chosen size, so the node picker can mark nodes without room for it.
  const need = useMemo(() => {
    const s = quote?.spec ?? selectedSize
    return s ? { cpu: s.cpu, ram_gb: s.ram_gb, disk_gb: s.disk_gb } : null
  }, [quote?.spec, selectedSize])

  // The card to charge: the one picked, else the default.
  const savedCards = cards.data?.items ?? []
  const chosenCard =
    savedCards.find((c) => c.id === cardChoice) ?? savedCards.find((c) => c.is_default) ?? savedCards[0]
  const showAddCard = signedIn && !!cards.data && (adding || savedCards.length === 0)

  // One idempotency key per checkout attempt: a double-click or a retry after a network
  // error reuses it (the server returns the same order and never charges twice); any
  // change to the order, or a settled failure, starts a new attempt.
  const clientKey = useRef(newClientKey())
  const attempt = JSON.stringify([quoteInput, chosenCard?.id, vmRequest(vm)])
  useEffect(() => {
    clientKey.current = newClientKey()
  }, [attempt])

  // A coupon code error comes from applying it, the live quote, or checkout.
  const fieldError = (name: string): string | undefined => {
    if (name === 'coupon' && couponError) return sentence(couponError.message)
    if (live.error?.field === name) return sentence(live.error.message)
    return form.fieldError(name)
  }

  const applyCoupon = async () => {
    const code = couponText.trim()
    setCouponError(null)
    if (!code) {
      setCoupon('')
      return
    }
    if (!quoteInput) return
    setApplying(true)
    try {
      const q = await api.post<Quote>('/api/quote', { ...quoteInput, coupon: code })
      setCoupon(q.coupon || code.toUpperCase())
      setCouponText(q.coupon || code.toUpperCase())
    } catch (err) {
      if (isApiError(err)) setCouponError(err)
    } finally {
      setApplying(false)
    }
  }

  // Follow an order until the webhook settles it.
  const follow = async (first: Order, authenticated = false) => {
    let o = first
    if (o.status === 'requires_action' && !authenticated) {
      if (isTestMode) {
        setAuth(o)
        return
      }
      const { handleNextAction } = await import('../components/stripeLive')
      const msg = await handleNextAction(o.client_secret ?? '')
      if (msg) {
        clientKey.current = newClientKey()
        setDeclined({ title: 'Your payment was not completed', message: msg })
        return
      }
      authenticated = true
    }
    if (o.status === 'awaiting_payment' || o.status === 'requires_action') {
      setConfirming(true)
      try {
        o = await pollOrder(o.id, { throughAction: authenticated })
      } finally {
        setConfirming(false)
      }
    }
    if (deployment.current && o.status !== 'failed' && o.status !== 'requires_action') {
      // Paid, or still confirming: the deployment's page follows it from here.
      navigate(`/deployments/${deployment.current.id}`)
    } else if (o.status === 'paid') {
      setPaid(o)
      window.scrollTo({ top: 0 })
    } else if (o.status === 'failed') {
      clientKey.current = newClientKey()
      setDeclined({ title: 'Your payment was declined', message: o.failure_message || 'Your card was declined.' })
    } else if (o.status === 'requires_action') {
      setAuth(o)
    } else {
      setPending(o)
    }
  }

  const pay = () =>
    form.run(async () => {
      if (!quoteInput) return
      setDeclined(null)
      setPending(null)
      deployment.current = null
      let o: Order
      try {
        const d = await api.post<Omit<Deployment, 'order'> & { order?: Order }>('/api/deployments', {
          ...quoteInput,
          ...vmRequest(vm),
          payment_method: chosenCard?.id,
          client_key: clientKey.current,
          offer_id: offerId,
        })
        deployment.current = d
        if (!d.order) {
          navigate(`/deployments/${d.id}`)
          return
        }
        o = d.order
      } catch (err) {
        // A card refused before the charge was made: the same clear message as a decline.
        if (isApiError(err) && err.field === 'card') {
          clientKey.current = newClientKey()
          setDeclined({ title: 'Your payment was declined', message: sentence(err.message) })
          return
        }
        throw err
      }
      await follow(o)
    })

  // A payment that did not go through leaves its deployment waiting: cancel it, so the
  // next attempt may use the same name.
  useEffect(() => {
    const d = deployment.current
    if (!declined || !d) return
    deployment.current = null
    void api.del(`/api/deployments/${encodeURIComponent(d.id)}`).catch(() => {})
  }, [declined])

  const again = () => {
    setPaid(null)
    setDeclined(null)
    setPending(null)
    clientKey.current = newClientKey()
    window.scrollTo({ top: 0 })
  }

  if (paid)
    return (
      <Container className="py-12 sm:py-16">
        <Confirmation order={paid} onAgain={again} />
      </Container>
    )

  const loginHref = `/login?next=${encodeURIComponent(location.pathname + location.search)}`
  const busy = form.busy || confirming
  const total = quote ? money(quote.total_cents, quote.currency) : ''
  const todo = vmProblem(vm)
  const canPay = signedIn && !!quote && !!chosenCard && !live.loading && !busy && !adding && !todo

  const summary = (
    <Card className="p-5 sm:p-6" data-testid="order-summary">
      <h2 className="text-base font-semibold text-fg">Summary</h2>
      <dl className="mt-4 space-y-2.5 text-sm">
        {vmSummary(vm).map((r) => (
          <SummaryRow key={r.label} label={r.label}>
            <span className="break-all" data-testid={`summary-${r.label.toLowerCase()}`}>
              {r.value}
            </span>
          </SummaryRow>
        ))}
        <SummaryRow label="Size">
          <span data-testid="summary-size">
            {selected === CUSTOM ? 'Custom' : (selectedSize?.name ?? '—')}
          </span>
        </SummaryRow>
        {quote ? (
          <p className="text-right text-xs text-muted">{specLine(quote.spec)}</p>
        ) : null}
        <SummaryRow label="Public IPv4">{ipv4 ? 'Yes' : 'No'}</SummaryRow>
        <SummaryRow label="Mycelium network">Included</SummaryRow>
        <SummaryRow label="Billing period">{periodLabel(months)}</SummaryRow>
      </dl>
      <dl className="mt-4 space-y-2.5 border-t border-border pt-4 text-sm" aria-live="polite" aria-busy={live.loading}>
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
              {live.loading ? <Spinner className="size-4 text-muted" label="Updating the price" /> : null}
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

      {live.error && !live.error.field ? (
        <Alert tone="error" className="mt-4">
          {sentence(live.error.message)}
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
              onClick={() => void pay()}
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
            {!chosenCard && cards.data ? (
              <p className="text-center text-xs text-muted">Add a card to pay.</p>
            ) : null}
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

  return (
    <Container className="py-8 sm:py-12">
      <div className="max-w-3xl">
        <h1 className="text-3xl font-bold tracking-tight text-fg">Deploy a VM</h1>
        <p className="mt-2 text-base leading-7 text-muted">
          Name your server, pick an image and a size, add your SSH key and pay by card. You see the exact price before
          you pay, then watch your server start.
        </p>
      </div>

      {offerId && offer.data ? (
        <Alert tone="info" className="mt-6 max-w-3xl" data-testid="deploy-offer">
          <strong className="text-fg">{offer.data.name}</strong>: your server runs on one of our{' '}
          {(capabilityOf(offer.data.capability)?.label ?? offer.data.capability).replace(/^[A-Z][a-z]/, (m) => m.toLowerCase())}
          {offerSizes.length ? ', in the sizes of this offer' : ''}. <Link to="/deploy" className="font-medium text-primary underline">Deploy without the offer</Link>
        </Alert>
      ) : offerId && offer.error ? (
        <Alert tone="warning" className="mt-6 max-w-3xl" data-testid="deploy-offer-gone">
          This offer is not available any more. <Link to="/deploy" className="font-medium text-primary underline">Deploy a VM without it</Link>
        </Alert>
      ) : null}
      {catalog.error ? (
        <div className="mt-8">
          <ErrorPanel error={catalog.error} onRetry={catalog.reload} />
        </div>
      ) : !catalog.data ? (
        <Loading label="Loading sizes and prices…" />
      ) : (
        <div className="mt-8 grid gap-8 lg:grid-cols-[minmax(0,1fr)_22rem] lg:gap-10">
          <form
            ref={form.formRef}
            onSubmit={(e) => e.preventDefault()}
            noValidate
            className="min-w-0 space-y-10"
            aria-label="Your VM"
          >
            <Step n={1} title="Name" description="How you will recognise your server." testId="name-step">
              <NameField value={vm.name} onChange={(name) => setVm({ name })} error={form.fieldError('name')} />
            </Step>

            <Step n={2} title="Image" description="The operating system your server boots." testId="image-step">
              <ImagePicker value={vm.image} onChange={(image) => setVm({ image })} error={form.fieldError('image')} />
            </Step>

            <Step n={3} title="Size" description="Dedicated vCPUs, memory and SSD storage.">
              <div
                role="radiogroup"
                aria-label="Size"
                className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3"
                data-testid="size-options"
              >
                {sizes.map((s) => (
                  <OptionCard
                    key={s.id}
                    name="size"
                    value={s.id}
                    checked={selected === s.id}
                    onChange={() => setSize(s.id)}
                    testId={`size-${s.id}`}
                  >
                    <span className="pr-7 text-base font-semibold text-fg">{s.name}</span>
                    <ul className="mt-3 space-y-1.5">
                      <Spec icon={CpuIcon}>{s.cpu} vCPU</Spec>
                      <Spec icon={MemoryIcon}>{s.ram_gb} GB memory</Spec>
                      <Spec icon={DiskIcon}>{s.disk_gb} GB SSD</Spec>
                    </ul>
                    <span className="mt-4 border-t border-border pt-3 text-sm">
                      <span className="text-base font-bold text-fg">{money(s.monthly_cents ?? 0, currency)}</span>
                      <span className="text-muted"> / month</span>
                    </span>
                  </OptionCard>
                ))}
                {offersCustom ? (
                  <OptionCard
                    name="size"
                    value={CUSTOM}
                    checked={selected === CUSTOM}
                    onChange={() => setSize(CUSTOM)}
                    testId="size-custom"
                    className="gap-3 sm:col-span-2 sm:flex-row sm:items-center sm:justify-between xl:col-span-3"
                  >
                    <span className="min-w-0 pr-7 sm:pr-0">
                      <span className="block text-base font-semibold text-fg">Custom</span>
                      <span className="mt-1 block text-sm text-muted">
                        Choose exactly how many vCPUs, and how much memory and disk you need.
                      </span>
                    </span>
                    <span className="shrink-0 border-t border-border pt-3 text-sm text-muted sm:mr-8 sm:border-t-0 sm:pt-0">
                      {selected === CUSTOM && quote ? (
                        <>
                          <span className="text-base font-bold text-fg">{money(quote.monthly_cents, currency)}</span>{' '}
                          / month
                        </>
                      ) : (
                        'Priced as you choose'
                      )}
                    </span>
                  </OptionCard>
                ) : null}
              </div>
              <FieldError id="size-error" name="size">
                {fieldError('size')}
              </FieldError>
              {selected === CUSTOM ? (
                <div className="mt-4 grid gap-4 sm:grid-cols-3" data-testid="custom-size">
                  <TextField
                    label="vCPU"
                    name="cpu"
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={32}
                    value={custom.cpu}
                    onChange={(e) => setCustom({ ...custom, cpu: e.target.value })}
                    hint="1 to 32"
                    error={fieldError('cpu')}
                  />
                  <TextField
                    label="Memory (GB)"
                    name="ram_gb"
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={256}
                    value={custom.ram_gb}
                    onChange={(e) => setCustom({ ...custom, ram_gb: e.target.value })}
                    hint="1 to 256"
                    error={fieldError('ram_gb')}
                  />
                  <TextField
                    label="Disk (GB)"
                    name="disk_gb"
                    type="number"
                    inputMode="numeric"
                    min={15}
                    max={4000}
                    value={custom.disk_gb}
                    onChange={(e) => setCustom({ ...custom, disk_gb: e.target.value })}
                    hint="15 to 4000"
                    error={fieldError('disk_gb')}
                  />
                </div>
              ) : null}
            </Step>

            <Step n={4} title="Network" description="Every VM is reachable over Mycelium, an encrypted IPv6 overlay network.">
              <Card className="divide-y divide-border">
                <div className="p-4">
                  <Switch
                    name="ipv4"
                    checked={ipv4}
                    onChange={setIpv4}
                    label="Public IPv4 address"
                    description="A dedicated public IPv4 address, for services the whole internet must reach. Adds to the monthly price."
                  />
                </div>
                <div className="flex items-start justify-between gap-4 p-4">
                  <div>
                    <p className="text-sm font-medium text-fg">Mycelium networking</p>
                    <p className="mt-0.5 text-sm text-muted">End-to-end encrypted, reachable from anywhere.</p>
                  </div>
                  <span className="inline-flex shrink-0 items-center gap-1 text-sm font-medium text-emerald-700 dark:text-emerald-300">
                    <ShieldCheckIcon className="size-4" />
                    Always on
                  </span>
                </div>
              </Card>
            </Step>

            <Step n={5} title="SSH key" description="You log in as root with this key; passwords are switched off." testId="ssh-step">
              <SshKeyField
                choice={vm}
                onChange={setVm}
                error={form.fieldError('ssh_key')}
                idError={form.fieldError('ssh_key_id')}
                nameError={form.fieldError('ssh_key_name')}
              />
            </Step>

            <Step n={6} title="Placement" description="Which machine on the grid runs your server." testId="placement-step">
              <PlacementPicker
                placement={vm.placement}
                nodeId={vm.node_id}
                onChange={setVm}
                need={need}
                offer={offerId}
                error={form.fieldError('node_id') ?? form.fieldError('placement')}
              />
            </Step>

            <Step n={7} title="Backup" description="What happens if the machine under your server fails." testId="backup-step">
              <BackupPicker value={vm.backup} onChange={(backup) => setVm({ backup })} error={form.fieldError('backup')} />
            </Step>

            <Step n={8} title="Billing period" description="Pay for longer and save. Your VM renews at the end of each period.">
              <div role="radiogroup" aria-label="Billing period" className="grid grid-cols-2 gap-3 sm:grid-cols-4">
                {periods.map((m) => {
                  const tier = tierFor(catalog.data?.tiers, m)
                  return (
                    <OptionCard
                      key={m}
                      name="months"
                      value={String(m)}
                      checked={months === m}
                      onChange={() => setMonths(m)}
                      testId={`period-${m}`}
                      className="p-3.5"
                    >
                      <span className="pr-6 text-sm font-semibold text-fg">{periodLabel(m)}</span>
                      <span className="mt-1 text-xs">
                        {tier ? (
                          <span className="font-semibold text-emerald-700 dark:text-emerald-300">Save {pct(tier.pct_bps)}</span>
                        ) : (
                          <span className="text-muted">{m === 1 ? 'Pay as you go' : 'No discount'}</span>
                        )}
                      </span>
                    </OptionCard>
                  )
                })}
              </div>
              <FieldError id="months-error" name="months">
                {fieldError('months')}
              </FieldError>
              <div className="mt-5 max-w-md">
                <TextField
                  label="Coupon code"
                  name="coupon"
                  optional
                  value={couponText}
                  autoCapitalize="characters"
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(e) => {
                    setCouponText(e.target.value)
                    setCouponError(null)
                  }}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault()
                      void applyCoupon()
                    }
                  }}
                  error={fieldError('coupon')}
                  hint={coupon ? `${coupon} is applied.` : undefined}
                  trailing={
                    <Button
                      size="sm"
                      variant="ghost"
                      className="h-8"
                      busy={applying}
                      onClick={() => void applyCoupon()}
                      data-testid="apply-coupon"
                    >
                      {coupon && couponText.trim().toUpperCase() === coupon ? 'Applied' : 'Apply'}
                    </Button>
                  }
                  className="pr-24 uppercase"
                />
                {coupon ? (
                  <button
                    type="button"
                    className="mt-1.5 text-sm font-medium text-primary hover:underline"
                    onClick={() => {
                      setCoupon('')
                      setCouponText('')
                    }}
                  >
                    Remove coupon
                  </button>
                ) : null}
              </div>
            </Step>

            <Step n={9} title="Payment" description="Your card is charged today and at each renewal." testId="payment-step">
              {!signedIn ? (
                <Card className="flex flex-col items-start gap-4 p-5 sm:flex-row sm:items-center sm:justify-between">
                  <p className="text-sm text-muted">Log in or create an account to pay and deploy.</p>
                  <ButtonLink to={loginHref} variant="secondary">
                    Log in to deploy
                  </ButtonLink>
                </Card>
              ) : cards.error ? (
                <ErrorPanel error={cards.error} onRetry={cards.reload} />
              ) : !cards.data ? (
                <Loading label="Loading your cards…" />
              ) : (
                <div className="space-y-3">
                  {savedCards.length ? (
                    <div role="radiogroup" aria-label="Card" className="space-y-2" data-testid="card-picker">
                      {savedCards.map((c) => (
                        <OptionCard
                          key={c.id}
                          name="payment_method"
                          value={c.id}
                          checked={chosenCard?.id === c.id && !adding}
                          onChange={() => {
                            setCardChoice(c.id)
                            setAdding(false)
                          }}
                          testId={`pick-card-${c.id}`}
                          className="flex-row items-center justify-between gap-3 py-3"
                        >
                          <CardSummary card={c} />
                          {c.is_default ? (
                            <span className="mr-7 text-xs font-medium text-muted">Default</span>
                          ) : null}
                        </OptionCard>
                      ))}
                    </div>
                  ) : null}
                  <FieldError id="payment-method-error" name="payment_method">
                    {fieldError('payment_method')}
                  </FieldError>
                  {showAddCard ? (
                    <AddCard
                      cards={cards.data}
                      compact
                      onCancel={savedCards.length ? () => setAdding(false) : undefined}
                      onAdded={(list, card) => {
                        cards.reload()
                        setAdding(false)
                        if (card) setCardChoice(card.id)
                        else if (list.items[0]) setCardChoice(list.items[0].id)
                      }}
                    />
                  ) : (
                    <Button variant="secondary" onClick={() => setAdding(true)} data-testid="add-card-button">
                      <PlusIcon className="size-4" />
                      Add a card
                    </Button>
                  )}
                </div>
              )}
            </Step>
          </form>

          <aside className="lg:sticky lg:top-24 lg:self-start" aria-label="Order summary">
            {summary}
            <p className="mt-4 flex items-start gap-2 px-1 text-xs leading-5 text-muted">
              <RocketIcon className="mt-0.5 size-3.5 shrink-0" />
              Your server starts as soon as the payment is confirmed. You can follow every step live, and cancel at any
              time: unused time becomes credit.
            </p>
          </aside>
        </div>
      )}

      <Dialog
        open={!!auth}
        onClose={() => {
          setAuth(null)
          setDeclined({
            title: 'Your payment was not completed',
            message: 'Authentication was cancelled, so the payment did not go through.',
          })
        }}
        title="Test 3-D Secure"
        description="In test mode this stands in for your bank's security check. Nothing is sent to a bank."
        testId="three-d-secure-dialog"
        footer={
          <>
            <Button
              variant="secondary"
              onClick={() => {
                setAuth(null)
                setDeclined({
            title: 'Your payment was not completed',
            message: 'Authentication was cancelled, so the payment did not go through.',
          })
              }}
            >
              Cancel
            </Button>
            <Button
              busy={form.busy}
              data-testid="complete-authentication"
              onClick={() => {
                const o = auth
                if (!o) return
                void form.run(async () => {
                  const next = await api.post<Order>(`/api/orders/${o.id}/mock-authenticate`)
                  setAuth(null)
                  await follow(next, true)
                })
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
            Your bank asks you to confirm a payment of{' '}
            <strong>{auth ? money(auth.amount_cents, auth.currency) : ''}</strong>. With a real card this is where you
            would approve it in your banking app.
          </p>
        </div>
      </Dialog>
    </Container>
  )
}
