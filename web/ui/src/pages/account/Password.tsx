import { useState } from 'react'
import { api, ApiError } from '../../api'
import { PageHeader, Panel } from '../../components/data'
import { Alert, FormError, NewPasswordHint, PasswordField, SubmitButton, useForm } from '../../components/forms'
import { LockIcon } from '../../components/icons'
import { usePageTitle } from '../../components/ui'
import { useSession } from '../../session'

export function Password() {
  usePageTitle('Password')
  const { me } = useSession()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [confirm, setConfirm] = useState('')
  const [done, setDone] = useState(false)
  const form = useForm(['current_password', 'new_password', 'confirm'])

  return (
    <div className="space-y-8">
      <PageHeader
        title="Password"
        icon={LockIcon}
        description="Use at least 12 characters. A password you use nowhere else is the best defence against account takeover."
      />
      <Panel>
        <form
          ref={form.formRef}
          noValidate
          data-testid="password-form"
          className="max-w-md space-y-5 px-4 py-6 sm:px-6"
          onSubmit={form.submit(async () => {
            setDone(false)
            if (next !== confirm) {
              throw new ApiError({ status: 400, code: 'invalid', field: 'confirm', message: 'The two new passwords differ.' })
            }
            await api.post('/api/account/password', { current_password: current, new_password: next })
            setCurrent('')
            setNext('')
            setConfirm('')
            setDone(true)
          })}
        >
          {done ? (
            <Alert tone="success" data-testid="password-changed">
              Password changed. Your other sessions were signed out; this one stays open.
            </Alert>
          ) : null}
          <FormError form={form} />
          {/* Lets password managers file the change under the right account. */}
          <input type="email" name="username" autoComplete="username" value={me?.account.email ?? ''} readOnly hidden />
          <PasswordField
            label="Current password"
            name="current_password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            error={form.fieldError('current_password')}
          />
          <PasswordField
            label="New password"
            name="new_password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            error={form.fieldError('new_password')}
            hint={<NewPasswordHint value={next} />}
          />
          <PasswordField
            label="Repeat the new password"
            name="confirm"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            error={form.fieldError('confirm')}
          />
          <SubmitButton form={form} data-testid="password-submit">
            Change password
          </SubmitButton>
        </form>
      </Panel>
    </div>
  )
}
