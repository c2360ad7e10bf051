import {
  DataTable,
  EmptyState,
  PageHeader,
  Pager,
  Panel,
  Time,
  usePaged,
  type Column,
} from '../components/data'
import { HistoryIcon } from '../components/icons'
import { usePageTitle } from '../components/ui'

export interface AuditEntry {
  id: string | number
  actor: string
  action: string
  target: string
  ip?: string | null
  created_at: string
  detail: unknown
  tenant?: string
}

function isEmptyDetail(d: unknown): boolean {
  if (d === null || d === undefined || d === '') return true
  if (typeof d === 'object' && !Array.isArray(d) && Object.keys(d as object).length === 0) return true
  return false
}

function Detail({ detail }: { detail: unknown }) {
  if (isEmptyDetail(detail)) return <span className="text-muted">—</span>
  if (typeof detail === 'string') return <span className="text-sm break-words">{detail}</span>
  if (typeof detail === 'object' && detail && !Array.isArray(detail)) {
    const entries = Object.entries(detail as Record<string, unknown>)
    // A couple of short fields read best inline; anything larger folds away.
    if (entries.length <= 2 && entries.every(([, v]) => typeof v !== 'object' && String(v).length < 40)) {
      return (
        <span className="text-sm">
          {entries.map(([k, v]) => (
            <span key={k} className="mr-3 inline-block">
              <span className="text-muted">{k}</span> <span className="font-mono text-xs">{String(v)}</span>
            </span>
          ))}
        </span>
      )
    }
  }
  return (
    <details className="group text-sm">
      <summary className="cursor-pointer rounded-sm font-medium text-primary select-none">Show details</summary>
      <pre className="mt-2 max-w-md overflow-x-auto rounded-fd-sm bg-bg p-2.5 font-mono text-xs text-fg ring-1 ring-border">
        {JSON.stringify(detail, null, 2)}
      </pre>
    </details>
  )
}

/** AuditLog lists a realm's audit entries: a tenant's for its admins, everything for super-admins. */
export function AuditLog({ path, showTenant = false, description }: { path: string; showTenant?: boolean; description: string }) {
  usePageTitle('Audit log')
  const paged = usePaged<AuditEntry>(path)

  const columns: Column<AuditEntry>[] = [
    {
      header: 'Action',
      primary: true,
      cell: (e) => (
        <code className="rounded bg-primary/8 px-1.5 py-0.5 font-mono text-xs font-semibold text-primary ring-1 ring-primary/15">
          {e.action}
        </code>
      ),
    },
    { header: 'When', cell: (e) => <Time iso={e.created_at} relative={false} /> },
    { header: 'Actor', cell: (e) => <span className="break-all">{e.actor || <span className="text-muted">system</span>}</span> },
    { header: 'Target', cell: (e) => <span className="break-all">{e.target || <span className="text-muted">—</span>}</span> },
    ...(showTenant
      ? [{ header: 'Tenant', cell: (e: AuditEntry) => e.tenant || <span className="text-muted">platform</span> }]
      : []),
    { header: 'IP', cell: (e) => <span className="font-mono text-xs">{e.ip || '—'}</span> },
    { header: 'Details', cell: (e) => <Detail detail={e.detail} /> },
  ]

  return (
    <div className="space-y-8">
      <PageHeader title="Audit log" icon={HistoryIcon} description={description} />
      <Panel>
        <DataTable
          caption="Audit log"
          columns={columns}
          rows={paged.items}
          rowKey={(e) => String(e.id)}
          rowProps={(e) => ({ 'data-testid': 'audit-row', 'data-action': e.action })}
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          empty={
            <EmptyState icon={HistoryIcon} title="Nothing recorded yet">
              Sign-ins, role changes, approvals and admin actions are recorded here as they happen.
            </EmptyState>
          }
        />
        <Pager paged={paged} noun="audit entries" />
      </Panel>
    </div>
  )
}
