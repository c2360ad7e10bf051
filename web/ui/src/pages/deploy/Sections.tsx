import type { Dispatch } from 'react'
import { money, periodLabel, periods, pct, tierFor, type SavedCard, type CardList, type DiscountTier, type Quote, type Size } from '../../billing'
import { AddCard, CardSummary } from '../../components/cards'
import { Loading, type Loaded } from '../../components/data'
import { ErrorPanel, FieldError, TextField } from '../../components/forms'
import { CpuIcon, DiskIcon, MemoryIcon, PlusIcon, ShieldCheckIcon } from '../../components/icons'
import { Button, ButtonLink, Card } from '../../components/ui'
import { OptionCard, Spec, Step, Switch } from './parts'
import { CUSTOM, type DeployAction, type DeployState } from './state'

// The deploy page's own steps (the server's sections live in VmSections): size, network,
// billing period with the coupon, and the card to pay with. Each reads the page's state
// and changes it through dispatch.

type FieldErrorOf = (name: string) => string | undefined

export function SizeStep({
  state,
  dispatch,
  sizes,
  selected,
  offersCustom,
  quote,
  currency,
  fieldError,
}: {
  state: DeployState
  dispatch: Dispatch<DeployAction>
  sizes: Size[]
  selected: string
  offersCustom: boolean
  quote: Quote | null
  currency: string
  fieldError: FieldErrorOf
}) {
  const { custom } = state
  return (
    <Step n={3} title="Size" description="Dedicated vCPUs, memory and SSD storage.">
      <div role="radiogroup" aria-label="Size" className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3" data-testid="size-options">
        {sizes.map((s) => (
          <OptionCard
            key={s.id}
            name="size"
            value={s.id}
            checked={selected === s.id}
            onChange={() => dispatch({ type: 'size', size: s.id })}
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
            onChange={() => dispatch({ type: 'size', size: CUSTOM })}
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
                  <span className="text-base font-bold text-fg">{money(quote.monthly_cents, currency)}</span> / month
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
            onChange={(e) => dispatch({ type: 'custom', patch: { cpu: e.target.value } })}
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
            onChange={(e) => dispatch({ type: 'custom', patch: { ram_gb: e.target.value } })}
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
            onChange={(e) => dispatch({ type: 'custom', patch: { disk_gb: e.target.value } })}
            hint="15 to 4000"
            error={fieldError('disk_gb')}
          />
        </div>
      ) : null}
    </Step>
  )
}

export function NetworkStep({ ipv4, dispatch, error }: { ipv4: boolean; dispatch: Dispatch<DeployAction>; error?: string }) {
  return (
    <Step n={4} title="Network" description="Every VM is reachable over Mycelium, an encrypted IPv6 overlay network.">
      <Card className="divide-y divide-border">
        <div className="p-4">
          <Switch
            name="ipv4"
            checked={ipv4}
            onChange={(on) => dispatch({ type: 'ipv4', on })}
            label="Public IPv4 address"
            description="A dedicated public IPv4 address, for services the whole internet must reach. Adds to the monthly price."
          />
          <FieldError id="ipv4-error" name="ipv4">
            {error}
          </FieldError>
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
  )
}

export function PeriodStep({
  n = 8,
  state,
  dispatch,
  tiers,
  onApplyCoupon,
  fieldError,
}: {
  n?: number
  state: DeployState
  dispatch: Dispatch<DeployAction>
  tiers: DiscountTier[] | undefined
  onApplyCoupon: () => void
  fieldError: FieldErrorOf
}) {
  const { months, couponText, coupon, applying } = state
  return (
    <Step n={n} title="Billing period" description="Pay for longer and save. It renews at the end of each period.">
      <div role="radiogroup" aria-label="Billing period" className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {periods.map((m) => {
          const tier = tierFor(tiers, m)
          return (
            <OptionCard
              key={m}
              name="months"
              value={String(m)}
              checked={months === m}
              onChange={() => dispatch({ type: 'months', months: m })}
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
          onChange={(e) => dispatch({ type: 'coupon-typed', text: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault()
              onApplyCoupon()
            }
          }}
          error={fieldError('coupon')}
          hint={coupon ? `${coupon} is applied.` : undefined}
          trailing={
            <Button size="sm" variant="ghost" className="h-8" busy={applying} onClick={onApplyCoupon} data-testid="apply-coupon">
              {coupon && couponText.trim().toUpperCase() === coupon ? 'Applied' : 'Apply'}
            </Button>
          }
          className="pr-24 uppercase"
        />
        {coupon ? (
          <button
            type="button"
            className="mt-1.5 text-sm font-medium text-primary hover:underline"
            onClick={() => dispatch({ type: 'coupon-removed' })}
          >
            Remove coupon
          </button>
        ) : null}
      </div>
    </Step>
  )
}

export function PaymentStep({
  n = 9,
  state,
  dispatch,
  signedIn,
  loginHref,
  cards,
  savedCards,
  chosenCard,
  showAddCard,
  fieldError,
}: {
  n?: number
  state: DeployState
  dispatch: Dispatch<DeployAction>
  signedIn: boolean
  loginHref: string
  cards: Loaded<CardList>
  savedCards: SavedCard[]
  chosenCard: SavedCard | undefined
  showAddCard: boolean
  fieldError: FieldErrorOf
}) {
  const { adding } = state
  return (
    <Step n={n} title="Payment" description="Your card is charged today and at each renewal." testId="payment-step">
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
                  onChange={() => dispatch({ type: 'card-picked', id: c.id })}
                  testId={`pick-card-${c.id}`}
                  className="flex-row items-center justify-between gap-3 py-3"
                >
                  <CardSummary card={c} />
                  {c.is_default ? <span className="mr-7 text-xs font-medium text-muted">Default</span> : null}
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
              onCancel={savedCards.length ? () => dispatch({ type: 'card-adding', on: false }) : undefined}
              onAdded={(list, card) => {
                cards.reload()
                dispatch({ type: 'card-added', id: card?.id ?? list.items[0]?.id })
              }}
            />
          ) : (
            <Button variant="secondary" onClick={() => dispatch({ type: 'card-adding', on: true })} data-testid="add-card-button">
              <PlusIcon className="size-4" />
              Add a card
            </Button>
          )}
        </div>
      )}
    </Step>
  )
}
