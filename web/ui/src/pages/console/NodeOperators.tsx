import { withQuery } from '../../api'
import { Badge, EmptyState, PageHeader, Pager, Panel, Time, usePaged, type Column } from '../../components/data'
import { ServerIcon } from '../../components/icons'
import { PeopleTable } from '../../components/people'
import { SearchBox, useSearchQuery } from '../../components/search'
import { Button, Container, usePageTitle } from '../../components/ui'

/** A node operator as GET /api/console/node-operators answers. */
export interface ConsoleOperator {
  id: string
  email: string
  created_at: string
  disabled_at: string | null
  twin_id: number | null
  twin_linked_at: string | null
  nodes: number
  nodes_online: number
  nodes_exposed: number
  dashboards_approved: number
  dashboards_pending: number
  /** TFT units (1 TFT = 10^7); null when the grid did not answer. */
  earned_month_units: number | null
  /** The same amount in TFT with 7 decimals; empty when unknown. */
  earned_month_tft: string
  month: string
}

/** tft shows a 7-decimal amount with 2 to 7 decimals: "0.45", "1,204.5", "0.0000125". */
function tft(s: string): string {
  if (!s) return '—'
  const [whole = '0', frac = ''] = s.split('.')
  const trimmed = frac.replace(/0+$/, '')
  const shown = trimmed.length < 2 ? (trimmed + '00').slice(0, 2) : trimmed
  return `${BigInt(whole).toLocaleString('en-US')}.${shown}`
}

function monthLabel(m: string): string {
  const d = new Date(`${m}-01T00:00:00Z`)
  return Number.isNaN(d.getTime()) ? m : d.toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })
}

export function NodeOperators() {
  usePageTitle('Node operators')
  const search = useSearchQuery()
  const paged = usePaged<ConsoleOperator>(withQuery('/api/console/node-operators', { q: search.query }))
  const month = paged.items[0]?.month

  const columns: Column<ConsoleOperator>[] = [
    {
      header: 'Twin',
      cell: (o) =>
        o.twin_id ? (
          <span className="font-mono tabular-nums" title={o.twin_linked_at ? `Linked ${new Date(o.twin_linked_at).toLocaleString()}` : undefined}>
            #{o.twin_id}
          </span>
        ) : (
          <Badge tone="warning">Not linked</Badge>
        ),
    },
    {
      header: 'Nodes online',
      cell: (o) =>
        o.nodes === 0 ? (
          <span className="text-muted">None registered</span>
        ) : (
          <span className="inline-flex items-center gap-2">
            <span className="tabular-nums">
              {o.nodes_online} / {o.nodes}
            </span>
            <Badge tone={o.nodes_online === o.nodes ? 'success' : o.nodes_online === 0 ? 'danger' : 'warning'} dot>
              {o.nodes_online === o.nodes ? 'All up' : o.nodes_online === 0 ? 'All down' : `${o.nodes - o.nodes_online} down`}
            </Badge>
          </span>
        ),
    },
    {
      header: 'Dashboards',
      cell: (o) =>
        o.dashboards_approved + o.dashboards_pending === 0 ? (
          <span className="text-muted">No requests</span>
        ) : (
          <span className="inline-flex flex-wrap gap-1.5">
            {o.dashboards_approved ? <Badge tone="success">{o.dashboards_approved} approved</Badge> : null}
            {o.dashboards_pending ? <Badge tone="warning">{o.dashboards_pending} pending</Badge> : null}
          </span>
        ),
    },
    {
      header: 'Nodes exposed',
      className: 'text-right',
      cell: (o) => <span className={o.nodes_exposed ? 'tabular-nums' : 'text-muted tabular-nums'}>{o.nodes_exposed}</span>,
    },
    {
      header: 'Earned this month',
      className: 'text-right',
      cell: (o) =>
        o.earned_month_units === null ? (
          <span className="text-muted" title="The grid did not answer; try again in a minute.">
            Unknown
          </span>
        ) : (
          <span className={o.earned_month_units ? 'font-medium tabular-nums' : 'text-muted tabular-nums'} data-testid="operator-earned">
            {tft(o.earned_month_tft)} TFT
          </span>
        ),
    },
  ]

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Node operators"
        icon={ServerIcon}
        description="Farmers who contribute nodes to the storefronts: their TFChain twin, how many of their nodes are up, the dashboards they supply, and the chain’s 50 % farmer share of this platform’s contracts on their nodes."
      />
      <Panel
        title="Operators"
        description={month ? `Earnings are for ${monthLabel(month)} so far, in TFT, paid by the chain.` : undefined}
        actions={
          <SearchBox
            value={search.text}
            onChange={search.setText}
            label="Search node operators by e-mail"
            placeholder="Search by e-mail…"
            hint="Shows operators whose e-mail address starts with what you type."
            testId="operator-search"
          />
        }
      >
        <PeopleTable
          caption="Node operators"
          personHeader="Operator"
          rows={paged.items}
          rowKey={(o) => o.id}
          rowTestId="operator-row"
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          detail={(o) => (
            <span className="text-xs text-muted">
              Joined <Time iso={o.created_at} />
            </span>
          )}
          columns={columns}
          empty={
            search.query ? (
              <EmptyState
                icon={ServerIcon}
                title="No operator matches"
                action={
                  <Button variant="secondary" onClick={() => search.setText('')}>
                    Clear the search
                  </Button>
                }
              >
                No node operator’s e-mail address starts with “{search.query}”.
              </EmptyState>
            ) : (
              <EmptyState icon={ServerIcon} title="No node operators yet">
                Farmers sign up on this console’s home page, link their TFChain twin and register their nodes. Share the console’s
                address with the farmers you work with.
              </EmptyState>
            )
          }
        />
        <Pager paged={paged} noun="node operators" />
      </Panel>
    </Container>
  )
}
