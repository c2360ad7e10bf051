import { useState } from 'react'
import { Link, Navigate, useSearchParams } from 'react-router'
import { api, safeNext } from '../../api'
import {
  Alert,
  FormError,
  NewPasswordHint,
  PasswordField,
  SubmitButton,
  TextField,
  useForm,
} from '../../components/forms'
import { CheckIcon, MailIcon } from '../../components/icons'
import { Button, IconBadge } from '../../components/ui'
import { config, isStorefront } from '../../config'
import { homeFor, useSession } from '../../session'
import { AuthShell, textLink } from './AuthShell'

const operatorPerks = [
  'Ask storefronts to add your nodes to their pool',
  'Choose per dashboard which nodes are exposed',
  'Follow what each node earns',
]

export function Signup() {
  const session = useSession()
  const [params] = useSearchParams()
  const next = safeNext(params.get('next'), '')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [sentTo, setSentTo] = useState('')
  const form = useForm(['email', 'password'])

  if (session.status === 'signed-in') return <Navigate to={next || homeFor(session.me)} replace />
  if (sentTo) return <CheckInbox email={sentTo} next={next} />

  const loginLink = next ? `/login?next=${encodeURIComponent(next)}` : '/login'
  return (
    <AuthShell
      pageTitle={isStorefront ? 'Sign up' : 'Register as a node operator'}
      title={isStorefront ? 'Create your account' : 'Register as a node operator'}
      subtitle={
        isStorefront
          ? 'An e-mail address and a password are all it takes to deploy your first VM.'
          : 'Supply capacity to the storefronts on this platform and follow what your nodes earn.'
      }
      footer={
        <>
          Already have an account?{' '}
          <Link to={loginLink} className={textLink}>
            Log in
          </Link>
        </>
      }
      testId="signup-page"
    >
      {!isStorefront ? (
        <ul className="mb-6 space-y-2 rounded-fd-sm border border-border bg-bg/60 p-4 text-sm text-fg">
          {operatorPerks.map((p) => (
            <li key={p} className="flex gap-2.5">
              <CheckIcon className="mt-0.5 size-4 shrink-0 text-primary" />
              {p}
            </li>
          ))}
        </ul>
      ) : null}
      <form
        ref={form.formRef}
        noValidate
        data-testid="signup-form"
        className="space-y-5"
        onSubmit={form.submit(async () => {
          await api.post('/api/auth/signup', { email, password }, { auth: 'none' })
          setSentTo(email.trim())
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
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.fieldError('email')}
          hint="We send a link to confirm it."
        />
        <PasswordField
          label="Password"
          name="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.fieldError('password')}
          hint={<NewPasswordHint value={password} />}
        />
        <SubmitButton form={form} className="w-full" size="lg" data-testid="signup-submit">
          {isStorefront ? 'Create account' : 'Register'}
        </SubmitButton>
      </form>
    </AuthShell>
  )
}

/** CheckInbox follows a sign-up: the account exists, the address still needs its link. */
function CheckInbox({ email, next }: { email: string; next: string }) {
  const [state, setState] = useState<'idle' | 'sending' | 'sent' | 'error'>('idle')
  const [message, setMessage] = useState('')
  return (
    <AuthShell
      pageTitle="Check your inbox"
      title="Check your inbox"
      footer={
        <>
          Verified already?{' '}
          <Link to={next ? `/login?next=${encodeURIComponent(next)}` : `/login`} className={textLink}>
            Log in
          </Link>
        </>
      }
      testId="signup-done"
    >
      <div className="flex flex-col items-center text-center">
        <IconBadge className="size-14">
          <MailIcon className="size-7" />
        </IconBadge>
        <p className="mt-5 text-sm leading-6 text-muted">
          We sent a link to <strong className="font-semibold break-all text-fg">{email}</strong>. Open it to confirm
          your address, then log in{isStorefront ? ` to ${config.tenant.name}` : ''}.
        </p>
        <p className="mt-3 text-sm leading-6 text-muted">The link is valid for a limited time. Check your spam folder if it does not arrive within a few minutes.</p>
      </div>
      <div className="mt-6 border-t border-border pt-5">
        {state === 'sent' ? (
          <Alert tone="success">We sent another link. Use the newest one.</Alert>
        ) : (
          <>
            {state === 'error' ? (
              <Alert tone="error" className="mb-4">
                {message}
              </Alert>
            ) : null}
            <Button
              variant="secondary"
              className="w-full"
              busy={state === 'sending'}
              onClick={async () => {
                setState('sending')
                try {
                  await api.post('/api/auth/resend-verification', { email }, { auth: 'none' })
                  setState('sent')
                } catch (err) {
                  setMessage(err instanceof Error ? err.message : 'Could not send the link.')
                  setState('error')
                }
              }}
            >
              Send the link again
            </Button>
          </>
        )}
      </div>
    </AuthShell>
  )
}
