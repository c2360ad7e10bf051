import { useState } from 'react'
import { Link } from 'react-router'
import { api, withQuery } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { EmptyState, PageHeader, Pager, Panel, usePaged, type BadgeTone } from '../../components/data'
import { Alert } from '../../components/forms'
import { LockIcon, PlayCircleIcon, UsersIcon } from '../../components/icons'
import { PeopleTable } from '../../components/people'
import { SearchBox, useSearchQuery } from '../../components/search'
import { Button, Container, usePageTitle } from '../../components/ui'
import { roleLabel, useSession } from '../../session'

/** A platform account as GET /api/console/accounts answers. */
export interface PlatformAccount {
  id: string
  email: string
  roles: string[]
  coops: string[]
  email_verified: boolean
  mfa_enabled: boolean
  api_tokens: number
  active_sessions: number
  created_at: string
  disabled_at: string | null
}

const roleTone = (r: string): BadgeTone => (r === 'super_admin' ? 'primary' : r === 'node_operator' ? 'success' : 'neutral')

type Action = { kind: 'disable' | 'enable'; account: PlatformAccount }

export function Accounts() {
  usePageTitle('Accounts')
  const { me } = useSession()
  const search = useSearchQuery()
  const paged = usePaged<PlatformAccount>(withQuery('/api/console/accounts', { q: search.query }))
  const [action, setAction] = useState<Action | null>(null)
  const [notice, setNotice] = useState('')

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Accounts"
        icon={UsersIcon}
        description="Every console account: node operators, co-op members and super-admins, with their roles, two-factor status and API tokens. Storefront customers and staff are managed by each storefront."
      />
      {notice ? (
        <Alert tone="success" data-testid="accounts-notice">
          {notice}
        </Alert>
      ) : null}
      <Panel
        title="Platform accounts"
        actions={
          <SearchBox
            value={search.text}
            onChange={search.setText}
            label="Search accounts by e-mail"
            placeholder="Search by e-mail…"
            hint="Shows accounts whose e-mail address starts with what you type."
            testId="account-search"
          />
        }
      >
        <PeopleTable
          caption="Platform accounts"
          rows={paged.items}
          rowKey={(a) => a.id}
          rowTestId="account-row"
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          disabledTestId="account-disabled"
          detail={(a) => (!a.email_verified ? <span className="text-xs text-muted">E-mail not verified yet</span> : null)}
          roles={{
            header: 'Roles',
            of: (a) => [
              ...a.roles.map((r) => ({ key: r, label: roleLabel(r), tone: roleTone(r) })),
              ...a.coops.map((c) => ({ key: `coop-${c}`, label: `Co-op: ${c}`, title: `Member of the co-op ${c}` })),
            ],
          }}
          twoFactor={{ header: '2FA', on: (a) => a.mfa_enabled, warn: (a) => a.roles.includes('super_admin') }}
          columns={[
            {
              header: 'API tokens',
              className: 'text-right',
              cell: (a) => <span className={a.api_tokens ? 'tabular-nums' : 'text-muted tabular-nums'}>{a.api_tokens}</span>,
            },
            {
              header: 'Sessions',
              className: 'text-right',
              cell: (a) => (
                <span className={a.active_sessions ? 'tabular-nums' : 'text-muted tabular-nums'}>{a.active_sessions}</span>
              ),
            },
          ]}
          added={{ header: 'Created', className: 'whitespace-nowrap' }}
          actions={(a) =>
            a.disabled_at ? (
              <Button
                size="sm"
                variant="secondary"
                onClick={() => setAction({ kind: 'enable', account: a })}
                aria-label={`Enable ${a.email}`}
                data-testid="account-enable"
              >
                <PlayCircleIcon className="size-4" />
                Enable
              </Button>
            ) : me && a.id === me.account.id ? null : (
              <Button
                size="sm"
                variant="danger-ghost"
                onClick={() => setAction({ kind: 'disable', account: a })}
                aria-label={`Disable ${a.email}`}
                data-testid="account-disable"
              >
                <LockIcon className="size-4" />
                Disable
              </Button>
            )
          }
          empty={
            search.query ? (
              <EmptyState
                icon={UsersIcon}
                title="No account matches"
                action={
                  <Button variant="secondary" onClick={() => search.setText('')}>
                    Clear the search
                  </Button>
                }
              >
                No account’s e-mail address starts with “{search.query}”.
              </EmptyState>
            ) : (
              <EmptyState icon={UsersIcon} title="No accounts yet">
                Node operators appear here when they sign up on the console.{' '}
                <Link to="/super-admins" className="font-medium text-primary hover:underline">
                  Add a super-admin
                </Link>{' '}
                to share the work.
              </EmptyState>
            )
          }
        />
        <Pager paged={paged} noun="accounts" />
      </Panel>

      <ConfirmDialog
        open={action?.kind === 'disable'}
        onClose={() => setAction(null)}
        title={`Disable ${action?.account.email ?? ''}?`}
        confirmLabel="Disable account"
        testId="disable-dialog"
        onConfirm={async () => {
          if (!action) return
          await api.post(`/api/console/accounts/${encodeURIComponent(action.account.id)}/disable`, {})
          setNotice(`${action.account.email} is disabled. Its sessions ended and its API tokens stopped working.`)
          setAction(null)
          paged.reload()
        }}
      >
        <p>
          They are signed out everywhere at once ({action?.account.active_sessions ?? 0} open{' '}
          {action?.account.active_sessions === 1 ? 'session' : 'sessions'}), cannot sign in, and their{' '}
          {action?.account.api_tokens ?? 0} API {action?.account.api_tokens === 1 ? 'token stops' : 'tokens stop'} working.
          Their nodes, requests and earnings stay as they are. You can enable the account again at any time.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={action?.kind === 'enable'}
        onClose={() => setAction(null)}
        tone="primary"
        title={`Enable ${action?.account.email ?? ''}?`}
        confirmLabel="Enable account"
        testId="enable-dialog"
        onConfirm={async () => {
          if (!action) return
          await api.post(`/api/console/accounts/${encodeURIComponent(action.account.id)}/enable`, {})
          setNotice(`${action.account.email} can sign in again.`)
          setAction(null)
          paged.reload()
        }}
      >
        <p>They can sign in again, and their API tokens work again. Sessions ended by the disabling stay ended.</p>
      </ConfirmDialog>
    </Container>
  )
}
