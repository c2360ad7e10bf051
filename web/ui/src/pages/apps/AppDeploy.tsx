import { useMemo, useReducer, useState } from 'react'
import { Link, useLocation, useParams, useSearchParams } from 'react-router'
import { AppMark, appConfig, configProblem, fieldProblem, initialValues, requirement, type App, type AppField, type FormValues } from '../../apps'
import { periodLabel, useQuote, type Catalog, type CardList, type Quote, type QuoteInput } from '../../billing'
import { Badge, Loading, useApi } from '../../components/data'
import { Alert, ErrorPanel, FieldError, TextField, useForm } from '../../components/forms'
import { RocketIcon } from '../../components/icons'
import { Card, Container, usePageTitle } from '../../components/ui'
import { capabilityOf, type Offer } from '../../coop'
import { useSession } from '../../session'
import { NotFound } from '../NotFound'
import { orderForm, useCheckout } from '../deploy/checkout'
import { Confirmation, TestAuthentication } from '../deploy/Confirmation'
import { OptionCard, Step, SummaryRow, Switch } from '../deploy/parts'
import { PaymentStep, PeriodStep } from '../deploy/Sections'
import { deployReducer, initialDeployState } from '../deploy/state'
import { OrderSummary } from '../deploy/Summary'
import { NameField, PlacementPicker, SshKeyField, vmProblem, type VmChoice } from '../deploy/VmSections'

// The order form of one app (/deploy/app/:key, ?offer= from a co-op offer): name → the
// app's own fields (GET /api/apps) → SSH key → billing period → card, with the live price
// lines (POST /api/quote with app and app_config) in the sticky summary. Paying is the
// VM's checkout (deploy/checkout): one POST /api/deployments, 3-D Secure when the bank
// asks, then the deployment's page.

/** The request fields of the parts shared with /deploy; app fields are app_config.<key>. */
const sharedFields = ['name', 'ssh_key', 'ssh_key_id', 'ssh_key_name', 'placement', 'node_id', 'months', 'coupon', 'payment_method', 'offer_id', 'app']

export function AppDeploy() {
  const { key = '' } = useParams()
  const apps = useApi<{ apps: App[] }>('/api/apps')
  const app = apps.data?.apps.find((a) => a.key === key)
  if (apps.error) {
    return (
      <Container className="py-10">
        <ErrorPanel error={apps.error} onRetry={apps.reload} />
      </Container>
    )
  }
  if (!apps.data) return <Loading label="Loading the app…" />
  if (!app || app.key === 'vm') return <NotFound />
  return <AppOrder app={app} key={app.key} />
}

function AppOrder({ app }: { app: App }) {
  usePageTitle(`Deploy ${app.name}`)
  const session = useSession()
  const signedIn = session.status === 'signed-in'
  const location = useLocation()
  const [params] = useSearchParams()
  const catalog = useApi<Catalog>('/api/catalog')
  const cards = useApi<CardList>(signedIn ? '/api/cards' : null)
  const offerId = params.get('offer') || undefined
  const offer = useApi<Offer>(offerId ? `/api/offers/${encodeURIComponent(offerId)}` : null)

  const [state, dispatch] = useReducer(deployReducer, '', initialDeployState)
  const { months, coupon, vm } = state
  const [values, setValues] = useState<FormValues>(() => initialValues(app.fields))
  const form = useForm([...sharedFields, ...app.fields.map((f) => `app_config.${f.key}`)])

  const config = useMemo(() => appConfig(app.fields, values), [app.fields, values])
  const configTodo = configProblem(app.fields, values)
  // Nodes are picked by hand where any node of the pool will do, or among an offer's; a GPU
  // app without an offer takes the GPU node we find.
  const pickable = app.requires !== 'gpu' || !!offerId
  const placement = pickable ? vm.placement : 'default'
  const nodeId = placement === 'advanced' ? vm.node_id : null
  const quoteInput: QuoteInput | null = useMemo(() => {
    if (configTodo) return null
    // Until a node is picked the price is the one of a node we choose.
    const q: QuoteInput = { app: app.key, app_config: config, months, placement: nodeId ? 'advanced' : 'default' }
    if (nodeId) q.node_id = nodeId
    if (coupon) q.coupon = coupon
    if (offerId) q.offer_id = offerId
    return q
  }, [app.key, config, configTodo, months, coupon, offerId, nodeId])
  const live = useQuote(quoteInput)
  const quote: Quote | null = live.error ? null : live.quote
  // The app's main machine (its VM, or the control plane), so the node picker marks nodes without room.
  const need = useMemo(() => (quote?.spec ? { cpu: quote.spec.cpu, ram_gb: quote.spec.ram_gb, disk_gb: quote.spec.disk_gb } : null), [quote?.spec])
  const needsIPv4 = app.key === 'livekit' || values.master_ipv4 === true

  const { savedCards, chosenCard, showAddCard, fieldError, applyCoupon } = orderForm(state, dispatch, form, live, quoteInput, cards.data, signedIn)

  const sshRequest = (c: VmChoice) =>
    c.ssh_key_id
      ? { ssh_key_id: c.ssh_key_id }
      : { ssh_key: c.ssh_key.trim(), ...(c.save_ssh_key ? { save_ssh_key: true, ssh_key_name: c.ssh_key_name.trim() } : {}) }
  const attempt = JSON.stringify([quoteInput, chosenCard?.id, vm.name, sshRequest(vm)])
  const checkout = useCheckout(state, dispatch, form, attempt)



  const pay = () =>
    checkout.pay(() =>
      quoteInput
        ? {
            ...quoteInput,
            name: vm.name.trim(),
            ...sshRequest(vm),
            payment_method: chosenCard?.id,
          }
        : null,
    )

  if (state.paid)
    return (
      <Container className="py-12 sm:py-16">
        <Confirmation order={state.paid} onAgain={checkout.again} />
      </Container>
    )

  const loginHref = `/login?next=${encodeURIComponent(location.pathname + location.search)}`
  const busy = form.busy || state.confirming
  // The VM checks cover the name and the key; the image and placement are the app's.
  const todo = vmProblem({ ...vm, image: 'app', placement }) || configTodo
  const canPay = signedIn && !!quote && !!chosenCard && !live.loading && !busy && !state.adding && !todo
  const setVm = (patch: Partial<VmChoice>) => dispatch({ type: 'vm', patch })
  const required = requirement[app.requires]

  return (
    <Container className="py-8 sm:py-12">
      <Link to="/apps" className="text-sm font-medium text-muted hover:text-primary">
        ← All apps
      </Link>
      <div className="mt-3 flex max-w-3xl items-start gap-4">
        <AppMark app={app.key} className="size-12" />
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="text-3xl font-bold tracking-tight text-fg">Deploy {app.name}</h1>
            {required ? <Badge tone="primary">{required.label}</Badge> : null}
          </div>
          <p className="mt-2 text-base leading-7 text-muted">{app.summary}</p>
        </div>
      </div>

      {offerId && offer.data ? (
        <Alert tone="info" className="mt-6 max-w-3xl" data-testid="deploy-offer">
          <strong className="text-fg">{offer.data.name}</strong>: {app.name} runs on one of our{' '}
          {(capabilityOf(offer.data.capability)?.label ?? offer.data.capability).replace(/^[A-Z][a-z]/, (m) => m.toLowerCase())}.{' '}
          {offer.data.capability === 'gpu' ? (
            <span data-testid="deploy-offer-rent">A GPU node is rented whole for you, so its rent is a line of the price. </span>
          ) : null}
        </Alert>
      ) : offerId && offer.error ? (
        <Alert tone="warning" className="mt-6 max-w-3xl" data-testid="deploy-offer-gone">
          This offer is not available any more.{' '}
          <Link to={`/deploy/app/${app.key}`} className="font-medium text-primary underline">
            Deploy {app.name} without it
          </Link>
        </Alert>
      ) : required ? (
        <p className="mt-4 max-w-3xl text-sm text-muted">{required.description}</p>
      ) : null}

      {catalog.error ? (
        <div className="mt-8">
          <ErrorPanel error={catalog.error} onRetry={catalog.reload} />
        </div>
      ) : !catalog.data ? (
        <Loading label="Loading prices…" />
      ) : (
        <div className="mt-8 grid gap-8 lg:grid-cols-[minmax(0,1fr)_22rem] lg:gap-10">
          <form
            ref={form.formRef}
            onSubmit={(e) => e.preventDefault()}
            noValidate
            className="min-w-0 space-y-10"
            aria-label={`Your ${app.name}`}
            data-testid="app-form"
            data-app={app.key}
          >
            <Step n={1} title="Name" description="How you will recognise it; it also names its web address." testId="name-step">
              <NameField value={vm.name} onChange={(name) => setVm({ name })} error={form.fieldError('name')} />
            </Step>

            <Step n={2} title="Configure" description={`The settings of your ${app.name}.`} testId="app-fields-step">
              <Card className="space-y-6 p-4 sm:p-5">
                {app.fields.map((f) => (
                  <AppFieldInput
                    key={f.key}
                    field={f}
                    value={values[f.key]}
                    onChange={(v) => setValues((s) => ({ ...s, [f.key]: v }))}
                    error={fieldError(`app_config.${f.key}`)}
                  />
                ))}
                {app.fields.length === 0 ? <p className="text-sm text-muted">Nothing to set: it comes ready to use.</p> : null}
              </Card>
            </Step>

            {pickable ? (
              <Step n={3} title="Placement" description={`Which machine on the grid runs ${app.key === 'kubernetes' ? 'the control plane' : 'it'}.`} testId="placement-step">
                <PlacementPicker
                  placement={vm.placement}
                  nodeId={vm.node_id}
                  onChange={setVm}
                  need={need}
                  ipv4={needsIPv4}
                  offer={offerId}
                  error={form.fieldError('node_id') ?? form.fieldError('placement') ?? fieldError('node_id')}
                />
              </Step>
            ) : null}

            <Step n={pickable ? 4 : 3} title="SSH key" description="Root access to the machines it runs on, for when you need it." testId="ssh-step">
              <SshKeyField
                choice={vm}
                onChange={setVm}
                error={form.fieldError('ssh_key')}
                idError={form.fieldError('ssh_key_id')}
                nameError={form.fieldError('ssh_key_name')}
              />
            </Step>

            <PeriodStep
              n={pickable ? 5 : 4}
              state={state}
              dispatch={dispatch}
              tiers={catalog.data.tiers}
              onApplyCoupon={() => void applyCoupon()}
              fieldError={fieldError}
            />

            <PaymentStep
              n={pickable ? 6 : 5}
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
              details={
                <>
                  <SummaryRow label="App">
                    <span data-testid="summary-app">{app.name}</span>
                  </SummaryRow>
                  <SummaryRow label="Name">
                    <span className="break-all" data-testid="summary-name">
                      {vm.name.trim() || '—'}
                    </span>
                  </SummaryRow>
                  {app.fields.map((f) => (
                    <SummaryRow key={f.key} label={f.label}>
                      <span className="break-all">{shownValue(f, values[f.key])}</span>
                    </SummaryRow>
                  ))}
                  <SummaryRow label="Placement">
                    <span data-testid="summary-placement">
                      {placement === 'advanced' ? (nodeId ? `Node ${nodeId}` : 'Choose a node') : 'Chosen for you'}
                    </span>
                  </SummaryRow>
                  <SummaryRow label="Billing period">{periodLabel(months)}</SummaryRow>
                </>
              }
              state={state}
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
              {app.name} starts as soon as the payment is confirmed. Follow every step live, and cancel at any time: unused
              time becomes credit.
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

function shownValue(f: AppField, v: string | boolean | undefined): string {
  if (f.kind === 'bool') return v === true ? 'Yes' : 'No'
  const s = typeof v === 'string' ? v.trim() : ''
  if (!s) return '—'
  if (f.kind === 'select') return f.options?.find((o) => o.value === s)?.label ?? s
  return s
}

/** AppFieldInput draws one field of an app's form as its kind says, with the server's message beside it. */
function AppFieldInput({
  field: f,
  value,
  onChange,
  error,
}: {
  field: AppField
  value: string | boolean | undefined
  onChange: (v: string | boolean) => void
  error?: string
}) {
  const name = `app_config.${f.key}`
  const [touched, setTouched] = useState(false)
  const local = touched ? fieldProblem(f, value) : ''
  const shown = error || local || undefined
  const range =
    f.kind === 'number' && f.min != null && f.max != null ? `${f.min} to ${f.max}.` : ''
  const hint = [f.help, range].filter(Boolean).join(' ')
  if (f.kind === 'bool') {
    return (
      <div data-testid={`app-field-${f.key}`}>
        <Switch name={name} checked={value === true} onChange={onChange} label={f.label} description={f.help} />
        <FieldError id={`${name}-error`} name={name}>
          {error}
        </FieldError>
      </div>
    )
  }
  if (f.kind === 'select') {
    return (
      <fieldset data-testid={`app-field-${f.key}`}>
        <legend className="text-sm font-medium text-fg">{f.label}</legend>
        {f.help ? <p className="mt-0.5 text-sm text-muted">{f.help}</p> : null}
        <div role="radiogroup" aria-label={f.label} className="mt-2 grid gap-2 sm:grid-cols-2 xl:grid-cols-3">
          {(f.options ?? []).map((o) => (
            <OptionCard
              key={o.value}
              name={name}
              value={o.value}
              checked={value === o.value}
              onChange={() => onChange(o.value)}
              testId={`app-option-${f.key}-${o.value}`}
              className="p-3.5"
            >
              <span className="pr-6 text-sm font-semibold text-fg">{o.label}</span>
            </OptionCard>
          ))}
        </div>
        <FieldError id={`${name}-error`} name={name}>
          {shown}
        </FieldError>
      </fieldset>
    )
  }
  return (
    <div data-testid={`app-field-${f.key}`}>
      <TextField
        label={f.label}
        name={name}
        optional={!f.required}
        type={f.kind === 'number' ? 'number' : 'text'}
        inputMode={f.kind === 'number' ? 'numeric' : undefined}
        min={f.min ?? undefined}
        max={f.max ?? undefined}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value)}
        onBlur={() => setTouched(true)}
        autoComplete="off"
        spellCheck={false}
        hint={hint || undefined}
        error={shown}
        className={f.kind === 'number' ? 'sm:max-w-48' : 'sm:max-w-sm'}
        data-testid={`app-input-${f.key}`}
      />
    </div>
  )
}
