import { useState } from 'react'
import { Link } from 'react-router'
import { api, errorMessage } from '../../api'
import { Badge, PageHeader, Panel } from '../../components/data'
import { Alert } from '../../components/forms'
import { ChevronRightIcon, FingerprintIcon, KeyIcon, LockIcon, MonitorIcon, UserIcon } from '../../components/icons'
import { Button, usePageTitle } from '../../components/ui'
import { isStorefront } from '../../config'
import { roleLabel, useSession } from '../../session'

export function Profile() {
  usePageTitle('Account')
  const { me } = useSession()
  const [resend, setResend] = useState<{ state: 'idle' | 'busy' | 'sent' | 'error'; message?: string }>({ state: 'idle' })
  if (!me) return null

  const grants = me.roles.filter((g) => !(isStorefront && g.role === 'customer'))

  const rows = [
    {
      to: '/account/password',
      icon: LockIcon,
      title: 'Password',
      body: 'Change the password you log in with.',
      status: null,
    },
    {
      to: '/account/two-factor',
      icon: FingerprintIcon,
      title: 'Two-factor authentication',
      body: 'A code from your phone on every login.',
      status: me.mfa.enabled ? (
        <Badge tone="success" dot>
          On
        </Badge>
      ) : me.mfa.required ? (
        <Badge tone="warning" dot>
          Required
        </Badge>
      ) : (
        <Badge dot>Off</Badge>
      ),
    },
    {
      to: '/account/sessions',
      icon: MonitorIcon,
      title: 'Sessions',
      body: 'Where you are logged in; sign out other devices.',
      status: null,
    },
    {
      to: '/account/tokens',
      icon: KeyIcon,
      title: 'API tokens',
      body: 'Tokens for scripts and tools that call the API.',
      status: null,
    },
  ]

  return (
    <div className="space-y-8">
      <PageHeader title="Profile" icon={UserIcon} description="Your sign-in address and what you can do here." />

      <Panel title="E-mail address">
        <div className="flex flex-col gap-4 px-4 py-5 sm:flex-row sm:items-center sm:justify-between sm:px-5">
          <div className="min-w-0">
            <p className="font-medium break-all text-fg" data-testid="profile-email">
              {me.account.email}
            </p>
            <div className="mt-1.5">
              {me.account.email_verified ? (
                <Badge tone="success" dot data-testid="email-verified">
                  Verified
                </Badge>
              ) : (
                <Badge tone="warning" dot data-testid="email-unverified">
                  Not verified
                </Badge>
              )}
            </div>
          </div>
          {!me.account.email_verified && resend.state !== 'sent' ? (
            <Button
              variant="secondary"
              busy={resend.state === 'busy'}
              onClick={async () => {
                setResend({ state: 'busy' })
                try {
                  await api.post('/api/auth/resend-verification', { email: me.account.email })
                  setResend({ state: 'sent' })
                } catch (err) {
                  setResend({ state: 'error', message: errorMessage(err) })
                }
              }}
            >
              Send verification link
            </Button>
          ) : null}
        </div>
        {resend.state === 'sent' ? (
          <div className="px-4 pb-5 sm:px-5">
            <Alert tone="success">We sent a new link to {me.account.email}. Open it to confirm your address.</Alert>
          </div>
        ) : resend.state === 'error' ? (
          <div className="px-4 pb-5 sm:px-5">
            <Alert tone="error">{resend.message}</Alert>
          </div>
        ) : null}
      </Panel>

      {grants.length > 0 ? (
        <Panel title="Roles" description="Granted by the people who run each place; ask them to change these.">
          <ul className="divide-y divide-border">
            {grants.map((g) => (
              <li key={`${g.domain}:${g.role}`} className="flex items-center justify-between gap-4 px-4 py-3.5 sm:px-5">
                <span className="text-sm text-fg">
                  {g.domain === 'platform' ? 'Platform' : g.domain_name || 'This storefront'}
                </span>
                <Badge tone="primary">{roleLabel(g.role)}</Badge>
              </li>
            ))}
          </ul>
        </Panel>
      ) : null}

      <Panel title="Security">
        <ul className="divide-y divide-border">
          {rows.map((r) => {
            const I = r.icon
            return (
              <li key={r.to}>
                <Link to={r.to} className="group flex items-center gap-4 px-4 py-4 hover:bg-primary/[0.03] sm:px-5">
                  <I className="size-5 shrink-0 text-muted" />
                  <span className="min-w-0 flex-1">
                    <span className="block text-sm font-medium text-fg">{r.title}</span>
                    <span className="block text-sm text-muted">{r.body}</span>
                  </span>
                  {r.status}
                  <ChevronRightIcon className="size-4 shrink-0 text-muted transition-transform group-hover:translate-x-0.5" />
                </Link>
              </li>
            )
          })}
        </ul>
      </Panel>
    </div>
  )
}
