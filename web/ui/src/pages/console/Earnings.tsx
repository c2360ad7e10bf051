import { useMemo, useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { withQuery } from '../../api'
import { DataTable, EmptyState, PageHeader, Panel, useApi, type Column } from '../../components/data'
import { inputClass } from '../../components/forms'
import { CoinsIcon, DownloadIcon } from '../../components/icons'
import { Button, Card, Container, buttonClass, usePageTitle } from '../../components/ui'
import type { EarningLine } from '../../deployments'
import { LocalPager } from '../admin/NodePool'

// TFT amounts arrive as decimal strings with up to 7 places (1 TFT = 10^7 units): add them
// as integers so totals are exact.
const SCALE = 7

function toUnits(s: string): bigint {
  const t = (s || '0').trim()
  const neg = t.startsWith('-')
  const [whole, frac = ''] = t.replace(/^[-+]/, '').split('.')
  const units = BigInt(whole || '0') * 10n ** BigInt(SCALE) + BigInt((frac + '0'.repeat(SCALE)).slice(0, SCALE) || '0')
  return neg ? -units : units
}

function fromUnits(u: bigint, places: number): string {
  const neg = u < 0n
  const abs = neg ? -u : u
  const base = 10n ** BigInt(SCALE)
  const whole = abs / base
  let frac = (abs % base).toString().padStart(SCALE, '0').slice(0, places)
  frac = places ? '.' + frac : ''
  return (neg ? '-' : '') + whole.toLocaleString('en-US') + frac
}

function tft(s: string): string {
  const n = Number(s)
  if (!Number.isFinite(n)) return s
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 7 })
}

function usd(s: string): string {
  const n = Number(s)
  if (!Number.isFinite(n)) return s
  return n.toLocaleString('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 })
}

function monthLabel(m: string): string {
  const d = new Date(`${m}-01T00:00:00Z`)
  return Number.isNaN(d.getTime()) ? m : d.toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })
}

function monthInput(d: Date): string {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

/** The first day after the month "2026-03" → "2026-04-01". */
function dayAfter(month: string): string {
  const [y = 1970, m = 1] = month.split('-').map(Number)
  const d = new Date(Date.UTC(y, m, 1))
  return d.toISOString().slice(0, 10)
}

const PAGE = 20

export function Earnings() {
  usePageTitle('Earnings')
  const now = new Date()
  const defaultFrom = monthInput(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)))
  const defaultTo = monthInput(now)
  const [from, setFrom] = useState(defaultFrom)
  const [to, setTo] = useState(defaultTo)
  const [range, setRange] = useState({ from: defaultFrom, to: defaultTo })
  const [page, setPage] = useState(0)

  const params = { from: `${range.from}-01`, to: dayAfter(range.to) }
  const loaded = useApi<{ items: EarningLine[]; tft_price_usd: string }>(withQuery('/api/node-operator/earnings', params))
  const csv = withQuery('/api/node-operator/earnings.csv', params)
  const items = useMemo(() => loaded.data?.items ?? [], [loaded.data])

  const totals = useMemo(() => {
    let earned = 0n
    let dollars = 0n
    let billed = 0n
    for (const l of items) {
      earned += toUnits(l.earned_tft)
      dollars += toUnits(l.earned_usd)
      billed += toUnits(l.billed_tft)
    }
    return { earned, dollars, billed, nodes: new Set(items.map((l) => l.node_id)).size }
  }, [items])

  const pages = Math.max(1, Math.ceil(items.length / PAGE))
  const p = Math.min(page, pages - 1)
  const rows = items.slice(p * PAGE, (p + 1) * PAGE)

  const apply = (e: FormEvent) => {
    e.preventDefault()
    setRange({ from, to: to < from ? from : to })
    setPage(0)
  }

  const columns: Column<EarningLine>[] = [
    { header: 'Month', primary: true, cell: (l) => <span className="font-medium">{monthLabel(l.month)}</span> },
    { header: 'Node', cell: (l) => <span className="font-mono">#{l.node_id}</span> },
    { header: 'Storefront', cell: (l) => l.tenant },
    {
      header: 'Line',
      cell: (l) => (l.kind === 'extra_fee' ? 'Extra fee for the rent (100 % yours)' : 'Usage (50 % yours)'),
    },
    {
      header: 'Contracts billed',
      className: 'text-right',
      cell: (l) => <span className="tabular-nums">{tft(l.billed_tft)} TFT</span>,
    },
    {
      header: 'Yours',
      className: 'text-right',
      cell: (l) => <span className="font-semibold tabular-nums">{tft(l.earned_tft)} TFT</span>,
    },
    { header: 'USD', className: 'text-right', cell: (l) => <span className="tabular-nums">{usd(l.earned_usd)}</span> },
  ]

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Earnings"
        icon={CoinsIcon}
        description="What your nodes earned from servers deployed through this platform: the farmer’s 50 % share of each contract’s bill on TFChain. The chain pays it to your farm; this is your statement."
        actions={
          <a href={csv} download className={buttonClass('secondary', 'md')} data-testid="earnings-csv">
            <DownloadIcon className="size-4" />
            Download CSV
          </a>
        }
      />

      <form onSubmit={apply} className="flex flex-col gap-3 sm:flex-row sm:items-end" aria-label="Period">
        <label className="flex flex-col gap-1 text-xs font-medium text-muted">
          From
          <input type="month" value={from} max={to} onChange={(e) => setFrom(e.target.value)} className={inputClass(false, 'h-10 sm:w-44')} />
        </label>
        <label className="flex flex-col gap-1 text-xs font-medium text-muted">
          To
          <input type="month" value={to} min={from} onChange={(e) => setTo(e.target.value)} className={inputClass(false, 'h-10 sm:w-44')} />
        </label>
        <Button type="submit" variant="secondary">
          Show
        </Button>
      </form>

      <div className="grid gap-3 sm:grid-cols-3" data-testid="earnings-summary">
        <Card className="p-5">
          <p className="text-xs font-semibold tracking-wide text-muted uppercase">Earned</p>
          <p className="mt-1.5 text-2xl font-bold tracking-tight text-fg tabular-nums">{fromUnits(totals.earned, 4)} TFT</p>
          <p className="mt-1 text-xs text-muted">of {fromUnits(totals.billed, 2)} TFT billed to contracts on your nodes</p>
        </Card>
        <Card className="p-5">
          <p className="text-xs font-semibold tracking-wide text-muted uppercase">In US dollars</p>
          <p className="mt-1.5 text-2xl font-bold tracking-tight text-fg tabular-nums">${fromUnits(totals.dollars, 2)}</p>
          <p className="mt-1 text-xs text-muted">
            {loaded.data?.tft_price_usd ? `At ${usd(loaded.data.tft_price_usd)} per TFT` : 'At the TFT price of the time'}
          </p>
        </Card>
        <Card className="p-5">
          <p className="text-xs font-semibold tracking-wide text-muted uppercase">Nodes earning</p>
          <p className="mt-1.5 text-2xl font-bold tracking-tight text-fg">{totals.nodes}</p>
          <p className="mt-1 text-xs text-muted">
            {monthLabel(range.from)} – {monthLabel(range.to)}
          </p>
        </Card>
      </div>

      <Panel title="Statement" description="Per month, node and storefront.">
        <DataTable
          caption="Earnings per month, node and storefront"
          columns={columns}
          rows={rows}
          rowKey={(l) => `${l.month}:${l.node_id}:${l.tenant}:${l.kind}`}
          rowProps={() => ({ 'data-testid': 'earning-row' })}
          loading={loaded.loading}
          error={loaded.error}
          onRetry={loaded.reload}
          empty={
            <EmptyState icon={CoinsIcon} title="No earnings in this period">
              Earnings appear once customers run servers on nodes you exposed on a storefront. Check that your nodes are
              exposed on{' '}
              <Link to="/nodes" className="font-medium text-primary hover:underline">
                My nodes
              </Link>
              .
            </EmptyState>
          }
        />
        <LocalPager page={p} pages={pages} onPage={setPage} count={items.length} noun="lines" />
      </Panel>
    </Container>
  )
}
