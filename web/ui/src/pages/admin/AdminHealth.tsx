import { useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { api } from '../../api'
import { Badge, DataTable, EmptyState, Loading, PageHeader, Pager, Panel, Time, formatDate, useApi, usePaged, type Column } from '../../components/data'
import { Alert, ErrorPanel } from '../../components/forms'
import { ActivityIcon, CheckCircleIcon, RefreshIcon } from '../../components/icons'
import { Button, Card, usePageTitle } from '../../components/ui'
import { canManageTenant, useSession } from '../../session'
import { StatusPill } from '../deployments/DeploymentDetail'

interface Drift {
  deployment_id: string
  name: string
  project: string
  problem: string
  action: string
}

interface Report {
  id: number
  ran_at: string
  checked: number
  drift: Drift[]
  error: string
}

interface Incident {
  deployment_id: string
  name: string
  customer_email: string
  kind: 'failover' | 'reprovision'
  message: string
  at: string
  notified_at: string | null
  status: string
}

interface Health {
  last_reconcile: Report | null
  counts: { running: number; provisioning: number; failed: number; suspended: number; incidents: number; unnotified: number }
  lost_backends: number
  incidents: Incident[]
  wallet: boolean
}

/** AdminHealth is Admin → Health: reconcile drift, failovers and what needs a person. */
export function AdminHealth() {
  usePageTitle('Health')
  const { me } = useSession()
  const health = useApi<Health>('/api/admin/health')
  const reports = usePaged<Report>('/api/admin/health/reports?limit=10')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  const reconcile = async () => {
    setBusy(true)
    setError(null)
    try {
      await api.post('/api/admin/health/reconcile', {})
      health.reload()
      reports.reset()
      reports.reload()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const h = health.data
  return (
    <div className="space-y-8" data-testid="admin-health">
      <PageHeader
        title="Health"
        icon={ActivityIcon}
        description="Whether your records match the grid, servers that moved off failed nodes, and what needs a person. Reconcile runs every 30 minutes."
        actions={
          canManageTenant(me) ? (
            <Button variant="secondary" onClick={reconcile} busy={busy} data-testid="reconcile-now">
              <RefreshIcon className="size-4" />
              Reconcile now
            </Button>
          ) : null
        }
      />
      {error ? <ErrorPanel error={error} /> : null}
      {health.error && !h ? (
        <ErrorPanel error={health.error} onRetry={health.reload} />
      ) : !h ? (
        <Loading />
      ) : (
        <>
          {!h.wallet ? (
            <Alert tone="error" title="No wallet: new servers cannot start" data-testid="health-no-wallet">
              Deployments run on your storefront’s TFChain wallet, which pays the grid. Add it on the{' '}
              <Link to="/admin/wallet" className="font-semibold underline">
                Wallet
              </Link>{' '}
              page.
            </Alert>
          ) : null}
          <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <Stat label="Running" value={h.counts.running} hint={h.counts.provisioning ? `${h.counts.provisioning} deploying` : 'none deploying'} />
            <Stat
              label="Failed"
              value={h.counts.failed}
              hint="in the last 30 days, refunded"
              tone={h.counts.failed ? 'warning' : undefined}
            />
            <Stat
              label="Moved off failed nodes"
              value={h.counts.incidents}
              hint={h.counts.unnotified ? `${h.counts.unnotified} customer e-mails not sent` : 'in the last 30 days; customers told'}
              tone={h.counts.unnotified ? 'warning' : undefined}
              testId="health-incidents-count"
            />
            <Stat
              label="Backup storage offline"
              value={h.lost_backends}
              hint={h.lost_backends ? 'QSFS backends waiting for a replacement' : 'every QSFS backend answers'}
              tone={h.lost_backends ? 'warning' : undefined}
            />
          </div>

          <LastReconcile report={h.last_reconcile} />

          <Panel title="Servers moved off failed nodes" description="The last 30 days. Each customer is e-mailed when it happens.">
            <DataTable
              caption="Incidents"
              columns={incidentColumns}
              rows={h.incidents}
              rowKey={(i) => i.deployment_id + i.at}
              empty={
                <EmptyState icon={CheckCircleIcon} title="No node failures">
                  When a node fails, servers with a backup VM fail over to it and the others are re-created elsewhere; they show up here.
                </EmptyState>
              }
            />
          </Panel>
        </>
      )}

      <Panel title="Reconcile history" description="Every run, newest first.">
        <DataTable
          caption="Reconcile runs"
          columns={reportColumns}
          rows={reports.items}
          rowKey={(r) => String(r.id)}
          loading={reports.loading}
          error={reports.error}
          onRetry={reports.reload}
          empty={
            <EmptyState icon={ActivityIcon} title="No reconcile run yet">
              The first run happens within 30 minutes, or press “Reconcile now”.
            </EmptyState>
          }
        />
        <Pager paged={reports} noun="runs" />
      </Panel>
    </div>
  )
}

function Stat({ label, value, hint, tone, testId }: { label: string; value: ReactNode; hint?: ReactNode; tone?: 'warning'; testId?: string }) {
  return (
    <Card className="p-4 sm:p-5" data-testid={testId}>
      <p className="text-xs font-semibold tracking-wide text-muted uppercase">{label}</p>
      <p className={`mt-1.5 text-2xl font-bold tracking-tight ${tone === 'warning' && value ? 'text-amber-700' : 'text-fg'}`}>{value}</p>
      {hint ? <p className="mt-1 text-xs text-muted">{hint}</p> : null}
    </Card>
  )
}

function LastReconcile({ report }: { report: Report | null }) {
  if (!report) {
    return (
      <Panel title="Last reconcile">
        <EmptyState icon={ActivityIcon} title="Not run yet">
          Reconcile compares your servers with the contracts your wallet holds on the grid. It runs every 30 minutes.
        </EmptyState>
      </Panel>
    )
  }
  const drift = report.drift ?? []
  return (
    <Panel
      title="Last reconcile"
      description={
        <span data-testid="last-reconcile" data-ran-at={report.ran_at}>
          <Time iso={report.ran_at} /> ({formatDate(report.ran_at)}) · {report.checked} servers checked
        </span>
      }
      actions={
        report.error ? (
          <Badge tone="danger">Failed</Badge>
        ) : drift.length ? (
          <Badge tone="warning" data-testid="drift-count">
            {drift.length} {drift.length === 1 ? 'difference' : 'differences'}
          </Badge>
        ) : (
          <Badge tone="success" data-testid="drift-count">
            In sync
          </Badge>
        )
      }
    >
      {report.error ? (
        <div className="p-4">
          <Alert tone="error" title="The grid did not answer">
            {report.error}
          </Alert>
        </div>
      ) : null}
      <DataTable
        caption="Drift found by the last reconcile"
        columns={driftColumns}
        rows={drift}
        rowKey={(d) => d.project + d.problem}
        empty={
          <EmptyState icon={CheckCircleIcon} title="Your records match the grid">
            Every running server has its contracts, and no contract outlived its server.
          </EmptyState>
        }
      />
    </Panel>
  )
}

const problemTone = (p: string): 'warning' | 'danger' | 'neutral' =>
  p.startsWith('orphan') || p.startsWith('contracts on the grid') ? 'neutral' : p.startsWith('running here') || p.startsWith('no wallet') ? 'danger' : 'warning'

const driftColumns: Column<Drift>[] = [
  {
    header: 'Server',
    primary: true,
    cell: (d) => (
      <span className="flex min-w-0 flex-col" data-testid="drift-row">
        <Link to={`/deployments/${d.deployment_id}`} className="font-semibold text-fg hover:text-primary">
          {d.name}
        </Link>
        <span className="truncate font-mono text-[0.7rem] text-muted">{d.project}</span>
      </span>
    ),
  },
  {
    header: 'Found',
    cell: (d) => (
      <Badge tone={problemTone(d.problem)} className="whitespace-normal">
        {d.problem}
      </Badge>
    ),
  },
  { header: 'Done', cell: (d) => <span className="text-sm text-muted">{d.action}</span> },
]

const incidentColumns: Column<Incident>[] = [
  {
    header: 'Server',
    primary: true,
    cell: (i) => (
      <span className="flex min-w-0 flex-col" data-testid="incident-row" data-kind={i.kind}>
        <Link to={`/deployments/${i.deployment_id}`} className="font-semibold text-fg hover:text-primary">
          {i.name}
        </Link>
        <span className="truncate text-xs text-muted">{i.customer_email}</span>
      </span>
    ),
  },
  {
    header: 'What happened',
    cell: (i) => (
      <span className="flex max-w-md flex-col gap-1">
        <Badge tone={i.kind === 'failover' ? 'warning' : 'danger'}>{i.kind === 'failover' ? 'Failed over to standby' : 'Re-created, disk lost'}</Badge>
        <span className="text-xs text-muted">{i.message}</span>
      </span>
    ),
  },
  { header: 'When', cell: (i) => <Time iso={i.at} /> },
  {
    header: 'Customer told',
    cell: (i) => (i.notified_at ? <Time iso={i.notified_at} /> : <Badge tone="warning">Not sent</Badge>),
  },
  { header: 'Now', cell: (i) => <StatusPill status={i.status} /> },
]

const reportColumns: Column<Report>[] = [
  { header: 'Ran', primary: true, cell: (r) => <Time iso={r.ran_at} /> },
  { header: 'Checked', cell: (r) => <span className="text-sm">{r.checked} servers</span> },
  {
    header: 'Result',
    cell: (r) =>
      r.error ? (
        <Badge tone="danger" title={r.error}>
          Failed
        </Badge>
      ) : r.drift?.length ? (
        <Badge tone="warning">
          {r.drift.length} {r.drift.length === 1 ? 'difference' : 'differences'}
        </Badge>
      ) : (
        <Badge tone="success">In sync</Badge>
      ),
  },
  {
    header: 'Details',
    cell: (r) => (
      <span className="block max-w-md truncate text-xs text-muted" title={(r.drift ?? []).map((d) => `${d.name}: ${d.problem}`).join('\n')}>
        {(r.drift ?? []).map((d) => `${d.name}: ${d.problem}`).join(' · ') || r.error || '—'}
      </span>
    ),
  },
]
