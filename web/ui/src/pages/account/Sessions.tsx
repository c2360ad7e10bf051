import { useState } from 'react'
import { useNavigate } from 'react-router'
import { api } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, PageHeader, Panel, Time, useApi, type Column } from '../../components/data'
import { LogOutIcon, MonitorIcon, SmartphoneIcon } from '../../components/icons'
import { Button, usePageTitle } from '../../components/ui'
import { signedOut } from '../../session'

export interface AccountSession {
  id: string
  created_at: string
  last_used_at: string
  user_agent: string
  ip: string | null
  current: boolean
}

/** describeAgent turns a User-Agent header into "Firefox on macOS". */
export function describeAgent(ua: string): { label: string; mobile: boolean } {
  if (!ua) return { label: 'Unknown device', mobile: false }
  const browser = /Edg(e|A|iOS)?\//.test(ua)
    ? 'Edge'
    : /OPR\/|Opera/.test(ua)
      ? 'Opera'
      : /Firefox\/|FxiOS\//.test(ua)
        ? 'Firefox'
        : /Chrome\/|CriOS\/|Chromium\//.test(ua)
          ? /HeadlessChrome/.test(ua)
            ? 'Headless Chrome'
            : 'Chrome'
          : /Safari\//.test(ua) && /Version\//.test(ua)
            ? 'Safari'
            : ''
  const os = /iPhone|iPad|iPod/.test(ua)
    ? 'iOS'
    : /Android/.test(ua)
      ? 'Android'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : ''
  const mobile = /Mobi|iPhone|Android/.test(ua)
  if (browser && os) return { label: `${browser} on ${os}`, mobile }
  if (browser || os) return { label: browser || os, mobile }
  // A tool such as curl/8.5.0: its product token is the most useful name.
  return { label: ua.split(/[\s(]/)[0] || 'Unknown device', mobile }
}

export function Sessions() {
  usePageTitle('Sessions')
  const list = useApi<{ items: AccountSession[] }>('/api/account/sessions')
  const [revoking, setRevoking] = useState<AccountSession | null>(null)
  const [everywhere, setEverywhere] = useState(false)
  const navigate = useNavigate()
  const rows = [...(list.data?.items ?? [])].sort((a, b) => Number(b.current) - Number(a.current))

  const columns: Column<AccountSession>[] = [
    {
      header: 'Device',
      primary: true,
      cell: (s) => {
        const d = describeAgent(s.user_agent)
        const I = d.mobile ? SmartphoneIcon : MonitorIcon
        return (
          <span className="flex items-center gap-3">
            <I className="size-5 shrink-0 text-muted" />
            <span className="min-w-0">
              <span className="font-medium text-fg" title={s.user_agent}>
                {d.label}
              </span>
              {s.current ? (
                <Badge tone="success" className="ml-2" data-testid="current-session">
                  This device
                </Badge>
              ) : null}
            </span>
          </span>
        )
      },
    },
    { header: 'IP address', cell: (s) => <span className="font-mono text-xs">{s.ip || '—'}</span> },
    { header: 'Signed in', cell: (s) => <Time iso={s.created_at} /> },
    { header: 'Last active', cell: (s) => <Time iso={s.last_used_at} /> },
    {
      header: '',
      actions: true,
      cell: (s) =>
        s.current ? null : (
          <Button size="sm" variant="danger-ghost" onClick={() => setRevoking(s)} data-testid="revoke-session">
            Revoke
          </Button>
        ),
    },
  ]

  return (
    <div className="space-y-8">
      <PageHeader
        title="Sessions"
        icon={MonitorIcon}
        description="Browsers where you are logged in. Revoke any you do not recognise, then change your password."
        actions={
          <Button variant="secondary" onClick={() => setEverywhere(true)} data-testid="logout-all">
            <LogOutIcon className="size-4" />
            Log out everywhere
          </Button>
        }
      />
      <Panel>
        <DataTable
          caption="Active sessions"
          columns={columns}
          rows={rows}
          rowKey={(s) => s.id}
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          empty={
            <EmptyState icon={MonitorIcon} title="No other sessions">
              Only this browser is signed in.
            </EmptyState>
          }
        />
      </Panel>

      <ConfirmDialog
        open={!!revoking}
        onClose={() => setRevoking(null)}
        title="Revoke this session?"
        confirmLabel="Revoke session"
        onConfirm={async () => {
          if (!revoking) return
          await api.del(`/api/account/sessions/${encodeURIComponent(revoking.id)}`)
          list.reload()
        }}
      >
        <p>
          {revoking ? describeAgent(revoking.user_agent).label : ''}
          {revoking?.ip ? ` (${revoking.ip})` : ''} is signed out at once and has to log in again.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={everywhere}
        onClose={() => setEverywhere(false)}
        title="Log out everywhere?"
        confirmLabel="Log out everywhere"
        onConfirm={async () => {
          await api.post('/api/auth/logout-all')
          // This page unmounts as the session ends; the account guard then goes to /login.
          signedOut()
          navigate('/login', { replace: true, state: { loggedOut: true } })
        }}
      >
        <p>Every session ends, this one included. API tokens keep working; revoke them separately.</p>
      </ConfirmDialog>
    </div>
  )
}
