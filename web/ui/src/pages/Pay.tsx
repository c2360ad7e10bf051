// The payment page a customer reaches from the "Please confirm your payment" mail (an
// off-session renewal the bank wants authenticated, SCA) or from "Pay now" on /billing:
// the server confirms the PaymentIntent on-session, then Stripe.js's handleNextAction
// shows the bank's check (in test mode, a stand-in dialog and mock-authenticate).

import { useState } from 'react'
import { useParams } from 'react-router'
import { api, errorMessage } from '../api'
import { money, pollOrder, type Order } from '../billing'
import { Loading, useApi } from '../components/data'
import { Dialog } from '../components/Dialog'
import { Alert, ErrorPanel } from '../components/forms'
import { RequireAuth } from '../components/Guard'
import { Button, ButtonLink, Card, Container, usePageTitle } from '../components/ui'
import { isTestMode } from '../config'

export function Pay() {
  return (
    <RequireAuth>
      <PayPage />
    </RequireAuth>
  )
}

function PayPage() {
  usePageTitle('Confirm your payment')
  const { id = '' } = useParams()
  const order = useApi<Order>(`/api/orders/${encodeURIComponent(id)}`)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState('')
  const [mockAuth, setMockAuth] = useState<Order | null>(null)
  const [done, setDone] = useState<Order | null>(null)

  const settle = async (o: Order) => {
    const final = await pollOrder(o.id, { throughAction: true })
    if (final.status === 'paid') setDone(final)
    else if (final.status === 'failed') setMessage(final.failure_message || 'Your payment was declined.')
    else setMessage('Your bank has not confirmed the payment yet. Reload this page in a minute.')
  }

  const confirm = async () => {
    setBusy(true)
    setMessage('')
    try {
      const o = await api.post<Order>(`/api/orders/${encodeURIComponent(id)}/confirm`)
      if (isTestMode) {
        setMockAuth(o)
        return
      }
      const { handleNextAction } = await import('../components/stripeLive')
      const msg = await handleNextAction(o.client_secret ?? '')
      if (msg) {
        setMessage(msg)
        return
      }
      await settle(o)
    } catch (err) {
      setMessage(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  if (order.error) return <ErrorPanel error={order.error} onRetry={order.reload} />
  if (!order.data) return <Loading label="Loading your payment…" />
  const o = done ?? order.data

  return (
    <Container className="max-w-xl py-10">
      <Card className="space-y-5 p-6" data-testid="pay-page">
        <div>
          <h1 className="text-xl font-semibold text-fg">Confirm your payment</h1>
          <p className="mt-1 text-sm text-muted">{o.description}</p>
        </div>
        <p className="text-3xl font-semibold text-fg" data-testid="pay-amount">
          {money(o.amount_cents, o.currency)}
        </p>
        {o.status === 'paid' ? (
          <Alert tone="success" title="Paid" data-testid="pay-paid">
            Thank you: the payment went through and your server keeps running.
          </Alert>
        ) : o.status === 'requires_action' ? (
          <>
            <p className="text-sm text-muted">
              Your bank asks you to confirm this payment yourself. Nothing has been charged yet; confirming opens your
              bank&apos;s check.
            </p>
            {message ? (
              <Alert tone="error" data-testid="pay-error">
                {message}
              </Alert>
            ) : null}
          </>
        ) : (
          <Alert tone="info" data-testid="pay-nothing">
            This payment does not wait for you: its status is {o.status.replace('_', ' ')}.
          </Alert>
        )}
        <div className="flex flex-col-reverse gap-2 sm:flex-row">
          {o.status === 'requires_action' ? (
            <Button onClick={() => void confirm()} busy={busy} data-testid="pay-confirm">
              Confirm payment
            </Button>
          ) : null}
          <ButtonLink variant="secondary" to="/billing">
            Back to billing
          </ButtonLink>
        </div>
      </Card>

      <Dialog
        open={!!mockAuth}
        onClose={() => {
          setMockAuth(null)
          setMessage('Authentication was cancelled, so the payment did not go through.')
        }}
        title="Test 3-D Secure"
        description="In test mode this stands in for your bank's security check. Nothing is sent to a bank."
        testId="three-d-secure-dialog"
        footer={
          <Button
            busy={busy}
            data-testid="complete-authentication"
            onClick={() => {
              const a = mockAuth
              if (!a) return
              setBusy(true)
              void api
                .post<Order>(`/api/orders/${encodeURIComponent(a.id)}/mock-authenticate`)
                .then((next) => {
                  setMockAuth(null)
                  return settle(next)
                })
                .catch((err: unknown) => setMessage(errorMessage(err)))
                .finally(() => setBusy(false))
            }}
          >
            Complete authentication
          </Button>
        }
      >
        <p className="text-sm">
          Your bank asks you to confirm a payment of{' '}
          <strong>{mockAuth ? money(mockAuth.amount_cents, mockAuth.currency) : ''}</strong>.
        </p>
      </Dialog>
    </Container>
  )
}
