import { useState } from 'react'
import { Link } from 'react-router'
import { api, errorMessage } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, Loading, PageHeader, Panel, Time, useApi, type Column } from '../../components/data'
import { Alert, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { LinkIcon, PlusIcon, ServerIcon } from '../../components/icons'
import { ButtonLink, Card, Container, usePageTitle } from '../../components/ui'
import { capacityLine, type NodeExposure, type OperatorNode, type Twin } from '../../deployments'
import { CapacityCell, NodeStatusBadge, Switch } from '../admin/NodePool'
import { CountryChip } from '../deploy/VmSections'

interface OperatorTenant {
  slug: string
  name: string
  request: { status: string } | null
}

export function MyNodes() {
  usePageTitle('My nodes')
  const twin = useApi<{ twin: Twin | null }>('/api/node-operator/twin')
  const nodes = useApi<{ items: OperatorNode[] }>('/api/node-operator/nodes')
  const tenants = useApi<{ items: OperatorTenant[] }>('/api/node-operator/tenants?limit=100')
  const approved = (tenants.data?.items ?? []).filter((t) => t.request?.status === 'approved')
  const [notice, setNotice] = useState('')
  const [busy, setBusy] = useState('')
  const [error, setError] = useState('')
  const [withdrawing, setWithdrawing] = useState<{ node: OperatorNode; tenant: OperatorTenant; running: number } | null>(null)

  const exposureOf = (n: OperatorNode, slug: string): NodeExposure | undefined => n.exposure?.find((e) => e.tenant_slug === slug)

  const setExposure = async (n: OperatorNode, t: OperatorTenant, exposed: boolean) => {
    const key = `${n.ID}:${t.slug}`
    setBusy(key)
    setError('')
    try {
      const r = await api.put<{ exposed: boolean; running_deployments: number }>(`/api/node-operator/nodes/${n.ID}/exposure`, {
        tenant_slug: t.slug,
        exposed,
      })
      const running = r?.running_deployments ?? 0
      setNotice(
        exposed
          ? `Node ${n.ID} is exposed on ${t.name}. Its customers’ new servers may be placed there.`
          : `Node ${n.ID} is withdrawn from ${t.name}. No new servers go there; ${running} running ${running === 1 ? 'deployment stays' : 'deployments stay'}.`,
      )
      nodes.reload()
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy('')
    }
  }

  const linked = twin.data?.twin
  const columns: Column<OperatorNode>[] = [
    {
      header: 'Node',
      primary: true,
      cell: (n) => (
        <span className="flex min-w-0 flex-col">
          <span className="font-mono font-semibold text-fg">#{n.ID}</span>
          <span className="truncate text-xs text-muted">
            {n.FarmName || `Farm ${n.FarmID}`} · farm {n.FarmID}
          </span>
        </span>
      ),
    },
    {
      header: 'Location',
      cell: (n) => (
        <span className="inline-flex items-center gap-2">
          <CountryChip country={n.Country} />
          {n.City ? `${n.City}, ` : ''}
          {n.Country || '—'}
        </span>
      ),
    },
    { header: 'Status', cell: (n) => <NodeStatusBadge status={n.Status} /> },
    {
      header: 'Capacity',
      cell: (n) => (
        <div>
          <CapacityCell node={n} />
          <p className="mt-0.5 text-xs text-muted">Total {capacityLine(n.Total, true)}</p>
        </div>
      ),
    },
    {
      header: 'Expose on dashboard',
      cell: (n) =>
        approved.length ? (
          <ul className="space-y-2">
            {approved.map((t) => {
              const e = exposureOf(n, t.slug)
              const on = !!e?.exposed
              return (
                <li
                  key={t.slug}
                  className="flex items-center justify-between gap-3"
                  data-testid="exposure"
                  data-node={n.ID}
                  data-slug={t.slug}
                  data-exposed={String(on)}
                >
                  <span className="min-w-0">
                    <span className="block truncate text-sm text-fg">{t.name}</span>
                    {e && e.running_deployments > 0 ? (
                      <span className="block text-xs text-muted">
                        {e.running_deployments} running {e.running_deployments === 1 ? 'deployment' : 'deployments'}
                      </span>
                    ) : null}
                  </span>
                  <Switch
                    checked={on}
                    busy={busy === `${n.ID}:${t.slug}`}
                    label={`Expose node ${n.ID} on ${t.name}`}
                    testId="exposure-toggle"
                    onChange={(v) => {
                      if (v) void setExposure(n, t, true)
                      else setWithdrawing({ node: n, tenant: t, running: e?.running_deployments ?? 0 })
                    }}
                  />
                </li>
              )
            })}
          </ul>
        ) : (
          <span className="text-sm text-muted">
            No storefront has approved you yet.{' '}
            <Link to="/dashboards" className="font-medium text-primary hover:underline">
              Ask to join one
            </Link>
          </span>
        ),
    },
    { header: 'Registered', cell: (n) => <Time iso={n.registered_at} /> },
  ]

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="My nodes"
        icon={ServerIcon}
        description="Register your nodes by ID, follow their status and free capacity, and choose which storefronts may place their customers’ servers on each."
      />
      {notice ? (
        <Alert tone="success" data-testid="nodes-notice">
          {notice}
        </Alert>
      ) : null}
      {error ? <Alert tone="error">{error}</Alert> : null}

      {twin.loading && !twin.data ? (
        <Loading />
      ) : !linked ? (
        <Card className="flex flex-col items-start gap-4 p-5 sm:flex-row sm:items-center sm:justify-between" data-testid="nodes-need-twin">
          <div>
            <h2 className="text-base font-semibold text-fg">Link your twin first</h2>
            <p className="mt-1 text-sm text-muted">
              Nodes are accepted from farms your TFChain twin owns. Link it by signing a challenge; it takes a minute.
            </p>
          </div>
          <ButtonLink to="/twin">
            <LinkIcon className="size-4" />
            Link your twin
          </ButtonLink>
        </Card>
      ) : (
        <RegisterForm
          twinId={linked.twin_id}
          onRegistered={(id) => {
            setNotice(`Node ${id} is registered. Expose it on the storefronts you want it to serve.`)
            nodes.reload()
          }}
        />
      )}

      <Panel title="Registered nodes" description={approved.length ? `Approved by ${approved.map((t) => t.name).join(', ')}.` : undefined}>
        <DataTable
          caption="Your nodes"
          columns={columns}
          rows={nodes.data?.items ?? []}
          rowKey={(n) => String(n.ID)}
          rowProps={(n) => ({ 'data-testid': 'node-row', 'data-node': String(n.ID) })}
          loading={nodes.loading || tenants.loading}
          error={nodes.error}
          onRetry={nodes.reload}
          empty={
            <EmptyState icon={ServerIcon} title="No nodes registered">
              {linked
                ? 'Enter the ID of a node of one of your farms above. The grid’s explorer and the ThreeFold Dashboard list your nodes’ IDs.'
                : 'Link your twin, then register your farms’ nodes here.'}
            </EmptyState>
          }
        />
      </Panel>

      <ConfirmDialog
        open={!!withdrawing}
        onClose={() => setWithdrawing(null)}
        title={`Withdraw node ${withdrawing?.node.ID ?? ''} from ${withdrawing?.tenant.name ?? ''}?`}
        confirmLabel="Withdraw"
        tone="primary"
        testId="withdraw-dialog"
        onConfirm={async () => {
          if (!withdrawing) return
          await setExposure(withdrawing.node, withdrawing.tenant, false)
        }}
      >
        <p>The storefront places no new servers on this node.</p>
        <p data-testid="withdraw-running">
          {withdrawing?.running ?? 0} running {withdrawing?.running === 1 ? 'deployment stays' : 'deployments stay'} on it
          until their customers cancel them; you keep earning from {withdrawing?.running === 1 ? 'it' : 'them'}.
        </p>
      </ConfirmDialog>
    </Container>
  )
}

function RegisterForm({ twinId, onRegistered }: { twinId: number; onRegistered: (id: number) => void }) {
  const [nodeId, setNodeId] = useState('')
  const form = useForm(['node_id'])
  return (
    <Card className="p-5 sm:p-6">
      <form
        ref={form.formRef}
        noValidate
        className="flex flex-col gap-3 sm:flex-row sm:items-start"
        onSubmit={form.submit(async () => {
          const n = Number(nodeId.trim())
          await api.post('/api/node-operator/nodes', { node_id: Number.isInteger(n) ? n : 0 })
          setNodeId('')
          onRegistered(n)
        })}
      >
        <TextField
          label="Register a node"
          name="node_id"
          inputMode="numeric"
          placeholder="Node ID"
          value={nodeId}
          onChange={(e) => setNodeId(e.target.value.replace(/[^\d]/g, ''))}
          hint={
            <>
              A node of a farm owned by twin <span className="font-mono">{twinId}</span>. We read its farm, capacity, location
              and certification from the grid.
            </>
          }
          error={form.fieldError('node_id')}
          wrapperClassName="sm:w-96"
          data-testid="register-node-id"
        />
        <SubmitButton form={form} className="sm:mt-7" disabled={!nodeId} data-testid="register-node">
          <PlusIcon className="size-4" />
          Register
        </SubmitButton>
      </form>
      <FormError form={form} className="mt-3" />
      <p className="mt-3 flex items-center gap-2 text-xs text-muted">
        <Badge tone="neutral">Tip</Badge>
        Registering does not expose the node anywhere yet.
      </p>
    </Card>
  )
}
