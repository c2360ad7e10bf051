import {
  DataTable,
  EmptyState,
  PageHeader,
  Pager,
  Panel,
  formatDate,
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

function detailEntries(d: unknown): Array<[string, string]> | null {
  if (!d || typeof d !== 'object' || Array.isArray(d)) return null
  const out: Array<[string, string]> = []
  for (const [k, v] of Object.entries(d as Record<string, unknown>)) {
    if (v === null || v === undefined || v === '') continue
    out.push([k, typeof v === 'object' ? JSON.stringify(v) : String(v)])
  }
  return out
}

/** Detail shows an entry's detail object as short key/value lines; long values are cut with the full text on hover. */
function Detail({ detail }: { detail: unknown }) {
  if (typeof detail === 'string' && detail) return <span className="text-sm break-words">{detail}</span>
  const entries = detailEntries(detail)
  if (!entries || entries.length === 0) return <span className="text-muted">—</span>
  return (
    <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-2 gap-y-0.5 text-xs">
      {entries.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-muted">{k.replace(/_/g, ' ')}</dt>
          <dd className="max-w-[14rem] truncate font-mono text-fg" title={v}>
            {v}
          </dd>
        </div>
      ))}
    </dl>
  )
}

const stamp = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })

function When({ iso }: { iso: string }) {
  const d = new Date(iso)
  return (
    <time dateTime={iso} title={formatDate(iso)} className="whitespace-nowrap">
      {Number.isNaN(d.getTime()) ? iso : stamp.format(d)}
    </time>
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
        <code className="rounded bg-primary/8 px-1.5 py-0.5 font-mono text-xs font-semibold whitespace-nowrap text-primary ring-1 ring-primary/15">
          {e.action}
        </code>
      ),
    },
    {
      header: 'Who → what',
      cell: (e) => (
        <span className="flex flex-col text-sm">
          <span className="break-words text-fg">{e.actor || 'system'}</span>
          {e.target && e.target !== e.actor ? <span className="break-words text-muted">→ {e.target}</span> : null}
        </span>
      ),
    },
    ...(showTenant
      ? [{ header: 'Tenant', cell: (e: AuditEntry) => e.tenant || <span className="text-muted">Platform</span> }]
      : []),
    {
      header: 'When',
      cell: (e) => (
        <span className="flex flex-col text-sm">
          <When iso={e.created_at} />
          {e.ip ? <span className="font-mono text-xs text-muted">{e.ip}</span> : null}
        </span>
      ),
    },
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
