import { useEffect, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { api, errorMessage } from '../../api'
import { Alert, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { AlertCircleIcon, CheckCircleIcon } from '../../components/icons'
import { ButtonLink, Spinner } from '../../components/ui'
import { loadMe, useSession } from '../../session'
import { AuthShell, textLink } from './AuthShell'

// A token verifies once. React may run an effect twice in development, and the user may
// come back to the tab, so each token is sent once per page load and its answer shared.
const attempts = new Map<string, Promise<void>>()

function verifyOnce(token: string): Promise<void> {
  let p = attempts.get(token)
  if (!p) {
    p = api.post<{ verified: boolean }>('/api/auth/verify-email', { token }, { auth: 'none' }).then(() => undefined)
    attempts.set(token, p)
  }
  return p
}

export function VerifyEmail() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  return token ? <VerifyToken token={token} /> : <ResendVerification />
}

function VerifyToken({ token }: { token: string }) {
  const session = useSession()
  const [state, setState] = useState<{ status: 'working' | 'done' | 'failed'; message?: string }>({ status: 'working' })

  useEffect(() => {
    let live = true
    verifyOnce(token).then(
      () => {
        if (!live) return
        setState({ status: 'done' })
        // A signed-in account's "verified" badge should update at once.
        void loadMe().catch(() => {})
      },
      (err: unknown) => live && setState({ status: 'failed', message: errorMessage(err) }),
    )
    return () => {
      live = false
    }
  }, [token])

  if (state.status === 'working') {
    return (
      <AuthShell pageTitle="Verifying your e-mail" title="Verifying your e-mail…">
        <div className="flex items-center justify-center gap-3 py-6 text-sm text-muted" role="status">
          <Spinner className="size-5 text-primary" /> Confirming your address
        </div>
      </AuthShell>
    )
  }

  if (state.status === 'done') {
    const signedIn = session.status === 'signed-in'
    return (
      <AuthShell pageTitle="E-mail verified" title="E-mail verified" testId="verify-success">
        <div className="flex flex-col items-center text-center">
          <span className="inline-flex size-14 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 ring-1 ring-emerald-600/20 ring-inset">
            <CheckCircleIcon className="size-7" />
          </span>
          <p className="mt-5 text-sm leading-6 text-muted">
            Thanks, your address is confirmed. {signedIn ? 'You can carry on where you left off.' : 'You can log in now.'}
          </p>
          <ButtonLink
            to={signedIn ? '/account' : '/login'}
            size="lg"
            className="mt-6 w-full"
            data-testid="verify-continue"
          >
            {signedIn ? 'Go to your account' : 'Log in'}
          </ButtonLink>
        </div>
      </AuthShell>
    )
  }

  return (
    <AuthShell pageTitle="Link not valid" title="This link did not work" testId="verify-failed">
      <div className="flex flex-col items-center text-center">
        <span className="inline-flex size-14 items-center justify-center rounded-full bg-red-50 text-red-600 ring-1 ring-red-600/20 ring-inset">
          <AlertCircleIcon className="size-7" />
        </span>
        <p className="mt-5 text-sm leading-6 text-muted" data-testid="form-error">
          {state.message}
        </p>
        <p className="mt-2 text-sm leading-6 text-muted">
          Links expire and work only once. If you have verified already, just log in; otherwise ask for a new link below.
        </p>
      </div>
      <div className="mt-6 border-t border-border pt-6">
        <ResendForm />
      </div>
    </AuthShell>
  )
}

function ResendVerification() {
  return (
    <AuthShell
      pageTitle="Verify your e-mail"
      title="Verify your e-mail"
      subtitle="Lost the link or it expired? Enter your address and we send a new one."
      footer={
        <>
          Verified already?{' '}
          <Link to="/login" className={textLink}>
            Log in
          </Link>
        </>
      }
      testId="verify-resend-page"
    >
      <ResendForm />
    </AuthShell>
  )
}

function ResendForm() {
  const session = useSession()
  const [email, setEmail] = useState(session.me?.account.email ?? '')
  const [sent, setSent] = useState('')
  const form = useForm(['email'])

  if (sent) {
    return (
      <Alert tone="success" title="Check your inbox" data-testid="resend-done">
        If <strong className="break-all">{sent}</strong> has an account that still needs verifying, a new link is on its way.
      </Alert>
    )
  }
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        await api.post('/api/auth/resend-verification', { email }, { auth: 'none' })
        setSent(email.trim())
      })}
    >
      <FormError form={form} />
      <TextField
        label="E-mail"
        name="email"
        type="email"
        autoComplete="email"
        inputMode="email"
        autoCapitalize="off"
        spellCheck={false}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={form.fieldError('email')}
      />
      <SubmitButton form={form} className="w-full" size="lg">
        Send a new link
      </SubmitButton>
    </form>
  )
}
