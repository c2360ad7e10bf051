import { useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { api, ApiError, sentence } from '../../api'
import {
  Alert,
  FormError,
  NewPasswordHint,
  PasswordField,
  SubmitButton,
  TextField,
  useForm,
} from '../../components/forms'
import { CheckCircleIcon, MailIcon } from '../../components/icons'
import { ButtonLink, IconBadge } from '../../components/ui'
import { AuthShell, textLink } from './AuthShell'

const backToLogin = (
  <>
    Remembered it?{' '}
    <Link to="/login" className={textLink}>
      Log in
    </Link>
  </>
)

export function ForgotPassword() {
  const [email, setEmail] = useState('')
  const [sentTo, setSentTo] = useState('')
  const form = useForm(['email'])

  if (sentTo) {
    return (
      <AuthShell pageTitle="Check your inbox" title="Check your inbox" footer={backToLogin} testId="forgot-done">
        <div className="flex flex-col items-center text-center">
          <IconBadge className="size-14">
            <MailIcon className="size-7" />
          </IconBadge>
          <p className="mt-5 text-sm leading-6 text-muted">
            If an account exists for <strong className="font-semibold break-all text-fg">{sentTo}</strong>, we sent it a
            link to choose a new password. The link works once and expires soon.
          </p>
          <button type="button" className={`${textLink} mt-5 text-sm`} onClick={() => setSentTo('')}>
            Use a different address
          </button>
        </div>
      </AuthShell>
    )
  }

  return (
    <AuthShell
      pageTitle="Reset your password"
      title="Reset your password"
      subtitle="Enter the e-mail address of your account and we send you a link to choose a new password."
      footer={backToLogin}
      testId="forgot-page"
    >
      <form
        ref={form.formRef}
        noValidate
        className="space-y-5"
        onSubmit={form.submit(async () => {
          await api.post('/api/auth/password-reset/request', { email }, { auth: 'none' })
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
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.fieldError('email')}
        />
        <SubmitButton form={form} className="w-full" size="lg" data-testid="forgot-submit">
          Send reset link
        </SubmitButton>
      </form>
    </AuthShell>
  )
}

export function ResetPassword() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [done, setDone] = useState(false)
  const form = useForm(['password', 'confirm'])

  if (!token) {
    return (
      <AuthShell pageTitle="Reset your password" title="This link is incomplete" footer={backToLogin}>
        <Alert tone="warning">
          The address has no reset token. Open the link from the e-mail again, or{' '}
          <Link to="/forgot-password" className="font-semibold underline">
            ask for a new one
          </Link>
          .
        </Alert>
      </AuthShell>
    )
  }

  if (done) {
    return (
      <AuthShell pageTitle="Password changed" title="Password changed" testId="reset-done">
        <div className="flex flex-col items-center text-center">
          <span className="inline-flex size-14 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 ring-1 ring-emerald-600/20 ring-inset">
            <CheckCircleIcon className="size-7" />
          </span>
          <p className="mt-5 text-sm leading-6 text-muted">
            Your new password is set. Log in with it now.
          </p>
          <ButtonLink to="/login" size="lg" className="mt-6 w-full">
            Log in
          </ButtonLink>
        </div>
      </AuthShell>
    )
  }

  const tokenProblem = form.formError && (form.formError.field === 'token' || form.formError.code === 'not_found')

  return (
    <AuthShell
      pageTitle="Choose a new password"
      title="Choose a new password"
      subtitle="Pick one you do not use anywhere else."
      footer={backToLogin}
      testId="reset-page"
    >
      <form
        ref={form.formRef}
        noValidate
        className="space-y-5"
        onSubmit={form.submit(async () => {
          if (password !== confirm) {
            throw new ApiError({ status: 400, code: 'invalid', field: 'confirm', message: 'The two passwords differ.' })
          }
          await api.post('/api/auth/password-reset/confirm', { token, password }, { auth: 'none' })
          setDone(true)
        })}
      >
        {tokenProblem ? (
          <Alert tone="error" data-testid="form-error">
            {sentence(form.formError?.message ?? '')}
            <Link to="/forgot-password" className="mt-1 block font-semibold underline">
              Ask for a new link
            </Link>
          </Alert>
        ) : (
          <FormError form={form} />
        )}
        <PasswordField
          label="New password"
          name="password"
          autoComplete="new-password"
          autoFocus
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.fieldError('password')}
          hint={<NewPasswordHint value={password} />}
        />
        <PasswordField
          label="Repeat the new password"
          name="confirm"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={form.fieldError('confirm')}
        />
        <SubmitButton form={form} className="w-full" size="lg" data-testid="reset-submit">
          Set new password
        </SubmitButton>
      </form>
    </AuthShell>
  )
}
