import { useEffect, useRef, useState, type ReactNode } from 'react'
import { Link, useParams } from 'react-router'
import { api, isApiError } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { Badge, CopyButton, Loading, Time, formatDate, useApi } from '../../components/data'
import { Alert, ErrorPanel } from '../../components/forms'
import {
  ArrowLeftIcon,
  CpuIcon,
  ExternalLinkIcon,
  HistoryIcon,
  LayersIcon,
  NetworkIcon,
  ReceiptIcon,
  ShieldCheckIcon,
  TerminalIcon,
  TrashIcon,
} from '../../components/icons'
import { Button, Card, Container, IconBadge, cx, usePageTitle } from '../../components/ui'
import {
  backupLabel,
  cancellable,
  formatDay,
  deploymentStatus,
  imageLabel,
  money,
  orderPrice,
  settling,
  specLine,
  type Deployment,
  type DeploymentEvent,
  type Swarm,
  type SwarmBackend,
} from '../../deployments'
import { appName, isApp, type App } from '../../apps'
import { NotFound } from '../NotFound'
import { AppAccessCard, WorkersCard } from './AppAccess'
import { DeploymentProgress, progressOf } from './DeploymentProgress'
import { useDeploymentEvents } from './useDeploymentEvents'

export interface Subscription {
  id: string
  first_order_id: string
  currency: string
  renewal_cents: number
  months: number
  status: string
  paid_through: string
}

export function StatusPill({ status }: { status: string }) {
  const s = deploymentStatus[status] ?? { label: status, tone: 'neutral' as const }
  return (
    <Badge tone={s.tone} dot data-testid="deployment-status" data-status={status}>
      {s.label}
    </Badge>
  )
}

/** The address to ssh to: the public IPv4 when there is one, else the Mycelium address. */
function sshHost(d: Deployment): string {
  const v4 = d.ipv4?.split('/')[0]
  return v4 || d.mycelium?.split('/')[0] || ''
}

export function DeploymentDetail() {
  const { id } = useParams()
  const loaded = useApi<Deployment>(id ? `/api/deployments/${encodeURIComponent(id)}` : null)
  const [d, setD] = useState<Deployment | undefined>(undefined)
  const [generation, setGeneration] = useState(0)
  const [cancelOpen, setCancelOpen] = useState(false)
  const [notice, setNotice] = useState('')
  usePageTitle(d?.name ?? 'Deployment')

  useEffect(() => {
    if (loaded.data) setD(loaded.data)
  }, [loaded.data])

  const stream = useDeploymentEvents(id, !!d, generation)
  const events = stream.events

  // A new state in the stream: fetch the record again for its addresses and order.
  const lastStatus = events.at(-1)?.status ?? ''
  const reload = loaded.reload
  const lastSeen = useRef('')
  useEffect(() => {
    if (!lastStatus || !d || lastStatus === lastSeen.current) return
    lastSeen.current = lastStatus
    if (lastStatus !== d.status) reload()
  }, [lastStatus, d, reload])

  // The app's form, to name its settings as the order form did.
  const catalogApps = useApi<{ apps: App[] }>(isApp(d?.app) ? '/api/apps' : null)
  const subs = useApi<{ items: Subscription[]; credit_cents: number }>(d && d.status !== 'awaiting_payment' ? '/api/subscriptions' : null)
  const sub = subs.data?.items?.find((s) => s.first_order_id === d?.order_id)

  if (loaded.error && !d) {
    if (isApiError(loaded.error) && loaded.error.status === 404) return <NotFound />
    return (
      <Container className="py-10">
        <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
      </Container>
    )
  }
  if (!d) return <Loading label="Loading your deployment…" />

  const progress = progressOf(d, events)
  // A server whose payment never succeeded never existed: "Payment failed", never "Deleted".
  const unpaid = !!d.order && !d.order.paid_at && (d.status === 'awaiting_payment' || d.status === 'terminated') &&
    (d.order.status === 'failed' || d.status === 'terminated')
  const refunded = d.status === 'failed' || d.order?.status === 'refunded'
  const gone = !unpaid && (d.status === 'terminated' || d.status === 'terminating')
  const host = sshHost(d)
  const ssh = host ? `ssh root@${host}` : ''
  const app = isApp(d.app)
  const thing = d.app === 'kubernetes' ? 'Kubernetes cluster' : app ? appName(d.app) : 'server'

  return (
    <Container className="py-8 sm:py-10">
      <Link to="/deployments" className="inline-flex items-center gap-1.5 rounded-sm text-sm font-medium text-muted hover:text-primary">
        <ArrowLeftIcon className="size-4" />
        Deployments
      </Link>

      <div className="mt-4 flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="truncate text-2xl font-bold tracking-tight text-fg" data-testid="deployment-name">
              {d.name}
            </h1>
            <StatusPill status={unpaid ? 'payment_failed' : d.status} />
          </div>
          <p className="mt-1 text-sm text-muted">
            {app
              ? appName(d.app)
              : [imageLabel(d.image), specLine(d.spec), d.spec?.ipv4 ? 'public IPv4' : null].filter(Boolean).join(' · ')}
          </p>
        </div>
        {cancellable(d.status) ? (
          <Button variant="secondary" onClick={() => setCancelOpen(true)} data-testid="cancel-deployment" className="text-red-700">
            <TrashIcon className="size-4" />
            {app ? 'Cancel' : 'Cancel server'}
          </Button>
        ) : null}
      </div>

      {notice ? (
        <Alert tone="success" className="mt-6" data-testid="deployment-notice">
          {notice}
        </Alert>
      ) : null}
      {d.status === 'failed' ? (
        <Alert tone="error" className="mt-6" title="This server could not be started">
          {d.failure ? `${d.failure}. ` : ''}
          {d.order?.status === 'refunded' || (d.order?.refunded_cents ?? 0) > 0
            ? 'Your payment was refunded in full.'
            : 'Your payment is refunded in full.'}{' '}
          You can try again from the <Link className="font-semibold underline" to="/deploy">Deploy</Link> page.
        </Alert>
      ) : null}
      <IncidentBanner d={d} />
      {d.status === 'suspended' ? (
        <Alert tone="warning" className="mt-6" title="Suspended: the renewal payment failed">
          The server is stopped until the renewal is paid. Update your card on the{' '}
          <Link className="font-semibold underline" to="/billing">
            Billing
          </Link>{' '}
          page.
        </Alert>
      ) : null}

      <div className="mt-6 grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 space-y-6 lg:col-span-2">
          {unpaid ? (
            <Card className="p-5 sm:p-6" data-testid="deployment-payment-failed">
              <h2 className="text-base font-semibold text-fg">Payment failed</h2>
              <p className="mt-1 text-sm leading-6 text-muted">
                {d.order?.failure_message || 'The payment did not go through'}. No money was taken and no server was
                created.
              </p>
              <Link
                to={`/deploy?size=${encodeURIComponent(d.spec?.size ?? '')}`}
                className="mt-3 inline-flex items-center gap-1.5 text-sm font-semibold text-primary hover:underline"
                data-testid="retry-payment"
              >
                Try again with another card
              </Link>
            </Card>
          ) : gone ? (
            <Card className="p-5 sm:p-6" data-testid="deployment-deleted">
              <h2 className="text-base font-semibold text-fg">{d.status === 'terminating' ? 'Being deleted' : 'Deleted'}</h2>
              <p className="mt-1 text-sm leading-6 text-muted">
                This server and its data {d.status === 'terminating' ? 'are being' : 'were'} deleted
                {d.status === 'terminated' ? <> on {formatDate(d.updated_at)}</> : null}.{' '}
                {d.on_cancel === 'refund'
                  ? 'The unused part of the period you paid for was refunded to your card.'
                  : 'Any unused time went to your account credit, which pays for your next deployment before your card does.'}
              </p>
            </Card>
          ) : (
            <Card className="p-5 sm:p-6">
              <DeploymentProgress progress={progress} thing={thing} />
            </Card>
          )}

          {!gone && app ? <AppAccessCard d={d} /> : null}
          {!gone ? <AccessCard d={d} ssh={ssh} /> : null}

          <Card className="overflow-hidden">
            <div className="flex items-center justify-between gap-3 border-b border-border px-5 py-4">
              <h2 className="flex items-center gap-2 text-base font-semibold text-fg">
                <HistoryIcon className="size-4.5 text-muted" />
                Activity
              </h2>
              <StreamBadge state={stream.state} settled={!settling(d.status)} />
            </div>
            <EventLog events={events} />
          </Card>
        </div>

        <div className="min-w-0 space-y-6">
          <Card className="p-5">
            <h2 className="flex items-center gap-2 text-base font-semibold text-fg">
              <LayersIcon className="size-4.5 text-muted" />
              Server
            </h2>
            <dl className="mt-4 space-y-3 text-sm">
              {app ? (
                <>
                  <Row label="App">{appName(d.app)}</Row>
                  {Object.entries(d.app_config ?? {}).map(([k, v]) => {
                    const f = catalogApps.data?.apps.find((a) => a.key === d.app)?.fields.find((x) => x.key === k)
                    const shown = typeof v === 'boolean' ? (v ? 'Yes' : 'No') : String(v)
                    return (
                      <Row key={k} label={f?.label ?? configLabel(k)}>
                        {f?.options?.find((o) => o.value === shown)?.label ?? shown}
                      </Row>
                    )
                  })}
                </>
              ) : (
                <>
                  <Row label="Image">{imageLabel(d.image)}</Row>
                  <Row label="Size">{specLine(d.spec) || '—'}</Row>
                </>
              )}
              <Row label="Placement">
                {d.placement === 'advanced' ? 'Chosen by you' : 'Chosen for you'}
                {d.node_id ? <span className="text-muted"> · node {d.node_id}</span> : null}
              </Row>
              <Row label="Created">
                <Time iso={d.created_at} relative={false} />
              </Row>
            </dl>
          </Card>

          {d.app === 'kubernetes' && !gone ? (
            <WorkersCard
              d={d}
              onChanged={(next, message) => {
                setD((prev) => ({ ...next, order: next.order ?? prev?.order }))
                setNotice(message)
                subs.reload()
              }}
            />
          ) : null}

          {d.gpus && d.gpus.length > 0 ? <GPUCard d={d} /> : null}

          {app ? null : <BackupCard d={d} />}

          <Card className="p-5" data-testid="billing-card">
            <h2 className="flex items-center gap-2 text-base font-semibold text-fg">
              <ReceiptIcon className="size-4.5 text-muted" />
              Billing
            </h2>
            <dl className="mt-4 space-y-3 text-sm">
              <Row label="Price">{orderPrice(d.order)}</Row>
              {d.order ? (
                <Row label="Paid">
                  {d.order.status === 'paid' ? (
                    <>
                      {money(d.order.amount_cents, d.order.currency)} on {formatDate(d.order.paid_at)}
                    </>
                  ) : d.order.status === 'refunded' ? (
                    'Refunded'
                  ) : d.order.status === 'requires_action' ? (
                    'Waiting for your bank’s confirmation'
                  ) : d.order.status === 'failed' ? (
                    d.order.failure_message || 'The payment failed'
                  ) : (
                    'Waiting for the payment'
                  )}
                </Row>
              ) : null}
              {sub && !gone && !unpaid && !refunded ? (
                <Row label="Renews">
                  {sub.status === 'canceled' || sub.status === 'terminated' ? (
                    'Does not renew'
                  ) : (
                    <>
                      {formatDay(sub.paid_through)} · {money(sub.renewal_cents, sub.currency)}
                    </>
                  )}
                </Row>
              ) : null}
            </dl>
            {d.order && (d.order.status === 'paid' || d.order.status === 'refunded') ? (
              <a
                href={`/api/orders/${d.order.id}/receipt`}
                target="_blank"
                rel="noreferrer"
                data-testid="receipt-link"
                className="mt-4 inline-flex items-center gap-1.5 rounded-sm text-sm font-semibold text-primary hover:underline"
              >
                View receipt
                <ExternalLinkIcon className="size-4" />
              </a>
            ) : null}
          </Card>
        </div>
      </div>

      <ConfirmDialog
        open={cancelOpen}
        onClose={() => setCancelOpen(false)}
        title={`Cancel ${d.name}?`}
        confirmLabel={app ? `Delete ${thing} and data` : "Delete server and data"}
        testId="cancel-dialog"
        onConfirm={async () => {
          const next = await api.del<Deployment>(`/api/deployments/${encodeURIComponent(d.id)}`)
          setD((prev) => ({ ...next, order: next.order ?? prev?.order }))
          setNotice(
            d.on_cancel === 'refund'
              ? `${d.name} is cancelled. The unused time is being refunded to your card.`
              : `${d.name} is cancelled. Unused time is now credit on your account.`,
          )
          setGeneration((g) => g + 1)
          subs.reload()
        }}
      >
        <p>This deletes the {thing} now. What is lost:</p>
        <ul className="list-disc space-y-1 pl-5">
          <li>{app ? `every machine of ${d.name} and the data on its disks` : 'the server and everything on its disk'}</li>
          {app && (d.access?.urls.length ?? 0) > 0 ? <li>its web address {d.access?.urls[0]?.url}</li> : null}
          {d.backup !== 'none' ? <li>its {d.backup === 'vm' ? 'backup VM' : 'QSFS backup swarm'} and the data in it</li> : null}
          {d.ipv4 ? <li>its public IPv4 address {d.ipv4.split('/')[0] ?? ''}</li> : null}
        </ul>
        <p data-testid="cancel-gives">
          It cannot be undone.{' '}
          {d.on_cancel === 'refund'
            ? 'The unused part of the period you paid for is refunded to your card (it shows on your statement in a few days).'
            : 'The unused part of the period you paid for becomes credit on your account, used before your card next time.'}
        </p>
      </ConfirmDialog>
    </Container>
  )
}

/** GPUCard lists the GPUs ZOS attached to the VM and the rent of their node. */
function GPUCard({ d }: { d: Deployment }) {
  const gpus = d.gpus ?? []
  const node = gpus[0]?.node_id
  return (
    <Card className="p-5" data-testid="gpu-card">
      <h2 className="flex items-center gap-2 text-base font-semibold text-fg">
        <CpuIcon className="size-4.5 text-muted" />
        {gpus.length === 1 ? 'GPU' : `${gpus.length} GPUs`}
      </h2>
      <ul className="mt-4 space-y-3 text-sm">
        {gpus.map((g) => (
          <li key={g.id} data-testid="deployment-gpu" data-gpu={g.id} className="min-w-0">
            <div className="font-medium text-fg" data-testid="gpu-device">
              {g.device || 'GPU'}
            </div>
            <div className="text-muted" data-testid="gpu-vendor">
              {g.vendor || 'Unknown vendor'}
            </div>
            <div className="font-mono text-xs whitespace-nowrap text-muted">PCI {g.id}</div>
          </li>
        ))}
      </ul>
      <p className="mt-4 border-t border-border pt-3 text-sm leading-6 text-muted" data-testid="gpu-rent">
        Node {node} is rented whole for this server
        {d.rent_contract_id ? (
          <>
            {' '}
            under rent contract <span className="font-mono text-fg">#{d.rent_contract_id}</span>
          </>
        ) : null}
        : the grid attaches a GPU only to a node’s renter.
      </p>
    </Card>
  )
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex justify-between gap-4">
      <dt className="shrink-0 text-muted">{label}</dt>
      <dd className="min-w-0 text-right break-words text-fg">{children}</dd>
    </div>
  )
}

function AccessCard({ d, ssh }: { d: Deployment; ssh: string }) {
  const ready = d.status === 'running' || d.status === 'suspended'
  return (
    <Card className="p-5 sm:p-6" data-testid="access-card">
      <div className="flex items-start gap-3">
        <IconBadge className="size-9">
          <NetworkIcon className="size-4.5" />
        </IconBadge>
        <div className="min-w-0 flex-1">
          <h2 className="text-base font-semibold text-fg">Connect</h2>
          <p className="mt-0.5 text-sm text-muted">
            {ready ? 'Log in with the SSH key you gave us.' : 'Addresses appear here once the server is running.'}
          </p>
        </div>
      </div>
      {ready ? (
        <>
          <dl className="mt-5 grid gap-4">
            {d.ipv4 ? <Address label="Public IPv4" value={d.ipv4.split('/')[0] ?? ''} testId="ipv4" /> : null}
            {d.mycelium ? <Address label="Mycelium (IPv6 overlay)" value={d.mycelium.split('/')[0] ?? ''} testId="mycelium" /> : null}
            {d.ipv6 ? <Address label="Public IPv6" value={d.ipv6.split('/')[0] ?? ''} testId="ipv6" /> : null}
          </dl>
          {ssh ? (
            <div className="mt-5">
              <p className="mb-1.5 flex items-center gap-1.5 text-sm font-medium text-fg">
                <TerminalIcon className="size-4 text-muted" />
                SSH
              </p>
              <div className="flex flex-col gap-2 rounded-fd-sm border border-border bg-bg p-2 sm:flex-row sm:items-center">
                <code data-testid="ssh-command" className="min-w-0 flex-1 px-2 py-1 font-mono text-sm break-all text-fg select-all">
                  {ssh}
                </code>
                <CopyButton text={ssh} label="Copy" data-testid="copy-ssh" />
              </div>
              {!d.ipv4 ? (
                <p className="mt-2 text-xs leading-5 text-muted">
                  No public IPv4: reach it over Mycelium, which your computer joins by running the{' '}
                  <a className="underline hover:text-primary" href="https://github.com/threefoldtech/mycelium" target="_blank" rel="noreferrer">
                    mycelium
                  </a>{' '}
                  client.
                </p>
              ) : null}
            </div>
          ) : null}
        </>
      ) : null}
    </Card>
  )
}

function Address({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium tracking-wide text-muted uppercase">{label}</dt>
      <dd className="mt-1 flex items-center gap-2">
        <code data-testid={testId} className="min-w-0 font-mono text-sm break-all text-fg">
          {value}
        </code>
        <CopyButton text={value} label="Copy" variant="ghost" className="h-8 px-2" aria-label={`Copy ${label}`} />
      </dd>
    </div>
  )
}

function BackupCard({ d }: { d: Deployment }) {
  const running = d.status === 'running'
  let body: ReactNode
  let tone: 'success' | 'neutral' | 'warning' = 'neutral'
  let state = ''
  if (d.backup === 'none') {
    body = 'No backup. If the node fails, the server is re-created on another node and the data on its disk is lost.'
    state = 'None'
  } else if (d.backup === 'vm') {
    body = d.standby_node_id
      ? `A standby VM on node ${d.standby_node_id}, on another farm, takes over if the primary’s node fails.`
      : 'A standby VM on another farm takes over if the primary’s node fails.'
    state = running && d.standby_node_id ? 'Standby ready' : running ? 'Placing standby' : 'Not started'
    tone = running && d.standby_node_id ? 'success' : 'neutral'
  } else {
    const sw = d.swarm
    body = `Your data is spread over ${sw?.expected ?? 20} storage nodes and mounted at /backup. Any ${sw?.minimal ?? 12} of them rebuild it, so it survives ${sw?.tolerates ?? 8} storage nodes failing; a lost one is replaced on another node.`
    state = !running ? 'Not started' : sw?.health === 'down' ? 'Data at risk' : sw?.health === 'degraded' ? 'Repairing' : 'Healthy'
    tone = !running ? 'neutral' : sw?.health === 'healthy' || !sw ? 'success' : 'warning'
  }
  if (d.status === 'terminated' || d.status === 'terminating') {
    state = 'Deleted'
    tone = 'neutral'
  }
  return (
    <Card className="p-5" data-testid="backup-card" data-backup={d.backup}>
      <div className="flex items-center justify-between gap-3">
        <h2 className="flex items-center gap-2 text-base font-semibold text-fg">
          <ShieldCheckIcon className="size-4.5 text-muted" />
          Backup
        </h2>
        <Badge tone={tone === 'neutral' && d.backup === 'none' ? 'warning' : tone} data-testid="backup-status">
          {state}
        </Badge>
      </div>
      <p className="mt-1 text-sm font-medium text-fg">{backupLabel[d.backup] ?? d.backup}</p>
      <p className="mt-1 text-sm leading-6 text-muted">{body}</p>
      {d.backup === 'qsfs' && d.swarm && d.status !== 'terminated' && d.status !== 'terminating' ? <SwarmHealth swarm={d.swarm} /> : null}
    </Card>
  )
}

/** SwarmHealth shows each zdb backend of a QSFS swarm (node, ok or lost) and what the swarm still survives. */
function SwarmHealth({ swarm }: { swarm: Swarm }) {
  const live = swarm.backends.filter((b) => b.status !== 'replaced')
  const data = live.filter((b) => b.kind === 'data')
  const meta = live.filter((b) => b.kind === 'meta')
  const replaced = swarm.backends.filter((b) => b.status === 'replaced')
  const up = data.filter((b) => b.status === 'ok').length
  const margin = Math.max(swarm.tolerates - swarm.lost, 0)
  return (
    <div className="mt-4 border-t border-border pt-4" data-testid="swarm-health" data-health={swarm.health}>
      <div className="flex items-baseline justify-between gap-3">
        <p className="text-sm font-semibold text-fg">Storage nodes</p>
        <p className="text-xs text-muted" data-testid="swarm-shards">
          {up} of {swarm.expected} up · needs {swarm.minimal}
        </p>
      </div>
      <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-bg ring-1 ring-border ring-inset" aria-hidden="true">
        <div
          className={cx('h-full rounded-full', swarm.health === 'healthy' ? 'bg-emerald-500' : swarm.health === 'degraded' ? 'bg-amber-500' : 'bg-red-500')}
          style={{ width: `${(up / Math.max(swarm.expected, 1)) * 100}%` }}
        />
      </div>
      <p className="mt-2 text-xs text-muted" data-testid="swarm-tolerance">
        {swarm.lost === 0
          ? `Survives ${swarm.tolerates} of ${swarm.expected} storage nodes failing.`
          : `${swarm.lost} offline: survives ${margin} more failing while they are replaced.`}
      </p>
      <ul className="mt-3 grid grid-cols-4 gap-1.5 sm:grid-cols-5 lg:grid-cols-4" aria-label="Data shards">
        {data.map((b) => (
          <BackendChip key={`d${b.position}`} b={b} />
        ))}
      </ul>
      <p className="mt-3 text-xs font-medium text-muted">Metadata</p>
      <ul className="mt-1.5 grid grid-cols-4 gap-1.5 sm:grid-cols-5 lg:grid-cols-4" aria-label="Metadata backends">
        {meta.map((b) => (
          <BackendChip key={`m${b.position}`} b={b} />
        ))}
      </ul>
      {replaced.length ? (
        <div className="mt-3 space-y-1" data-testid="swarm-replaced">
          {replaced.slice(0, 5).map((b) => (
            <p key={`${b.kind}${b.node_id}`} className="text-xs text-muted">
              Node {b.node_id} went offline {b.lost_at ? <Time iso={b.lost_at} /> : null}; its {b.kind === 'data' ? 'shard' : 'metadata'}{' '}
              moved to node {b.replaced_by}.
            </p>
          ))}
        </div>
      ) : null}
    </div>
  )
}

function BackendChip({ b }: { b: SwarmBackend }) {
  const lost = b.status === 'lost'
  return (
    <li
      data-testid="swarm-backend"
      data-kind={b.kind}
      data-status={b.status}
      data-node={b.node_id}
      title={`${b.kind === 'data' ? 'Data shard' : 'Metadata'} on node ${b.node_id}: ${lost ? 'offline' : 'ok'}`}
      className={cx(
        'flex items-center justify-center gap-1 rounded-md px-1.5 py-1 font-mono text-[0.7rem] ring-1 ring-inset',
        lost ? 'bg-red-50 text-red-700 ring-red-600/25' : 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
      )}
    >
      <span className={cx('size-1.5 shrink-0 rounded-full', lost ? 'bg-red-500' : 'bg-emerald-500')} aria-hidden="true" />
      {b.node_id}
      <span className="sr-only">{lost ? ' offline' : ' ok'}</span>
    </li>
  )
}

/** IncidentBanner tells the customer their server moved off a failed node, and that they were e-mailed. */
function IncidentBanner({ d }: { d: Deployment }) {
  if (!d.incident || !d.incident_at || d.status === 'terminated' || d.status === 'failed') return null
  const when = formatDate(d.incident_at)
  const mailed = d.notified_at ? ' We e-mailed you about it.' : ''
  if (d.incident === 'failover') {
    return (
      <Alert tone="warning" className="mt-6" title="Your standby took over" data-testid="incident-banner" data-kind="failover">
        On {when} the node your server ran on went offline, and its standby VM on another farm became your server. Check its
        addresses below; a new standby is {d.standby_node_id && d.status === 'running' ? 'in place' : 'being set up'}.{mailed}
      </Alert>
    )
  }
  return (
    <Alert tone="error" className="mt-6" title="Re-created after a node failure: data on its disk was lost" data-testid="incident-banner" data-kind="reprovision">
      On {when} the node your server ran on went offline. It had no backup, so it was re-created from its image on another
      node, and anything stored on its disk is gone: restore your data from your own backups. Its addresses changed.{mailed}
    </Alert>
  )
}

function StreamBadge({ state, settled }: { state: string; settled: boolean }) {
  if (state === 'live')
    return (
      <Badge tone="success" dot>
        Live
      </Badge>
    )
  if (state === 'connecting' || state === 'reconnecting')
    return <Badge tone="neutral">{state === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</Badge>
  return settled ? null : <Badge tone="neutral">Paused</Badge>
}

const stepNames: Record<string, string> = {
  order: 'Order',
  payment: 'Payment',
  network: 'Network',
  vm: 'VM',
  cluster: 'Cluster',
  gateway: 'Gateway',
  workers: 'Workers',
  backup: 'Backup',
  running: 'Running',
  retry: 'Retry',
  failed: 'Failed',
  cancel: 'Cancel',
  terminated: 'Deleted',
  terminating: 'Deleting',
  failover: 'Failover',
  reprovision: 'Re-created',
  suspended: 'Suspended',
  drift: 'Check',
}

function EventLog({ events }: { events: DeploymentEvent[] }) {
  if (!events.length) return <p className="px-5 py-6 text-sm text-muted">Loading the activity…</p>
  const shown = [...events].reverse()
  return (
    <ol className="divide-y divide-border" data-testid="event-log" aria-label="Activity, newest first">
      {shown.map((e) => {
        const bad = e.step === 'failed' || e.step === 'failover' || e.step === 'reprovision' || e.step === 'drift'
        return (
          <li key={e.id} className="flex gap-3 px-5 py-3" data-testid="event-row" data-step={e.step}>
            <span
              aria-hidden="true"
              className={cx(
                'mt-1.5 size-2 shrink-0 rounded-full',
                bad ? 'bg-red-500' : e.step === 'running' ? 'bg-emerald-500' : e.step === 'retry' ? 'bg-amber-500' : 'bg-primary/60',
              )}
            />
            <div className="min-w-0 flex-1">
              <p className="text-sm text-fg">
                <span className="font-semibold">{stepNames[e.step] ?? e.step}</span>
                <span className="text-muted"> · </span>
                {e.message}
              </p>
              <p className="mt-0.5 text-xs text-muted">
                <Time iso={e.created_at} relative={false} />
              </p>
            </div>
          </li>
        )
      })}
    </ol>
  )
}

/** configLabel turns an app_config key (storage_gb) into a row label (Storage gb → "Storage (GB)"). */
function configLabel(key: string): string {
  const words = key.replace(/_gb$/, ' (GB)').replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}
