import { useState, type ReactNode } from 'react'
import { useNavigate, useSearchParams } from 'react-router'
import { api, safeNext } from '../../api'
import { Badge, CopyButton, PageHeader, Panel, downloadText } from '../../components/data'
import {
  Alert,
  Checkbox,
  FormError,
  PasswordField,
  SubmitButton,
  TextField,
  useForm,
} from '../../components/forms'
import { DownloadIcon, FingerprintIcon, ShieldCheckIcon, SmartphoneIcon } from '../../components/icons'
import { Button, IconBadge, usePageTitle } from '../../components/ui'
import { config, isStorefront } from '../../config'
import { loadMe, useSession } from '../../session'

interface Enrolment {
  secret: string
  otpauth_url: string
  qr_png: string
}

/** groupSecret splits a base32 secret into blocks of four for reading aloud or typing. */
function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})/g, '$1 ').trim()
}

export function TwoFactor() {
  usePageTitle('Two-factor authentication')
  const { me } = useSession()
  const [params] = useSearchParams()
  const next = safeNext(params.get('next'), '')
  // Recovery codes are shown once, right after enrolment; they outlive the Me reload.
  const [codes, setCodes] = useState<string[] | null>(null)

  if (!me) return null
  const required = me.mfa.required || params.get('required') === '1'

  return (
    <div className="space-y-8">
      <PageHeader
        title="Two-factor authentication"
        icon={FingerprintIcon}
        description="Protect your account with a 6-digit code from an authenticator app (such as 1Password, Google Authenticator or Aegis) on every login."
        actions={
          me.mfa.enabled && !codes ? (
            <Badge tone="success" dot className="px-2.5 py-1 text-sm" data-testid="totp-enabled">
              On
            </Badge>
          ) : undefined
        }
      />

      {codes ? (
        <RecoveryCodes codes={codes} next={next} onDone={() => setCodes(null)} />
      ) : me.mfa.enabled ? (
        <Enabled required={me.mfa.required} />
      ) : (
        <>
          {required ? (
            <Alert tone="warning" title="Set up two-factor authentication to continue" data-testid="mfa-required-banner">
              {isStorefront
                ? 'Staff accounts of this storefront must use a second factor before the admin pages open. It takes about a minute.'
                : 'Super-admin accounts must use a second factor before the console opens. It takes about a minute.'}{' '}
              {next ? 'When you are done, we take you back to where you were going.' : ''}
            </Alert>
          ) : null}
          <Enrol onConfirmed={setCodes} />
        </>
      )}
    </div>
  )
}

function Enrol({ onConfirmed }: { onConfirmed: (codes: string[]) => void }) {
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null)
  const [code, setCode] = useState('')
  const start = useForm([])
  const confirm = useForm(['code'])

  if (!enrolment) {
    return (
      <Panel>
        <div className="flex flex-col gap-6 px-4 py-6 sm:flex-row sm:items-start sm:px-6">
          <IconBadge className="size-12">
            <SmartphoneIcon className="size-6" />
          </IconBadge>
          <div className="min-w-0 flex-1">
            <h2 className="text-base font-semibold text-fg">Two-factor authentication is off</h2>
            <p className="mt-1 max-w-xl text-sm leading-6 text-muted">
              You will need an authenticator app on your phone or computer. We show a QR code to scan, you type the code
              the app shows to prove it works, and we give you ten recovery codes for the day you lose the device.
            </p>
            <FormError form={start} className="mt-4" />
            <Button
              className="mt-5"
              busy={start.busy}
              data-testid="totp-start"
              onClick={() =>
                start.run(async () => {
                  setEnrolment(await api.post<Enrolment>('/api/account/2fa/enroll'))
                })
              }
            >
              <ShieldCheckIcon className="size-4.5" />
              Set up two-factor authentication
            </Button>
          </div>
        </div>
      </Panel>
    )
  }

  return (
    <Panel data-testid="totp-enrol">
      <ol className="divide-y divide-border">
        <li className="px-4 py-6 sm:px-6">
          <Step n={1} title="Scan this QR code with your authenticator app">
            <div className="mt-4 flex flex-col gap-6 sm:flex-row sm:items-start">
              <img
                src={enrolment.qr_png}
                alt="QR code to add this account to an authenticator app"
                data-testid="totp-qr"
                width={176}
                height={176}
                className="size-44 shrink-0 rounded-fd-sm border border-border bg-white p-2"
              />
              <div className="min-w-0 text-sm">
                <p className="text-muted">Can’t scan it? Choose “enter a setup key” in the app and type this key:</p>
                <p
                  className="mt-2 rounded-fd-sm border border-border bg-bg px-3 py-2 font-mono text-base tracking-wider break-all text-fg"
                  data-testid="totp-secret"
                  data-secret={enrolment.secret}
                >
                  {groupSecret(enrolment.secret)}
                </p>
                <div className="mt-3 flex flex-wrap gap-2">
                  <CopyButton text={enrolment.secret} label="Copy key" />
                  <a
                    href={enrolment.otpauth_url}
                    className="inline-flex h-9 items-center rounded-fd-sm px-3 text-sm font-semibold text-primary hover:bg-primary/5 sm:hidden"
                  >
                    Open in authenticator app
                  </a>
                </div>
                <p className="mt-3 text-xs text-muted">
                  Account: {config.tenant.name} · type: time-based (TOTP), 6 digits, 30 seconds.
                </p>
              </div>
            </div>
          </Step>
        </li>
        <li className="px-4 py-6 sm:px-6">
          <Step n={2} title="Enter the code the app shows">
            <form
              ref={confirm.formRef}
              noValidate
              className="mt-4 max-w-sm space-y-4"
              onSubmit={confirm.submit(async () => {
                const res = await api.post<{ recovery_codes: string[] }>('/api/account/2fa/confirm', { code: code.trim() })
                onConfirmed(res.recovery_codes ?? [])
                // The server re-issued this session's tokens as two-factor; reload Me to match.
                await loadMe().catch(() => null)
              })}
            >
              <FormError form={confirm} />
              <TextField
                label="6-digit code"
                name="code"
                data-testid="totp-code"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]*"
                maxLength={6}
                placeholder="123456"
                className="font-mono text-lg tracking-[0.3em]"
                autoFocus
                value={code}
                onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
                error={confirm.fieldError('code')}
              />
              <div className="flex flex-wrap gap-2">
                <SubmitButton form={confirm} data-testid="totp-confirm">
                  Turn on two-factor authentication
                </SubmitButton>
                <Button
                  variant="ghost"
                  onClick={() => {
                    setEnrolment(null)
                    setCode('')
                  }}
                >
                  Cancel
                </Button>
              </div>
            </form>
          </Step>
        </li>
      </ol>
    </Panel>
  )
}

function Step({ n, title, children }: { n: number; title: string; children: ReactNode }) {
  return (
    <div className="flex gap-4">
      <span className="flex size-7 shrink-0 items-center justify-center rounded-full border border-primary/30 bg-primary/10 text-sm font-bold text-primary">
        {n}
      </span>
      <div className="min-w-0 flex-1">
        <h2 className="pt-0.5 text-base font-semibold text-fg">{title}</h2>
        {children}
      </div>
    </div>
  )
}

function RecoveryCodes({ codes, next, onDone }: { codes: string[]; next: string; onDone: () => void }) {
  const [saved, setSaved] = useState(false)
  const navigate = useNavigate()
  const text = codes.join('\n')
  const filename = `${(config.tenant.name || 'account').toLowerCase().replace(/[^a-z0-9]+/g, '-')}-recovery-codes.txt`

  return (
    <div className="space-y-6">
      <Alert tone="success" title="Two-factor authentication is on">
        From now on you enter a code from your app after your password.
      </Alert>
      <Panel
        title="Save your recovery codes"
        description="If you lose your phone, each of these codes logs you in once. This is the only time they are shown."
      >
        <div className="px-4 py-5 sm:px-6">
          <ul
            data-testid="recovery-codes"
            className="grid max-w-md grid-cols-1 gap-x-8 gap-y-2 rounded-fd-sm border border-border bg-bg p-4 font-mono text-sm text-fg min-[360px]:grid-cols-2"
          >
            {codes.map((c) => (
              <li key={c} data-testid="recovery-code" className="tracking-wider">
                {c}
              </li>
            ))}
          </ul>
          <div className="mt-4 flex flex-wrap gap-2">
            <CopyButton text={text} label="Copy all" />
            <Button
              size="sm"
              variant="secondary"
              onClick={() =>
                downloadText(
                  filename,
                  `Recovery codes for ${config.tenant.name}\nEach code works once.\n\n${text}\n`,
                )
              }
            >
              <DownloadIcon className="size-4" />
              Download
            </Button>
          </div>
          <div className="mt-6 border-t border-border pt-5">
            <Checkbox
              label="I have stored these codes somewhere safe"
              description="A password manager or a printed copy kept away from your phone."
              checked={saved}
              data-testid="recovery-saved"
              onChange={(e) => setSaved(e.target.checked)}
            />
            <Button
              className="mt-5"
              disabled={!saved}
              data-testid="totp-continue"
              onClick={() => {
                onDone()
                if (next) navigate(next, { replace: true })
              }}
            >
              {next ? 'Continue' : 'Done'}
            </Button>
          </div>
        </div>
      </Panel>
    </div>
  )
}

function Enabled({ required }: { required: boolean }) {
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [open, setOpen] = useState(false)
  const form = useForm(['password', 'code'])

  return (
    <div className="space-y-6">
      <Panel>
        <div className="flex flex-col gap-4 px-4 py-6 sm:flex-row sm:items-start sm:px-6">
          <span className="inline-flex size-12 shrink-0 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 ring-1 ring-emerald-600/20 ring-inset">
            <ShieldCheckIcon className="size-6" />
          </span>
          <div>
            <h2 className="text-base font-semibold text-fg">Your account is protected</h2>
            <p className="mt-1 max-w-xl text-sm leading-6 text-muted">
              Every login asks for a code from your authenticator app. Lost the device? Use one of your recovery codes on
              the login page (“Use a recovery code”).
            </p>
          </div>
        </div>
      </Panel>

      <Panel title="Turn off two-factor authentication">
        <div className="px-4 py-5 sm:px-6">
          {required ? (
            <Alert tone="info">
              Your role requires two-factor authentication, so it cannot be turned off. Keep your recovery codes safe:
              they are how you log in if you lose this device.
            </Alert>
          ) : !open ? (
            <div className="flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between">
              <p className="text-sm text-muted">Logins will then need only your password.</p>
              <Button variant="secondary" onClick={() => setOpen(true)} data-testid="totp-disable-open">
                Turn off…
              </Button>
            </div>
          ) : (
            <form
              ref={form.formRef}
              noValidate
              className="max-w-sm space-y-4"
              onSubmit={form.submit(async () => {
                await api.post('/api/account/2fa/disable', { password, code: code.trim() })
                await loadMe().catch(() => null)
              })}
            >
              <p className="text-sm text-muted">Confirm with your password and a current code.</p>
              <FormError form={form} />
              <PasswordField
                label="Password"
                name="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                error={form.fieldError('password')}
              />
              <TextField
                label="Authentication or recovery code"
                name="code"
                autoComplete="one-time-code"
                className="font-mono tracking-wider"
                value={code}
                onChange={(e) => setCode(e.target.value)}
                error={form.fieldError('code')}
              />
              <div className="flex flex-wrap gap-2">
                <SubmitButton form={form} variant="danger" data-testid="totp-disable">
                  Turn off two-factor authentication
                </SubmitButton>
                <Button variant="ghost" onClick={() => setOpen(false)}>
                  Cancel
                </Button>
              </div>
            </form>
          )}
        </div>
      </Panel>
    </div>
  )
}
