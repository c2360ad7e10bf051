import { useEffect, useRef, type Dispatch } from 'react'
import { useNavigate } from 'react-router'
import { api, isApiError, sentence } from '../../api'
import { newClientKey, pollOrder, type CardList, type LiveQuote, type Order, type Quote, type QuoteInput } from '../../billing'
import type { FormState } from '../../components/forms'
import { isTestMode } from '../../config'
import type { Deployment } from '../../deployments'
import type { DeployAction, DeployState } from './state'

// The checkout both order pages share (/deploy for a VM, /deploy/app/:key for an app):
// one POST /api/deployments places the order and records the deployment; the order is
// then followed through 3-D Secure (Stripe.js live, a test dialog in mock mode) until the
// webhook settles it, and the customer lands on the deployment's page.

export interface Checkout {
  /** pay places the order described by body() (null: nothing to pay yet). */
  pay: (body: () => Record<string, unknown> | null) => Promise<boolean>
  /** completeTestAuthentication finishes the test-mode 3-D Secure dialog for order. */
  completeTestAuthentication: (order: Order) => Promise<boolean>
  /** again clears a paid or declined checkout for a new order. */
  again: () => void
}

/**
 * useCheckout keeps one idempotency key per attempt: a double-click or a retry after a
 * network error reuses it (the server returns the same order and never charges twice);
 * any change to attempt (the order's JSON), or a settled failure, starts a new one.
 */
export function useCheckout(state: DeployState, dispatch: Dispatch<DeployAction>, form: FormState, attempt: string): Checkout {
  const navigate = useNavigate()
  // The deployment the current attempt created (its order is what we follow).
  const deployment = useRef<Pick<Deployment, 'id'> | null>(null)
  const clientKey = useRef(newClientKey())
  useEffect(() => {
    clientKey.current = newClientKey()
  }, [attempt])

  const decline = (title: string, message: string) => {
    clientKey.current = newClientKey()
    dispatch({ type: 'declined', declined: { title, message } })
  }

  // Follow an order until the webhook settles it.
  const follow = async (first: Order, authenticated = false) => {
    let o = first
    if (o.status === 'requires_action' && !authenticated) {
      if (isTestMode) {
        dispatch({ type: 'authenticate', order: o })
        return
      }
      const { handleNextAction } = await import('../../components/stripeLive')
      const msg = await handleNextAction(o.client_secret ?? '')
      if (msg) {
        decline('Your payment was not completed', msg)
        return
      }
      authenticated = true
    }
    if (o.status === 'awaiting_payment' || o.status === 'requires_action') {
      dispatch({ type: 'confirming', on: true })
      try {
        o = await pollOrder(o.id, { throughAction: authenticated })
      } finally {
        dispatch({ type: 'confirming', on: false })
      }
    }
    if (deployment.current && o.status !== 'failed' && o.status !== 'requires_action') {
      // Paid, or still confirming: the deployment's page follows it from here.
      navigate(`/deployments/${deployment.current.id}`)
    } else if (o.status === 'paid') {
      dispatch({ type: 'paid', order: o })
      window.scrollTo({ top: 0 })
    } else if (o.status === 'failed') {
      decline('Your payment was declined', o.failure_message || 'Your card was declined.')
    } else if (o.status === 'requires_action') {
      dispatch({ type: 'authenticate', order: o })
    } else {
      dispatch({ type: 'pending', order: o })
    }
  }

  const pay = (body: () => Record<string, unknown> | null) =>
    form.run(async () => {
      const b = body()
      if (!b) return
      dispatch({ type: 'checkout-started' })
      deployment.current = null
      let o: Order
      try {
        const d = await api.post<Omit<Deployment, 'order'> & { order?: Order }>('/api/deployments', {
          ...b,
          client_key: clientKey.current,
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
          decline('Your payment was declined', sentence(err.message))
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
    if (!state.declined || !d) return
    deployment.current = null
    void api.del(`/api/deployments/${encodeURIComponent(d.id)}`).catch(() => {})
  }, [state.declined])

  const again = () => {
    dispatch({ type: 'again' })
    clientKey.current = newClientKey()
    window.scrollTo({ top: 0 })
  }

  const completeTestAuthentication = (order: Order) =>
    form.run(async () => {
      const next = await api.post<Order>(`/api/orders/${order.id}/mock-authenticate`)
      dispatch({ type: 'authenticate', order: null })
      await follow(next, true)
    })

  return { pay, completeTestAuthentication, again }
}

/**
 * orderForm is what both order pages derive alike from their state: the card to charge
 * (the one picked, else the default), whether to show the add-card form, a field's error
 * (from applying the coupon, the live quote, or checkout), and applying a coupon code
 * (priced with the page's quote input before it is kept).
 */
export function orderForm(
  state: DeployState,
  dispatch: Dispatch<DeployAction>,
  form: FormState,
  live: LiveQuote,
  quoteInput: QuoteInput | null,
  cards: CardList | undefined,
  signedIn: boolean,
) {
  const savedCards = cards?.items ?? []
  const chosenCard =
    savedCards.find((c) => c.id === state.cardChoice) ?? savedCards.find((c) => c.is_default) ?? savedCards[0]
  const showAddCard = signedIn && !!cards && (state.adding || savedCards.length === 0)

  const fieldError = (name: string): string | undefined => {
    if (name === 'coupon' && state.couponError) return sentence(state.couponError.message)
    if (live.error?.field === name) return sentence(live.error.message)
    return form.fieldError(name)
  }

  const applyCoupon = async () => {
    const code = state.couponText.trim()
    dispatch({ type: 'coupon-check' })
    if (!code) {
      dispatch({ type: 'coupon-unset' })
      return
    }
    if (!quoteInput) return
    dispatch({ type: 'coupon-applying', on: true })
    try {
      const q = await api.post<Quote>('/api/quote', { ...quoteInput, coupon: code })
      dispatch({ type: 'coupon-applied', code: q.coupon || code.toUpperCase() })
    } catch (err) {
      if (isApiError(err)) dispatch({ type: 'coupon-refused', error: err })
    } finally {
      dispatch({ type: 'coupon-applying', on: false })
    }
  }

  return { savedCards, chosenCard, showAddCard, fieldError, applyCoupon }
}
