import { useState } from 'react'
import { Link, Navigate, useLocation, useSearchParams } from 'react-router'
import { api, safeNext, sentence, type Me } from '../../api'
import { Alert, FormError, PasswordField, SubmitButton, TextField, useForm } from '../../components/forms'
import { ArrowLeftIcon, ShieldCheckIcon } from '../../components/icons'
import { Button, IconBadge } from '../../components/ui'
import { config, isStorefront } from '../../config'
import { enrolPath, homeFor, mustEnrolMfa, setMe, useSession } from '../../session'
import { AuthShell, textLink } from './AuthShell'

type LoginResult = { status: 'ok'; me: Me } | { status: 'mfa_required'; mfa_token: string }

/** destination is where a signed-in account goes: 2FA enrolment first when its role demands it. */
function destination(me: Me, next: string): string {
  const target = next || homeFor(me)
  return mustEnrolMfa(me) ? enrolPath(target) : target
}

export function Login() {
  const [params] = useSearchParams()
  const location = useLocation()
  const next = safeNext(params.get('next'), '')
  const session = useSession()
  const [mfaToken, setMfaToken] = useState('')
  const [email, setEmail] = useState(params.get('email') ?? '')
  const loggedOut = (location.state as { loggedOut?: boolean } | null)?.loggedOut

  if (session.status === 'signed-in') return <Navigate to={destination(session.me, next)} replace />

  const footer = isStorefront ? (
    <>
      New to {config.tenant.name}?{' '}
      <Link to={next ? `/signup?next=${encodeURIComponent(next)}` : '/signup'} className={textLink}>
        Create an account
      </Link>
    </>
  ) : (
    <>
      Run nodes on the ThreeFold Grid?{' '}
      <Link to="/signup" className={textLink}>
        Register as a node operator
      </Link>
    </>
  )

  if (mfaToken) {
    return (
      <AuthShell pageTitle="Two-factor authentication" title="Two-factor authentication" testId="login-mfa-page">
        <MfaStep mfaToken={mfaToken} onRestart={() => setMfaToken('')} />
      </AuthShell>
    )
  }

  return (
    <AuthShell
      pageTitle="Log in"
      title={isStorefront ? `Log in to ${config.tenant.name}` : 'Console sign-in'}
      subtitle={isStorefront ? 'Manage your servers, cards and receipts.' : 'For super-admins and node operators.'}
      footer={footer}
      testId="login-page"
    >
      {loggedOut ? (
        <Alert tone="success" className="mb-5">
          You have been logged out.
        </Alert>
      ) : next && !loggedOut ? (
        <Alert tone="info" className="mb-5">
          Log in to continue.
        </Alert>
      ) : null}
      <CredentialsStep email={email} setEmail={setEmail} onMfa={setMfaToken} />
    </AuthShell>
  )
}

function CredentialsStep({
  email,
  setEmail,
  onMfa,
}: {
  email: string
  setEmail: (v: string) => void
  onMfa: (token: string) => void
}) {
  const [password, setPassword] = useState('')
  const form = useForm(['email', 'password'])
  const [resent, setResent] = useState(false)

  const needsVerification = !!form.formError && /verif/i.test(form.formError.message)

  return (
    <form
      ref={form.formRef}
      noValidate
      data-testid="login-form"
      className="space-y-5"
      onSubmit={form.submit(async () => {
        setResent(false)
        const res = await api.post<LoginResult>('/api/auth/login', { email, password }, { auth: 'none' })
        if (res.status === 'mfa_required') onMfa(res.mfa_token)
        else setMe(res.me)
      })}
    >
      {needsVerification ? (
        <Alert
          tone="warning"
          data-testid="form-error"
          title="Verify your e-mail address first"
          action={
            resent ? (
              <p className="font-medium">We sent a new link. Check your inbox.</p>
            ) : (
              <Button
                size="sm"
                variant="secondary"
                onClick={async () => {
                  await api.post('/api/auth/resend-verification', { email }, { auth: 'none' }).catch(() => {})
                  setResent(true)
                }}
              >
                Send the link again
              </Button>
            )
          }
        >
          {sentence(form.formError?.message ?? '')}
        </Alert>
      ) : (
        <FormError form={form} />
      )}
      <TextField
        label="E-mail"
        name="email"
        type="email"
        autoComplete="username"
        inputMode="email"
        autoCapitalize="off"
        spellCheck={false}
        required
        autoFocus
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={form.fieldError('email')}
      />
      <PasswordField
        label="Password"
        name="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={form.fieldError('password')}
        aside={
          <Link to="/forgot-password" className="rounded-sm text-sm font-medium text-primary hover:underline">
            Forgot password?
          </Link>
        }
      />
      <SubmitButton form={form} className="w-full" size="lg" data-testid="login-submit">
        Log in
      </SubmitButton>
      <p className="text-center text-sm text-muted">
        Didn’t get the verification e-mail?{' '}
        <Link to="/verify-email" className={textLink}>
          Send it again
        </Link>
      </p>
    </form>
  )
}

function MfaStep({ mfaToken, onRestart }: { mfaToken: string; onRestart: () => void }) {
  const [recovery, setRecovery] = useState(false)
  const [code, setCode] = useState('')
  const form = useForm(['code'])
  const expired = form.formError?.field === 'mfa_token'

  return (
    <form
      ref={form.formRef}
      noValidate
      data-testid="mfa-form"
      className="space-y-5"
      onSubmit={form.submit(async () => {
        const res = await api.post<LoginResult>(
          '/api/auth/login/mfa',
          { mfa_token: mfaToken, code: code.trim() },
          { auth: 'none' },
        )
        if (res.status === 'ok') setMe(res.me)
      })}
    >
      <div className="flex items-start gap-4">
        <IconBadge>
          <ShieldCheckIcon />
        </IconBadge>
        <p className="text-sm leading-6 text-muted">
          {recovery
            ? 'Enter one of the recovery codes you saved when you set up two-factor authentication. Each code works once.'
            : 'Open your authenticator app and enter the 6-digit code it shows for this account.'}
        </p>
      </div>
      {expired ? (
        <Alert
          tone="error"
          data-testid="form-error"
          action={
            <Button size="sm" variant="secondary" onClick={onRestart}>
              Start again
            </Button>
          }
        >
          {sentence(form.formError?.message ?? '')}
        </Alert>
      ) : (
        <FormError form={form} />
      )}
      {recovery ? (
        <TextField
          key="recovery"
          label="Recovery code"
          name="code"
          data-testid="mfa-code"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          placeholder="abcd-efgh-ijkl"
          className="font-mono tracking-wider"
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={form.fieldError('code')}
        />
      ) : (
        <TextField
          key="totp"
          label="Authentication code"
          name="code"
          data-testid="mfa-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          maxLength={6}
          placeholder="123456"
          className="font-mono text-lg tracking-[0.3em]"
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          error={form.fieldError('code')}
        />
      )}
      <SubmitButton form={form} className="w-full" size="lg" data-testid="mfa-submit">
        Verify and log in
      </SubmitButton>
      <div className="flex flex-col items-center gap-3 text-sm sm:flex-row sm:justify-between">
        <button
          type="button"
          data-testid="use-recovery-code"
          className={textLink}
          onClick={() => {
            setRecovery((v) => !v)
            setCode('')
            form.setError(null)
          }}
        >
          {recovery ? 'Use your authenticator app' : 'Use a recovery code'}
        </button>
        <button type="button" className="inline-flex items-center gap-1.5 rounded-sm text-muted hover:text-fg" onClick={onRestart}>
          <ArrowLeftIcon className="size-4" />
          Back
        </button>
      </div>
    </form>
  )
}
