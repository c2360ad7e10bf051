import { Badge, DataTable, EmptyState, PageHeader, Pager, Panel, Time, usePaged, type Column } from '../../components/data'
import { GlobeIcon } from '../../components/icons'
import { usePageTitle } from '../../components/ui'
import { statusLabels, statusTone, type Domain } from '../../tenancy'

/** ConsoleDomains lists every storefront's custom domains, for support and for the TLS terminator's operators. */
export function ConsoleDomains() {
  usePageTitle('Domains')
  const paged = usePaged<Domain>('/api/console/domains')

  const columns: Column<Domain>[] = [
    { header: 'Domain', primary: true, cell: (d) => <span className="font-medium break-all">{d.domain}</span> },
    { header: 'Tenant', cell: (d) => d.tenant ?? <span className="text-muted">—</span> },
    {
      header: 'Status',
      cell: (d) => (
        <Badge tone={statusTone(d.status)} dot>
          {statusLabels[d.status] ?? d.status}
        </Badge>
      ),
    },
    {
      header: 'Checked',
      cell: (d) =>
        d.status === 'verified' ? (
          <span className="text-sm">
            Verified <Time iso={d.verified_at} />
          </span>
        ) : (
          <span className="flex flex-col gap-0.5 text-sm">
            <span>{d.last_checked_at ? <Time iso={d.last_checked_at} /> : <span className="text-muted">Not yet</span>}</span>
            {d.last_error ? <span className="max-w-md text-xs break-words text-amber-800">{d.last_error}</span> : null}
          </span>
        ),
    },
    { header: 'Added', cell: (d) => <Time iso={d.created_at} /> },
  ]

  return (
    <div className="space-y-8">
      <PageHeader
        title="Domains"
        icon={GlobeIcon}
        description="Custom domains of every storefront. A domain serves its storefront, and gets a certificate, once its TXT record is verified and while its tenant is active. Pending domains are re-checked every 10 minutes for 30 days."
      />
      <Panel>
        <DataTable
          caption="Custom domains"
          columns={columns}
          rows={paged.items}
          rowKey={(d) => d.id}
          rowProps={(d) => ({ 'data-testid': 'console-domain-row', 'data-domain': d.domain })}
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          empty={
            <EmptyState icon={GlobeIcon} title="No custom domains yet">
              Tenant admins add their domains on their storefront’s admin pages (Admin → Domains). They are listed here
              as soon as they are added.
            </EmptyState>
          }
        />
        <Pager paged={paged} noun="domains" />
      </Panel>
    </div>
  )
}
