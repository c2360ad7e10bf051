import { useMemo, useReducer } from 'react'
import { Link, useLocation, useSearchParams } from 'react-router'
import { oneClick, type App } from '../apps'
import { useQuote, type Catalog, type CardList, type Quote, type QuoteInput } from '../billing'
import { Loading, useApi } from '../components/data'
import { Alert, ErrorPanel, useForm } from '../components/forms'
import { RocketIcon } from '../components/icons'
import { Container, usePageTitle } from '../components/ui'
import { capabilityOf, type Offer } from '../coop'
import { useSession } from '../session'
import { orderForm, useCheckout } from './deploy/checkout'
import { Confirmation, TestAuthentication } from './deploy/Confirmation'
import { Step } from './deploy/parts'
import { NetworkStep, PaymentStep, PeriodStep, SizeStep } from './deploy/Sections'
import { CUSTOM, deployReducer, initialDeployState } from './deploy/state'
import { OrderSummary } from './deploy/Summary'
import { BackupPicker, ImagePicker, NameField, PlacementPicker, SshKeyField, vmFields, vmProblem, vmRequest } from './deploy/VmSections'

// The create-server flow, top to bottom: name → image → size → network → SSH key →
// placement → backup → billing period → card, with the live price in a sticky summary.
// The page holds one state (deploy/state: deployReducer); each step is its own component
// (the server's sections in deploy/VmSections, size/network/period/payment in
// deploy/Sections, the summary in deploy/Summary). Paying places the order and the
// deployment in one POST /api/deployments, and the customer then follows the server on
// /deployments/:id.

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
  const catalogApps = useApi<{ apps: App[] }>('/api/apps')
  const apps = oneClick(catalogApps.data?.apps ?? [])

  const [state, dispatch] = useReducer(deployReducer, params.get('size') ?? '', initialDeployState)
  const { size, custom, ipv4, months, coupon, vm } = state
  const form = useForm(['size', 'cpu', 'ram_gb', 'disk_gb', 'months', 'coupon', 'payment_method', 'ipv4', ...vmFields])

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
    const base: QuoteInput = { size: selected, ipv4, months, backup: vm.backup }
    if (selected === CUSTOM) {
      base.cpu = Number(custom.cpu) || 0
      base.ram_gb = Number(custom.ram_gb) || 0
      base.disk_gb = Number(custom.disk_gb) || 0
    }
    if (coupon) base.coupon = coupon
    if (offerId) {
      // A GPU offer's price includes renting the node the order would take.
      base.offer_id = offerId
      base.placement = vm.placement
      if (vm.placement === 'advanced' && vm.node_id) base.node_id = vm.node_id
    }
    return base
  }, [selected, ipv4, months, custom, coupon, vm.backup, offerId, vm.placement, vm.node_id])
  const live = useQuote(quoteInput)
  const quote: Quote | null = live.error ? null : live.quote
  // The chosen size, so the node picker can mark nodes without room for it.
  const need = useMemo(() => {
    const s = quote?.spec ?? selectedSize
    return s ? { cpu: s.cpu, ram_gb: s.ram_gb, disk_gb: s.disk_gb } : null
  }, [quote?.spec, selectedSize])

  const { savedCards, chosenCard, showAddCard, fieldError, applyCoupon } = orderForm(state, dispatch, form, live, quoteInput, cards.data, signedIn)

  const attempt = JSON.stringify([quoteInput, chosenCard?.id, vmRequest(vm)])
  const checkout = useCheckout(state, dispatch, form, attempt)



  const pay = () =>
    checkout.pay(() =>
      quoteInput ? { ...quoteInput, ...vmRequest(vm), payment_method: chosenCard?.id, offer_id: offerId } : null,
    )

  if (state.paid)
    return (
      <Container className="py-12 sm:py-16">
        <Confirmation order={state.paid} onAgain={checkout.again} />
      </Container>
    )

  const loginHref = `/login?next=${encodeURIComponent(location.pathname + location.search)}`
  const busy = form.busy || state.confirming
  const todo = vmProblem(vm)
  const canPay = signedIn && !!quote && !!chosenCard && !live.loading && !busy && !state.adding && !todo
  const setVm = (patch: Partial<typeof vm>) => dispatch({ type: 'vm', patch })

  return (
    <Container className="py-8 sm:py-12">
      <div className="max-w-3xl">
        <h1 className="text-3xl font-bold tracking-tight text-fg">Deploy a VM</h1>
        <p className="mt-2 text-base leading-7 text-muted">
          Name your server, pick an image and a size, add your SSH key and pay by card. You see the exact price before
          you pay, then watch your server start.
        </p>
        {!offerId && apps.length ? (
          <p className="mt-3 text-sm text-muted" data-testid="deploy-apps-link">
            Want it ready to use? {apps.map((a) => a.name).join(', ')} come set up as{' '}
            <Link to="/apps" className="font-medium text-primary hover:underline">
              one-click apps
            </Link>
            .
          </p>
        ) : null}
      </div>

      {offerId && offer.data ? (
        <Alert tone="info" className="mt-6 max-w-3xl" data-testid="deploy-offer">
          <strong className="text-fg">{offer.data.name}</strong>: your server runs on one of our{' '}
          {(capabilityOf(offer.data.capability)?.label ?? offer.data.capability).replace(/^[A-Z][a-z]/, (m) => m.toLowerCase())}
          {offerSizes.length ? ', in the sizes of this offer' : ''}.{' '}
          {offer.data.capability === 'gpu' ? (
            <span data-testid="deploy-offer-rent">
              A GPU server rents its node whole, so the node&apos;s rent is part of the price in the summary.{' '}
            </span>
          ) : null}
          <Link to="/deploy" className="font-medium text-primary underline">
            Deploy without the offer
          </Link>
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

            <SizeStep
              state={state}
              dispatch={dispatch}
              sizes={sizes}
              selected={selected}
              offersCustom={offersCustom}
              quote={quote}
              currency={currency}
              fieldError={fieldError}
            />

            <NetworkStep ipv4={ipv4} dispatch={dispatch} error={vm.placement === 'advanced' ? undefined : form.fieldError('ipv4')} />

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
                ipv4={ipv4}
                offer={offerId}
                error={form.fieldError('node_id') ?? form.fieldError('placement') ?? form.fieldError('ipv4')}
              />
            </Step>

            <Step n={7} title="Backup" description="What happens if the machine under your server fails." testId="backup-step">
              <BackupPicker value={vm.backup} onChange={(backup) => setVm({ backup })} error={form.fieldError('backup')} />
            </Step>

            <PeriodStep
              state={state}
              dispatch={dispatch}
              tiers={catalog.data.tiers}
              onApplyCoupon={() => void applyCoupon()}
              fieldError={fieldError}
            />

            <PaymentStep
              state={state}
              dispatch={dispatch}
              signedIn={signedIn}
              loginHref={loginHref}
              cards={cards}
              savedCards={savedCards}
              chosenCard={chosenCard}
              showAddCard={showAddCard}
              fieldError={fieldError}
            />
          </form>

          <aside className="lg:sticky lg:top-24 lg:self-start" aria-label="Order summary">
            <OrderSummary
              state={state}
              selected={selected}
              selectedSize={selectedSize}
              quote={quote}
              quoteLoading={live.loading}
              quoteError={live.error}
              form={form}
              signedIn={signedIn}
              loginHref={loginHref}
              chosenCard={chosenCard}
              cardsLoaded={!!cards.data}
              todo={todo}
              canPay={canPay}
              onPay={() => void pay()}
            />
            <p className="mt-4 flex items-start gap-2 px-1 text-xs leading-5 text-muted">
              <RocketIcon className="mt-0.5 size-3.5 shrink-0" />
              Your server starts as soon as the payment is confirmed. You can follow every step live, and cancel at any
              time: unused time becomes credit.
            </p>
          </aside>
        </div>
      )}

      <TestAuthentication
        order={state.auth}
        busy={form.busy}
        onCancel={() => dispatch({ type: 'auth-cancelled' })}
        onComplete={(o) => void checkout.completeTestAuthentication(o)}
      />
    </Container>
  )
}
