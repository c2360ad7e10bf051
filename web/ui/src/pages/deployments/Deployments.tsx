import { appName, isApp } from '../../apps'
import { Link } from 'react-router'
import { RequireAuth } from '../../components/Guard'
import { DataTable, EmptyState, PageHeader, Pager, Panel, Time, useApi, usePaged, type Column } from '../../components/data'
import { ChevronRightIcon, LayersIcon, PlusIcon, RocketIcon } from '../../components/icons'
import { ButtonLink, Container, usePageTitle } from '../../components/ui'
import { formatDay, imageLabel, money, orderPrice, specLine, type Deployment } from '../../deployments'
import { DeploymentDetail, StatusPill, type Subscription } from './DeploymentDetail'

function DeploymentList() {
  usePageTitle('Deployments')
  const list = usePaged<Deployment>('/api/deployments?limit=20')
  // The list carries no order: the price and renewal date come from the subscriptions.
  const subs = useApi<{ items: Subscription[] }>('/api/subscriptions')
  const subOf = (d: Deployment) => subs.data?.items?.find((s) => s.first_order_id === d.order_id)
  const price = (d: Deployment) => {
    if (d.order) return orderPrice(d.order)
    const s = subOf(d)
    if (!s) return '—'
    return s.months > 1 ? `${money(s.renewal_cents, s.currency)} / ${s.months} months` : `${money(s.renewal_cents, s.currency)} / month`
  }
  const renews = (d: Deployment) => {
    const s = subOf(d)
    if (!s || d.status === 'terminated' || d.status === 'failed' || s.status === 'canceled' || s.status === 'terminated') return '—'
    return formatDay(s.paid_through)
  }

  const columns: Column<Deployment>[] = [
    {
      header: 'Server',
      primary: true,
      cell: (d) => (
        <Link
          to={`/deployments/${d.id}`}
          className="group flex min-w-0 flex-col rounded-sm"
          data-testid="deployment-link"
        >
          <span className="font-semibold text-fg group-hover:text-primary">{d.name}</span>
          <span className="truncate text-xs text-muted">
            {isApp(d.app) ? appName(d.app) : `${imageLabel(d.image)} · ${specLine(d.spec)}`}
          </span>
        </Link>
      ),
    },
    { header: 'Status', cell: (d) => <StatusPill status={d.status} /> },
    {
      header: 'Address',
      cell: (d) =>
        d.ipv4 || d.mycelium ? (
          <code className="font-mono text-xs break-all text-fg">{(d.ipv4 || d.mycelium).split('/')[0]}</code>
        ) : (
          <span className="text-muted">—</span>
        ),
      className: 'max-w-56',
    },
    { header: 'Price', cell: (d) => <span className="whitespace-nowrap">{price(d)}</span> },
    { header: 'Renews', cell: (d) => <span className="whitespace-nowrap">{renews(d)}</span> },
    { header: 'Created', cell: (d) => <Time iso={d.created_at} /> },
    {
      header: '',
      actions: true,
      hideOnPhone: true,
      cell: (d) => (
        <Link
          to={`/deployments/${d.id}`}
          className="inline-flex size-8 items-center justify-center rounded-fd-sm text-muted hover:bg-primary/5 hover:text-primary"
          aria-label={`Open ${d.name}`}
        >
          <ChevronRightIcon className="size-4.5" />
        </Link>
      ),
    },
  ]

  const hasAny = list.items.length > 0 || list.hasPrev
  return (
    <Container className="space-y-6 py-10">
      <PageHeader
        title="Deployments"
        icon={LayersIcon}
        description="Your servers, their state and addresses. Open one for live progress, its SSH command and backup health."
        actions={
          hasAny ? (
            <ButtonLink to="/deploy" data-testid="deployments-new">
              <PlusIcon className="size-4" />
              Deploy a VM
            </ButtonLink>
          ) : undefined
        }
      />
      <Panel>
        <DataTable
          caption="Your deployments"
          columns={columns}
          rows={list.items}
          rowKey={(d) => d.id}
          rowProps={(d) => ({ 'data-testid': 'deployment-row', 'data-name': d.name, 'data-status': d.status })}
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          empty={
            <EmptyState
              icon={RocketIcon}
              title="No servers yet"
              action={
                <ButtonLink to="/deploy" size="lg" data-testid="empty-deploy">
                  <RocketIcon className="size-4.5" />
                  Deploy your first VM
                </ButtonLink>
              }
            >
              Pick an image and a size, paste your SSH key and pay by card. Your server is running a few minutes later, and
              it is listed here.
            </EmptyState>
          }
        />
        <Pager paged={list} noun="deployments" />
      </Panel>
    </Container>
  )
}

export function Deployments() {
  return (
    <RequireAuth>
      <DeploymentList />
    </RequireAuth>
  )
}

export function DeploymentPage() {
  return (
    <RequireAuth>
      <DeploymentDetail />
    </RequireAuth>
  )
}
