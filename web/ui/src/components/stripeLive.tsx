// Live mode only: Stripe.js and Stripe Elements. This module is loaded on demand (never in
// test mode, where the browser cannot reach Stripe), so importing it is what loads Stripe.js.

import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js'
import type { Appearance, Stripe } from '@stripe/stripe-js'
import { loadStripe } from '@stripe/stripe-js/pure'
import { useEffect, useState } from 'react'
import { api, errorMessage } from '../api'
import { stripeUnavailableMessage, waitForCard, type CardList, type SavedCard, type SetupIntent } from '../billing'
import { config } from '../config'
import { Loading } from './data'
import { Alert, ErrorPanel } from './forms'
import { Button } from './ui'

const stripes = new Map<string, Promise<Stripe | null>>()

/** getStripe loads Stripe.js once per connected account (the tenant's, from the SetupIntent). */
export function getStripe(stripeAccount: string): Promise<Stripe | null> {
  let p = stripes.get(stripeAccount)
  if (!p) {
    p = loadStripe(config.stripe_publishable_key, stripeAccount ? { stripeAccount } : undefined)
    stripes.set(stripeAccount, p)
  }
  return p
}

let knownAccount = ''

/**
 * handleNextAction finishes a payment that requires action (3-D Secure) with Stripe's own
 * dialog. The PaymentIntent lives on the tenant's connected account, which the browser
 * learns from a SetupIntent; it resolves with Stripe's error message, or '' when done.
 */
export async function handleNextAction(clientSecret: string): Promise<string> {
  if (!config.stripe_publishable_key) return stripeUnavailableMessage
  if (!knownAccount) {
    const si = await api.post<SetupIntent>('/api/cards/setup-intent')
    knownAccount = si.stripe_account
  }
  const stripe = await getStripe(knownAccount)
  if (!stripe) return stripeUnavailableMessage
  const res = await stripe.handleNextAction({ clientSecret })
  return res.error?.message ?? ''
}

/** The Payment Element follows the storefront's theme (its CSS variables), not Stripe's default. */
function appearance(): Appearance {
  const css = getComputedStyle(document.documentElement)
  const v = (name: string) => css.getPropertyValue(name).trim() || undefined
  return {
    theme: document.documentElement.dataset.fdMode === 'dark' ? 'night' : 'stripe',
    variables: {
      colorPrimary: v('--fd-primary'),
      colorBackground: v('--fd-surface'),
      colorText: v('--fd-text'),
      colorTextSecondary: v('--fd-muted'),
      borderRadius: v('--fd-radius'),
      fontFamily: v('--fd-font'),
    },
  }
}

export function LiveCardForm({
  existing,
  onAdded,
  onCancel,
}: {
  existing: string[]
  onAdded: (list: CardList, card: SavedCard | undefined) => void
  onCancel?: () => void
}) {
  const [si, setSi] = useState<SetupIntent | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [nonce, setNonce] = useState(0)

  useEffect(() => {
    let live = true
    setError(null)
    api.post<SetupIntent>('/api/cards/setup-intent').then(
      (s) => {
        if (!live) return
        knownAccount = s.stripe_account
        setSi(s)
      },
      (err: unknown) => live && setError(err),
    )
    return () => {
      live = false
    }
  }, [nonce])

  if (error) return <ErrorPanel error={error} onRetry={() => setNonce((n) => n + 1)} />
  if (!si) return <Loading label="Loading the secure card form…" />
  return (
    <Elements stripe={getStripe(si.stripe_account)} options={{ clientSecret: si.client_secret, appearance: appearance() }}>
      <ElementsForm existing={existing} onAdded={onAdded} onCancel={onCancel} />
    </Elements>
  )
}

function ElementsForm({
  existing,
  onAdded,
  onCancel,
}: {
  existing: string[]
  onAdded: (list: CardList, card: SavedCard | undefined) => void
  onCancel?: () => void
}) {
  const stripe = useStripe()
  const elements = useElements()
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState('')

  const save = async () => {
    if (!stripe || !elements) return
    setBusy(true)
    setMessage('')
    try {
      const res = await stripe.confirmSetup({ elements, redirect: 'if_required' })
      if (res.error) {
        setMessage(res.error.message ?? 'The card could not be saved.')
        return
      }
      const list = await waitForCard(existing)
      if (!list) {
        setMessage('The card was accepted but has not appeared yet. Reload the page in a moment.')
        return
      }
      onAdded(
        list,
        list.items.find((c) => !existing.includes(c.id)),
      )
    } catch (err) {
      setMessage(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="space-y-4" data-testid="add-card">
      <PaymentElement />
      {message ? <Alert tone="error">{message}</Alert> : null}
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        {onCancel ? (
          <Button variant="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
        ) : null}
        <Button onClick={() => void save()} busy={busy} disabled={!stripe || !elements} data-testid="save-card">
          Save card
        </Button>
      </div>
    </div>
  )
}
