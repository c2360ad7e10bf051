import { useMemo, useState, type FormEvent, type ReactNode } from 'react'
import { api, withQuery } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, PageHeader, Panel, useApi, type Column, type Loaded } from '../../components/data'
import { Alert, FormError, inputClass, useForm } from '../../components/forms'
import { ChevronLeftIcon, ChevronRightIcon, PlusIcon, ServerIcon, TrashIcon } from '../../components/icons'
import { Button, Card, cx, usePageTitle } from '../../components/ui'
import {
  bytes,
  free,
  hasGPU,
  usedShare,
  type CatalogNode,
  type GridNode,
  type PoolNode,
  type PoolSummary,
} from '../../deployments'
import { CertifiedBadge, CountryChip } from '../deploy/VmSections'

export function NodeStatusBadge({ status }: { status: string }) {
  const tone = status === 'up' ? 'success' : status === 'standby' ? 'warning' : 'danger'
  const label = status === 'up' ? 'Up' : status === 'standby' ? 'Standby' : 'Down'
  return (
    <Badge tone={tone} dot data-testid="node-status" data-status={status}>
      {label}
    </Badge>
  )
}

/** Switch is a labelled on/off toggle that saves on click. */
export function Switch({
  checked,
  onChange,
  label,
  busy,
  testId,
  disabled,
}: {
  checked: boolean
  onChange: (v: boolean) => void
  label: string
  busy?: boolean
  testId?: string
  disabled?: boolean
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      aria-busy={busy || undefined}
      disabled={busy || disabled}
      onClick={() => onChange(!checked)}
      data-testid={testId}
      className={cx(
        'relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary disabled:cursor-not-allowed disabled:opacity-60',
        checked ? 'bg-primary' : 'bg-slate-300',
      )}
    >
      <span
        aria-hidden="true"
        className={cx(
          'inline-block size-5 rounded-full bg-white shadow ring-1 ring-black/5 transition-transform',
          checked ? 'translate-x-5.5' : 'translate-x-0.5',
        )}
      />
    </button>
  )
}

/** CapacityBar shows the free share of a node's memory, with the free capacity in words. */
export function CapacityCell({ node }: { node: GridNode }) {
  const f = free(node)
  const used = usedShare(node)
  return (
    <div className="min-w-0 text-xs">
      <div className="flex items-center gap-2">
        <div className="h-1.5 w-16 shrink-0 overflow-hidden rounded-full bg-primary/10" aria-hidden="true">
          <div
            className={cx('h-full rounded-full', used > 0.85 ? 'bg-red-500' : used > 0.6 ? 'bg-amber-500' : 'bg-emerald-500')}
            style={{ width: `${Math.max(4, (1 - used) * 100)}%` }}
          />
        </div>
        <span className="text-muted md:whitespace-nowrap">{Math.round((1 - used) * 100)}% memory free</span>
      </div>
      <p className="mt-1 text-fg md:whitespace-nowrap">
        {f.CRU} vCPU · {bytes(f.MRU)} RAM
      </p>
      <p className="text-muted md:whitespace-nowrap">
        {bytes(f.SRU)} SSD{f.HRU ? ` · ${bytes(f.HRU)} HDD` : ''}
      </p>
    </div>
  )
}

/** NodeCell is a node's id with its badges (status too, when asked), farm and place. */
function NodeCell({ node, status, children }: { node: GridNode; status?: boolean; children?: ReactNode }) {
  return (
    <span className="flex min-w-0 flex-col gap-0.5">
      <span className="flex flex-wrap items-center gap-1.5">
        <span className="mr-0.5 font-mono font-semibold text-fg">#{node.ID}</span>
        {status ? <NodeStatusBadge status={node.Status} /> : null}
        {node.Certified ? <CertifiedBadge /> : null}
        {hasGPU(node) ? <Badge tone="primary">GPU</Badge> : null}
        {node.PublicIPv4 > 0 ? <Badge tone="neutral">IPv4</Badge> : null}
        {children}
      </span>
      <span className="truncate text-xs text-muted">
        {node.FarmName || `Farm ${node.FarmID}`} · farm {node.FarmID}
      </span>
      <span className="flex min-w-0 items-center gap-1.5 text-xs text-fg">
        <CountryChip country={node.Country} />
        <span className="truncate">
          {node.City ? `${node.City}, ` : ''}
          {node.Country || '—'}
        </span>
      </span>
    </span>
  )
}

// ——— The page ———

export function NodePool() {
  usePageTitle('Node pool')
  const pool = useApi<{ items: PoolNode[]; summary: PoolSummary }>('/api/admin/pool')
  const [notice, setNotice] = useState('')
  const inPool = useMemo(() => new Set((pool.data?.items ?? []).map((n) => n.ID)), [pool.data])

  return (
    <div className="space-y-8" data-testid="node-pool-page">
      <PageHeader
        title="Node pool"
        icon={ServerIcon}
        description="The grid nodes your customers’ servers run on. Add nodes from the grid’s catalog; node operators you approved add theirs. Choose which ones customers may pick themselves."
      />
      {notice ? (
        <Alert tone="success" data-testid="pool-notice">
          {notice}
        </Alert>
      ) : null}
      <Summary summary={pool.data?.summary} items={pool.data?.items} />
      <PoolTable
        loaded={pool}
        onChanged={(msg) => {
          setNotice(msg)
          pool.reload()
        }}
      />
      <CatalogBrowser
        inPool={inPool}
        onAdded={(n) => {
          setNotice(`${n} ${n === 1 ? 'node was' : 'nodes were'} added to your pool. New deployments may use ${n === 1 ? 'it' : 'them'} at once.`)
          pool.reload()
        }}
      />
    </div>
  )
}

function Stat({ label, value, hint, testId }: { label: string; value: ReactNode; hint?: ReactNode; testId?: string }) {
  return (
    <Card className="p-4 sm:p-5" data-testid={testId}>
      <p className="text-xs font-semibold tracking-wide text-muted uppercase">{label}</p>
      <p className="mt-1.5 text-2xl font-bold tracking-tight text-fg">{value}</p>
      {hint ? <p className="mt-1 text-xs text-muted">{hint}</p> : null}
    </Card>
  )
}

function Summary({ summary, items }: { summary?: PoolSummary; items?: PoolNode[] }) {
  if (!summary) return null
  const operators = (items ?? []).filter((n) => n.source === 'operator').length
  const pickable = (items ?? []).filter((n) => n.customer_pickable && n.exposed).length
  const memShare = summary.total.MRU ? 1 - summary.free.MRU / summary.total.MRU : 0
  return (
    <div className="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="pool-summary">
      <Stat
        label="Nodes"
        value={
          <>
            {summary.up}
            <span className="text-base font-medium text-muted"> / {summary.nodes} up</span>
          </>
        }
        hint={operators ? `${operators} from node operators` : 'All added by you'}
      />
      <Stat
        label="Eligible"
        value={summary.eligible}
        hint={`Exposed and up · customers may pick ${pickable}`}
        testId="pool-eligible"
      />
      <Stat
        label="Free vCPU"
        value={summary.free.CRU}
        hint={`of ${summary.total.CRU} on nodes that are up`}
      />
      <Card className="p-4 sm:p-5">
        <p className="text-xs font-semibold tracking-wide text-muted uppercase">Memory in use</p>
        <p className="mt-1.5 text-2xl font-bold tracking-tight text-fg">{Math.round(memShare * 100)}%</p>
        <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-primary/10" aria-hidden="true">
          <div className="h-full rounded-full bg-primary" style={{ width: `${Math.max(2, memShare * 100)}%` }} />
        </div>
        <p className="mt-1.5 text-xs text-muted">
          {bytes(summary.free.MRU)} free of {bytes(summary.total.MRU)} · {bytes(summary.free.SRU)} SSD free
        </p>
      </Card>
    </div>
  )
}

const POOL_PAGE = 15

function PoolTable({
  loaded,
  onChanged,
}: {
  loaded: Loaded<{ items: PoolNode[]; summary: PoolSummary }>
  onChanged: (msg: string) => void
}) {
  const [busy, setBusy] = useState<number | null>(null)
  const [error, setError] = useState('')
  const [removing, setRemoving] = useState<PoolNode | null>(null)
  const [source, setSource] = useState<'' | 'tenant' | 'operator'>('')
  const [page, setPage] = useState(0)
  const all = loaded.data?.items ?? []
  const rows = all.filter((n) => !source || n.source === source)
  const pages = Math.max(1, Math.ceil(rows.length / POOL_PAGE))
  const p = Math.min(page, pages - 1)
  const shown = rows.slice(p * POOL_PAGE, (p + 1) * POOL_PAGE)

  const setPickable = async (n: PoolNode, v: boolean) => {
    setBusy(n.ID)
    setError('')
    try {
      await api.put(`/api/admin/pool/${n.ID}`, { customer_pickable: v })
      onChanged(v ? `Customers may now pick node ${n.ID}.` : `Node ${n.ID} is no longer offered to customers who pick nodes; we may still place servers on it.`)
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(null)
    }
  }

  const columns: Column<PoolNode>[] = [
    {
      header: 'Node',
      primary: true,
      cell: (n) => (
        <NodeCell node={n} status>
          {!n.exposed ? (
            <Badge tone="neutral" title="Its operator withdrew it: no new servers go there">
              Withdrawn
            </Badge>
          ) : null}
        </NodeCell>
      ),
    },
    {
      header: 'Source',
      className: 'max-w-48',
      cell: (n) =>
        n.source === 'operator' ? (
          <span className="flex min-w-0 flex-col">
            <span className="text-sm text-fg">Node operator</span>
            <span className="truncate text-xs text-muted" data-testid="pool-contributor" title={n.contributed_by}>
              {n.contributed_by || 'an approved operator'}
            </span>
          </span>
        ) : (
          <span className="text-sm text-fg">You</span>
        ),
    },
    { header: 'Free', cell: (n) => <CapacityCell node={n} /> },
    {
      header: 'Customers pick',
      cell: (n) => (
        <Switch
          checked={n.customer_pickable}
          onChange={(v) => void setPickable(n, v)}
          busy={busy === n.ID}
          label={`Customers may pick node ${n.ID}`}
          testId="pickable-toggle"
        />
      ),
    },
    {
      header: '',
      actions: true,
      cell: (n) => (
        <Button
          size="sm"
          variant="danger-ghost"
          className="px-2.5"
          onClick={() => setRemoving(n)}
          aria-label={`Remove node ${n.ID} from the pool`}
          title="Remove from the pool"
        >
          <TrashIcon className="size-4" />
          <span className="md:sr-only">Remove</span>
        </Button>
      ),
    },
  ]

  return (
    <Panel
      title="Your pool"
      description={`${all.length} ${all.length === 1 ? 'node' : 'nodes'}. Customers who choose nodes themselves see only those you allow.`}
      actions={
        <select
          aria-label="Filter by source"
          value={source}
          onChange={(e) => {
            setSource(e.target.value as typeof source)
            setPage(0)
          }}
          className={inputClass(false, 'h-9 w-auto pr-8 text-sm')}
        >
          <option value="">All sources</option>
          <option value="tenant">Added by you</option>
          <option value="operator">From node operators</option>
        </select>
      }
    >
      {error ? (
        <div className="border-b border-border p-4">
          <Alert tone="error">{error}</Alert>
        </div>
      ) : null}
      <div className="md:overflow-x-auto">
      <DataTable
        caption="Nodes in your pool"
        columns={columns}
        rows={shown}
        rowKey={(n) => String(n.ID)}
        rowProps={(n) => ({
          'data-testid': 'pool-row',
          'data-node': String(n.ID),
          'data-source': n.source,
          'data-pickable': String(n.customer_pickable),
        })}
        loading={loaded.loading}
        error={loaded.error}
        onRetry={loaded.reload}
        empty={
          <EmptyState icon={ServerIcon} title={source ? 'No nodes from this source' : 'Your pool is empty'}>
            {source
              ? 'Clear the filter to see the whole pool.'
              : 'Customers cannot deploy until the pool has nodes. Add some from the grid’s catalog below, or approve node operators who bring their own.'}
          </EmptyState>
        }
      />
      </div>
      <LocalPager page={p} pages={pages} onPage={setPage} count={rows.length} noun="nodes" />

      <ConfirmDialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        title={`Remove node ${removing?.ID ?? ''} from the pool?`}
        confirmLabel="Remove from pool"
        onConfirm={async () => {
          if (!removing) return
          await api.del(`/api/admin/pool/${removing.ID}`)
          onChanged(`Node ${removing.ID} was removed from your pool.`)
        }}
      >
        <p>No new servers are placed on it. Servers already running there keep running.</p>
        {removing?.source === 'operator' ? (
          <p>It was contributed by {removing.contributed_by || 'a node operator'}, who can expose it again.</p>
        ) : null}
      </ConfirmDialog>
    </Panel>
  )
}

export function LocalPager({
  page,
  pages,
  onPage,
  count,
  noun,
}: {
  page: number
  pages: number
  onPage: (p: number) => void
  count: number
  noun: string
}) {
  if (pages <= 1) return null
  return (
    <nav aria-label={`Pages of ${noun}`} className="flex items-center justify-between gap-3 border-t border-border px-4 py-3 sm:px-5">
      <p className="text-sm text-muted">
        Page {page + 1} of {pages} · {count} {noun}
      </p>
      <div className="flex gap-2">
        <Button size="sm" variant="secondary" onClick={() => onPage(page - 1)} disabled={page === 0}>
          <ChevronLeftIcon className="size-4" />
          Previous
        </Button>
        <Button size="sm" variant="secondary" onClick={() => onPage(page + 1)} disabled={page >= pages - 1}>
          Next
          <ChevronRightIcon className="size-4" />
        </Button>
      </div>
    </nav>
  )
}

// ——— The grid's catalog ———

interface Filters {
  country: string
  farm: string
  certified: boolean
  gpu: boolean
  hdd: boolean
  ipv4: boolean
  min_cpu: string
  min_ram_gb: string
  min_disk_gb: string
}

const noFilters: Filters = {
  country: '',
  farm: '',
  certified: false,
  gpu: false,
  hdd: false,
  ipv4: false,
  min_cpu: '',
  min_ram_gb: '',
  min_disk_gb: '',
}

const CATALOG_PAGE = 20

const countries = [
  'Austria', 'Belgium', 'Brazil', 'Bulgaria', 'Canada', 'Czechia', 'Denmark', 'Ecuador', 'Egypt', 'Finland', 'France',
  'Germany', 'Greece', 'India', 'Ireland', 'Italy', 'Japan', 'Kenya', 'Mexico', 'Netherlands', 'Nigeria', 'Norway',
  'Poland', 'Portugal', 'Romania', 'Singapore', 'Slovenia', 'South Africa', 'Spain', 'Sweden', 'Switzerland',
  'Tanzania', 'Thailand', 'Uganda', 'United Kingdom', 'United States', 'Vietnam',
]

function CatalogBrowser({ inPool, onAdded }: { inPool: Set<number>; onAdded: (n: number) => void }) {
  const [draft, setDraft] = useState<Filters>(noFilters)
  const [applied, setApplied] = useState<Filters>(noFilters)
  const [page, setPage] = useState(1)
  const [picked, setPicked] = useState<Set<number>>(new Set())
  const form = useForm(['country', 'farm', 'min_cpu', 'min_ram_gb', 'min_disk_gb', 'node_ids'])

  const path = withQuery('/api/admin/pool/catalog', {
    country: applied.country.trim(),
    farm: applied.farm.trim(),
    certified: applied.certified ? 'true' : '',
    gpu: applied.gpu ? 'true' : '',
    hdd: applied.hdd ? 'true' : '',
    ipv4: applied.ipv4 ? 'true' : '',
    min_cpu: applied.min_cpu.trim(),
    min_ram_gb: applied.min_ram_gb.trim(),
    min_disk_gb: applied.min_disk_gb.trim(),
    page: String(page),
    size: String(CATALOG_PAGE),
  })
  const catalog = useApi<{ items: CatalogNode[]; total: number }>(path)
  const items = catalog.data?.items ?? []
  const total = catalog.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / CATALOG_PAGE))
  const isIn = (n: CatalogNode) => n.in_pool || inPool.has(n.ID)

  const apply = (e: FormEvent) => {
    e.preventDefault()
    setApplied(draft)
    setPage(1)
  }
  const toggle = (id: number, on: boolean) =>
    setPicked((s) => {
      const next = new Set(s)
      if (on) next.add(id)
      else next.delete(id)
      return next
    })
  const selectable = items.filter((n) => !isIn(n))
  const allPicked = selectable.length > 0 && selectable.every((n) => picked.has(n.ID))

  const add = () =>
    form.run(async () => {
      const ids = [...picked]
      await api.post('/api/admin/pool', { node_ids: ids })
      setPicked(new Set())
      onAdded(ids.length)
      catalog.reload()
    })

  // The catalog's filter errors name the query parameter: show them beside the inputs.
  const loadErr = catalog.error as { field?: string; message?: string } | null
  const fieldErr = (name: string) => form.fieldError(name) ?? (loadErr?.field === name ? loadErr.message : undefined)

  const columns: Column<CatalogNode>[] = [
    {
      header: (
        <input
          type="checkbox"
          aria-label="Select every node on this page"
          checked={allPicked}
          disabled={!selectable.length}
          onChange={(e) => {
            for (const n of selectable) toggle(n.ID, e.target.checked)
          }}
          className="size-4 accent-[var(--fd-primary)]"
        />
      ),
      hideOnPhone: true,
      className: 'w-10',
      cell: (n) => (
        <input
          type="checkbox"
          aria-label={`Select node ${n.ID}`}
          checked={isIn(n) || picked.has(n.ID)}
          disabled={isIn(n)}
          onChange={(e) => toggle(n.ID, e.target.checked)}
          className="size-4 accent-[var(--fd-primary)]"
          data-testid="catalog-select"
        />
      ),
    },
    { header: 'Node', primary: true, cell: (n) => <NodeCell node={n} /> },
    { header: 'Free capacity', cell: (n) => <CapacityCell node={n} /> },
    {
      header: 'Pool',
      cell: (n) =>
        isIn(n) ? (
          <Badge tone="success">In your pool</Badge>
        ) : (
          <label className="inline-flex items-center gap-2 text-sm md:hidden">
            <input
              type="checkbox"
              checked={picked.has(n.ID)}
              onChange={(e) => toggle(n.ID, e.target.checked)}
              className="size-4 accent-[var(--fd-primary)]"
            />
            Select
          </label>
        ),
    },
  ]

  const numberInput = (name: keyof Filters, label: string, placeholder: string) => (
    <label className="flex min-w-0 flex-col gap-1 text-xs font-medium text-muted">
      {label}
      <input
        name={name}
        inputMode="numeric"
        value={draft[name] as string}
        onChange={(e) => setDraft({ ...draft, [name]: e.target.value.replace(/[^\d]/g, '') })}
        placeholder={placeholder}
        aria-invalid={fieldErr(name) ? true : undefined}
        className={inputClass(!!fieldErr(name), 'h-9 text-sm')}
      />
      {fieldErr(name) ? <span className="text-xs font-normal text-red-700">{fieldErr(name)}</span> : null}
    </label>
  )

  return (
    <Panel
      title="Add nodes from the grid"
      description="The grid’s node catalog, refreshed in the background. Only nodes that are up are listed."
      data-testid="catalog"
    >
      <form ref={form.formRef} onSubmit={apply} className="border-b border-border p-4 sm:p-5" noValidate aria-label="Catalog filters">
        <div className="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6">
          <label className="col-span-2 flex min-w-0 flex-col gap-1 text-xs font-medium text-muted md:col-span-1 lg:col-span-2">
            Country
            <input
              name="country"
              list="pool-countries"
              value={draft.country}
              onChange={(e) => setDraft({ ...draft, country: e.target.value })}
              placeholder="Any country"
              className={inputClass(!!fieldErr('country'), 'h-9 text-sm')}
              data-testid="catalog-country"
            />
            <datalist id="pool-countries">
              {countries.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
          </label>
          {numberInput('farm', 'Farm ID', 'Any farm')}
          {numberInput('min_cpu', 'Min. free vCPU', '0')}
          {numberInput('min_ram_gb', 'Min. free RAM (GB)', '0')}
          {numberInput('min_disk_gb', 'Min. free SSD (GB)', '0')}
        </div>
        <div className="mt-4 flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between">
          <div className="flex flex-wrap gap-x-5 gap-y-2">
            {(
              [
                ['certified', 'Certified'],
                ['gpu', 'GPU'],
                ['hdd', 'HDD (storage)'],
                ['ipv4', 'Free public IPv4'],
              ] as const
            ).map(([k, label]) => (
              <label key={k} className="inline-flex cursor-pointer items-center gap-2 text-sm text-fg">
                <input
                  type="checkbox"
                  checked={draft[k]}
                  onChange={(e) => setDraft({ ...draft, [k]: e.target.checked })}
                  className="size-4 rounded accent-[var(--fd-primary)]"
                  data-testid={`catalog-${k}`}
                />
                {label}
              </label>
            ))}
          </div>
          <div className="flex gap-2">
            <Button
              variant="ghost"
              onClick={() => {
                setDraft(noFilters)
                setApplied(noFilters)
                setPage(1)
              }}
            >
              Clear
            </Button>
            <Button type="submit" variant="secondary" data-testid="catalog-apply">
              Apply filters
            </Button>
          </div>
        </div>
        <FormError form={form} className="mt-4" />
      </form>

      <div className="flex flex-col gap-3 border-b border-border px-4 py-3 sm:flex-row sm:items-center sm:justify-between sm:px-5">
        <p className="text-sm text-muted" aria-live="polite">
          {catalog.loading ? 'Searching…' : `${total.toLocaleString()} ${total === 1 ? 'node matches' : 'nodes match'}`}
          {picked.size ? ` · ${picked.size} selected` : ''}
        </p>
        <Button onClick={() => void add()} disabled={!picked.size} busy={form.busy} data-testid="catalog-add">
          <PlusIcon className="size-4" />
          {picked.size ? `Add ${picked.size} to pool` : 'Add to pool'}
        </Button>
      </div>

      <DataTable
        caption="The grid's node catalog"
        columns={columns}
        rows={items}
        rowKey={(n) => String(n.ID)}
        rowProps={(n) => ({ 'data-testid': 'catalog-row', 'data-node': String(n.ID), 'data-in-pool': String(isIn(n)) })}
        loading={catalog.loading}
        error={loadErr?.field ? undefined : catalog.error}
        onRetry={catalog.reload}
        empty={
          <EmptyState icon={ServerIcon} title="No node matches">
            Loosen the filters: fewer minimums, another country, or no certification requirement.
          </EmptyState>
        }
      />
      <LocalPager page={page - 1} pages={pages} onPage={(p) => setPage(p + 1)} count={total} noun="catalog nodes" />
    </Panel>
  )
}

