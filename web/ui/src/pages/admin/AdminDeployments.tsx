import { appName, isApp } from '../../apps'
import { useState } from 'react'
import { api } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { DataTable, EmptyState, PageHeader, Pager, Panel, Time, usePaged, type Column } from '../../components/data'
import { Alert } from '../../components/forms'
import { FilterTabs } from '../../components/tabs'
import { LayersIcon, RefreshIcon, TrashIcon } from '../../components/icons'
import { Button, usePageTitle } from '../../components/ui'
import { backupLabel, cancellable, imageLabel, money, specLine, type Deployment } from '../../deployments'
import { StatusPill } from '../deployments/DeploymentDetail'

type Filter = '' | 'active' | 'attention' | 'ended'

const groups: Record<Exclude<Filter, ''>, string[]> = {
  active: ['running', 'provisioning', 'paid', 'awaiting_payment'],
  attention: ['failed', 'suspended'],
  ended: ['terminated', 'terminating'],
}

/** Retry is offered where the server accepts it: a paid deployment not yet running. */
const retryable = (s: string) => s === 'paid' || s === 'provisioning'

export function AdminDeployments() {
  usePageTitle('Deployments')
  const list = usePaged<Deployment>('/api/admin/deployments?limit=25')
  const [filter, setFilter] = useState<Filter>('')
  const [cancelling, setCancelling] = useState<Deployment | null>(null)
  const [retrying, setRetrying] = useState<Deployment | null>(null)
  const [notice, setNotice] = useState('')

  const rows = filter ? list.items.filter((d) => groups[filter].includes(d.status)) : list.items

  const columns: Column<Deployment>[] = [
    {
      header: 'Server · customer',
      primary: true,
      cell: (d) => (
        <span className="flex min-w-0 flex-col md:max-w-64">
          <span className="truncate font-semibold text-fg">{d.name}</span>
          <span className="truncate text-xs text-muted">
            {isApp(d.app) ? appName(d.app) : `${imageLabel(d.image)} · ${specLine(d.spec)}`}
          </span>
          <span className="truncate text-xs text-fg" title={d.customer_email} data-testid="admin-deployment-customer">
            {d.customer_email || '—'}
          </span>
          <span
            className="truncate font-mono text-[0.7rem] text-muted"
            title={`Deployment ${d.id}${d.ipv4 || d.mycelium ? ` · ${(d.ipv4 || d.mycelium).split('/')[0]}` : ''}`}
          >
            {d.id.slice(0, 8)}
            {d.ipv4 || d.mycelium ? ` · ${(d.ipv4 || d.mycelium).split('/')[0]}` : ''}
          </span>
        </span>
      ),
    },
    {
      header: 'Status',
      cell: (d) => (
        <span className="flex flex-col items-start gap-1">
          <StatusPill status={d.status} />
          {d.failure ? <span className="max-w-48 text-xs text-red-700">{d.failure}</span> : null}
          <span className="text-xs whitespace-nowrap text-muted">
            created <Time iso={d.created_at} />
          </span>
        </span>
      ),
    },
    {
      header: 'Node · backup',
      cell: (d) => (
        <span className="flex flex-col text-sm">
          {d.node_id ? (
            <>
              <span className="font-mono">#{d.node_id}</span>
              {d.standby_node_id ? <span className="text-xs whitespace-nowrap text-muted">standby #{d.standby_node_id}</span> : null}
            </>
          ) : (
            <span className="text-muted">{d.placement === 'advanced' ? 'Picked by customer' : 'Not placed yet'}</span>
          )}
          <span className="text-xs text-muted">{backupLabel[d.backup] ?? d.backup}</span>
        </span>
      ),
    },
    {
      header: 'Cost',
      cell: (d) =>
        d.price_cents !== undefined && d.currency ? (
          <span className="flex flex-col text-sm whitespace-nowrap" data-testid="admin-deployment-cost">
            <span className="font-medium text-fg">{money(d.price_cents, d.currency)}</span>
            <span className="text-xs text-muted">{d.months && d.months > 1 ? `for ${d.months} months` : 'a month'}</span>
          </span>
        ) : (
          <span className="text-muted">—</span>
        ),
    },
    {
      header: '',
      actions: true,
      cell: (d) => (
        <span className="inline-flex flex-wrap justify-end gap-1.5">
          {retryable(d.status) ? (
            <Button size="sm" variant="secondary" onClick={() => setRetrying(d)} data-testid="admin-retry">
              <RefreshIcon className="size-4" />
              Retry
            </Button>
          ) : null}
          {cancellable(d.status) ? (
            <Button size="sm" variant="danger-ghost" onClick={() => setCancelling(d)} data-testid="admin-cancel">
              <TrashIcon className="size-4" />
              Cancel
            </Button>
          ) : null}
        </span>
      ),
    },
  ]

  return (
    <div className="space-y-6">
      <PageHeader
        title="Deployments"
        icon={LayersIcon}
        description="Every server your customers run on this storefront: its state, node and backup. Retry a stuck deployment or cancel one."
      />
      {notice ? (
        <Alert tone="success" data-testid="admin-deployments-notice">
          {notice}
        </Alert>
      ) : null}
      <FilterTabs
        label="Filter deployments"
        value={filter}
        onChange={setFilter}
        tabs={[
          { id: '', label: 'All' },
          { id: 'active', label: 'Active' },
          { id: 'attention', label: 'Needs attention', count: list.items.filter((d) => groups.attention.includes(d.status)).length },
          { id: 'ended', label: 'Ended' },
        ]}
      />
      <Panel>
        <div role="tabpanel">
          <DataTable
            caption="Deployments on this storefront"
            columns={columns}
            rows={rows}
            rowKey={(d) => d.id}
            rowProps={(d) => ({ 'data-testid': 'admin-deployment-row', 'data-name': d.name, 'data-status': d.status })}
            loading={list.loading}
            error={list.error}
            onRetry={list.reload}
            empty={
              <EmptyState icon={LayersIcon} title={filter ? 'Nothing here on this page' : 'No deployments yet'}>
                {filter
                  ? 'No deployment on this page is in this state. Try another filter or the next page.'
                  : 'When customers deploy servers from your storefront, they are listed here.'}
              </EmptyState>
            }
          />
        </div>
        <Pager paged={list} noun="deployments" />
      </Panel>

      <ConfirmDialog
        open={!!retrying}
        onClose={() => setRetrying(null)}
        title={`Retry ${retrying?.name ?? ''}?`}
        confirmLabel="Queue again"
        tone="primary"
        onConfirm={async () => {
          if (!retrying) return
          await api.post(`/api/admin/deployments/${retrying.id}/retry`)
          setNotice(`${retrying.name} is queued again. It picks up where the last attempt stopped; nothing is deployed twice.`)
          list.reload()
        }}
      >
        <p>Provisioning starts again from where it stopped. Contracts already on the grid are reused, not created twice.</p>
      </ConfirmDialog>

      <ConfirmDialog
        open={!!cancelling}
        onClose={() => setCancelling(null)}
        title={`Cancel ${cancelling?.name ?? ''} for the customer?`}
        confirmLabel="Delete server and data"
        onConfirm={async () => {
          if (!cancelling) return
          await api.post(`/api/admin/deployments/${cancelling.id}/cancel`)
          setNotice(`${cancelling.name} is cancelled. The unused time became credit on the customer’s account.`)
          list.reload()
        }}
      >
        <p>
          The customer’s server and everything on its disk{cancelling && cancelling.backup !== 'none' ? ', and its backup,' : ''} are
          deleted now. This cannot be undone.
        </p>
        <p>The unused part of the period the customer paid for becomes credit on their account.</p>
      </ConfirmDialog>
    </div>
  )
}
