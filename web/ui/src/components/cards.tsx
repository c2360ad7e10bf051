import { lazy, Suspense, useId, useState } from 'react'
import { api, isApiError } from '../api'
import {
  cardExpiry,
  cardLabel,
  stripeUnavailableMessage,
  waitForCard,
  type CardList,
  type SavedCard,
  type SetupIntent,
} from '../billing'
import { config } from '../config'
import { Loading } from './data'
import { Alert, FormError, useForm } from './forms'
import { CardIcon, FlaskIcon } from './icons'
import { Button, cx } from './ui'

// Stripe.js is only ever loaded in live mode, and only when a card form needs it.
const LiveCardForm = lazy(async () => ({ default: (await import('./stripeLive')).LiveCardForm }))

/** CardArt is the small neutral card face beside a saved card. */
export function CardArt({ className }: { className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cx(
        'inline-flex h-8 w-12 shrink-0 items-center justify-center rounded-md border border-border bg-bg text-muted',
        className,
      )}
    >
      <CardIcon className="size-4.5" />
    </span>
  )
}

/** CardSummary is "Visa •••• 4242 · expires 12/2034" with the default badge. */
export function CardSummary({ card }: { card: SavedCard }) {
  const exp = cardExpiry(card)
  return (
    <span className="flex min-w-0 items-center gap-3">
      <CardArt />
      <span className="min-w-0">
        <span className="block font-medium text-fg">{cardLabel(card)}</span>
        {exp ? <span className="block text-xs text-muted">Expires {exp}</span> : null}
      </span>
    </span>
  )
}

/**
 * AddCard saves a card for later payments. In live mode it is Stripe's card form
 * (Stripe Elements); in mock (test) mode the browser cannot load Stripe.js, so it offers
 * Stripe's test cards instead, clearly labelled. It is not a <form> of its own, so it can
 * sit inside the checkout form.
 */
export function AddCard({
  cards,
  onAdded,
  onCancel,
  compact = false,
}: {
  /** The current list (its mode and test cards); reloaded by the caller after onAdded. */
  cards: CardList
  onAdded: (list: CardList, card: SavedCard | undefined) => void
  onCancel?: () => void
  compact?: boolean
}) {
  if (cards.mode === 'live') {
    if (!config.stripe_publishable_key) {
      return (
        <Alert tone="info" data-testid="cards-unavailable">
          {stripeUnavailableMessage}
        </Alert>
      )
    }
    return (
      <Suspense fallback={<Loading label="Loading the secure card form…" />}>
        <LiveCardForm existing={cards.items.map((c) => c.id)} onAdded={onAdded} onCancel={onCancel} />
      </Suspense>
    )
  }
  return <TestCardForm cards={cards} onAdded={onAdded} onCancel={onCancel} compact={compact} />
}

function TestCardForm({
  cards,
  onAdded,
  onCancel,
  compact,
}: {
  cards: CardList
  onAdded: (list: CardList, card: SavedCard | undefined) => void
  onCancel?: () => void
  compact: boolean
}) {
  const form = useForm([])
  const groupId = useId()
  const [choice, setChoice] = useState(cards.test_cards[0]?.id ?? '')
  const [slow, setSlow] = useState(false)

  const save = () =>
    form.run(async () => {
      setSlow(false)
      const si = await api.post<SetupIntent>('/api/cards/setup-intent')
      await api.post('/api/cards/mock-confirm', { setup_intent: si.id, payment_method: choice })
      // The card is saved when Stripe's webhook reports the SetupIntent: wait for it.
      const list = await waitForCard(
        cards.items.map((c) => c.id),
        choice,
      )
      if (!list) {
        setSlow(true)
        return
      }
      onAdded(list, list.items.find((c) => c.id === choice))
    })

  return (
    <div
      className={cx('rounded-fd-sm border border-border bg-bg/60', compact ? 'p-4' : 'p-4 sm:p-5')}
      data-testid="add-card"
    >
      <div className="flex items-start gap-2.5">
        <FlaskIcon className="mt-0.5 size-4.5 shrink-0 text-amber-600 dark:text-amber-400" />
        <div>
          <p id={groupId} className="text-sm font-semibold text-fg">
            Choose a test card
          </p>
          <p className="mt-0.5 text-sm text-muted">
            This store is in test mode: no real card can be entered and nothing is charged. Each test card behaves like a
            real one would.
          </p>
        </div>
      </div>
      <div role="radiogroup" aria-labelledby={groupId} className="mt-4 space-y-2">
        {cards.test_cards.map((t) => (
          <label
            key={t.id}
            className={cx(
              'flex cursor-pointer items-center gap-3 rounded-fd-sm border bg-surface px-3.5 py-3 text-sm transition-colors',
              'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
              choice === t.id ? 'border-primary ring-1 ring-primary' : 'border-border hover:border-primary/40',
            )}
          >
            <input
              type="radio"
              name="test_card"
              value={t.id}
              checked={choice === t.id}
              onChange={() => setChoice(t.id)}
              className="size-4 shrink-0 accent-[var(--fd-primary)]"
              data-testid={`test-card-${t.id}`}
            />
            <CardArt className="h-7 w-10" />
            <span className="min-w-0 text-fg">
              <span className="font-medium">Test card</span> — {t.label}
            </span>
          </label>
        ))}
      </div>
      <FormError form={form} className="mt-4" />
      {slow ? (
        <Alert tone="warning" className="mt-4" data-testid="card-slow">
          The card was accepted but has not appeared yet. It usually takes a few seconds; reload the page in a moment.
        </Alert>
      ) : null}
      <div className="mt-4 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        {onCancel ? (
          <Button variant="secondary" onClick={onCancel} disabled={form.busy}>
            Cancel
          </Button>
        ) : null}
        <Button
          onClick={() => void save()}
          busy={form.busy}
          disabled={!choice || form.retryIn > 0}
          data-testid="save-card"
        >
          {form.busy ? 'Saving card…' : 'Save card'}
        </Button>
      </div>
    </div>
  )
}

/** cardsUnavailable tells whether an error means the store cannot take cards yet (409). */
export function isStoreNotReady(err: unknown): boolean {
  return isApiError(err) && err.status === 409
}
