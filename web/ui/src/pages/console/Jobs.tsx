import { useState } from 'react'
import { api, errorMessage, withQuery } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, Loading, PageHeader, Pager, Panel, Time, useApi, usePaged, type Column } from '../../components/data'
import { Alert, ErrorPanel } from '../../components/forms'
import { CheckCircleIcon, ClockIcon, ListChecksIcon, RefreshIcon, TrashIcon } from '../../components/icons'
import { FilterTabs } from '../../components/tabs'
import { Button, Card, Container, cx, usePageTitle } from '../../components/ui'

interface Queue {
  name: string
  priority: number
  size: number
  pending: number
  active: number
  scheduled: number
  retry: number
  archived: number
  completed: number
  processed_today: number
  failed_today: number
  paused: boolean
  latency_seconds: number
}

interface ScheduleEntry {
  id: string
  spec: string
  type: string
  queue: string
  next: string
  prev: string | null
}

interface Overview {
  queues: Queue[]
  schedule: ScheduleEntry[]
  workers: number
  heartbeat: string | null
}

/** A task as the console shows it: type, id, error, attempts and times — never its payload. */
interface Task {
  id: string
  queue: string
  type: string
  state: string
  last_error: string
  attempts: number
  max_retry: number
  last_failed_at: string | null
  next_run_at: string | null
}

type State = 'archived' | 'retry'

const queueBlurb: Record<string, string> = {
  critical: 'Deployments and Stripe events',
  default: 'Renewals and top-ups',
  low: 'Reconcile, reports, upkeep',
}

function everyLabel(spec: string): string {
  const m = /^@every (\d+)([smh])$/.exec(spec)
  if (m) {
    const n = Number(m[1])
    const unit = { s: 'second', m: 'minute', h: 'hour' }[m[2] as 's' | 'm' | 'h']
    return n === 1 ? `Every ${unit}` : `Every ${n} ${unit}s`
  }
  return spec
}

function QueueCard({ q, selected, onSelect }: { q: Queue; selected: boolean; onSelect: () => void }) {
  const rows: Array<[string, number, string?]> = [
    ['Pending', q.pending],
    ['Active', q.active],
    ['Scheduled', q.scheduled],
    ['Retrying', q.retry, q.retry ? 'text-amber-700 dark:text-amber-300' : undefined],
    ['Failed', q.archived, q.archived ? 'text-red-700 dark:text-red-400' : undefined],
  ]
  return (
    <Card className={cx('flex flex-col p-4 transition-colors sm:p-5', selected && 'border-primary ring-1 ring-primary/30')}>
      <section aria-label={`Queue ${q.name}`} data-testid="queue-card" data-queue={q.name} className="flex flex-1 flex-col">
        <div className="flex items-start justify-between gap-3">
          <div className="min-w-0">
            <h2 className="flex items-center gap-2 text-base font-semibold text-fg capitalize">
              {q.name}
              {q.paused ? <Badge tone="warning">Paused</Badge> : null}
            </h2>
            <p className="mt-0.5 text-sm text-muted">{queueBlurb[q.name] ?? ''}</p>
          </div>
          <Badge title="Share of the workers' attention">weight {q.priority}</Badge>
        </div>
        <p className="mt-4 text-3xl font-bold tracking-tight text-fg tabular-nums" data-testid="queue-size">
          {q.size}
          <span className="ml-1.5 text-sm font-medium text-muted">{q.size === 1 ? 'task' : 'tasks'}</span>
        </p>
        <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-3">
          {rows.map(([label, n, tone]) => (
            <div key={label} className="flex items-baseline justify-between gap-2 sm:block">
              <dt className="text-muted">{label}</dt>
              <dd className={cx('font-semibold tabular-nums', tone ?? 'text-fg')}>{n}</dd>
            </div>
          ))}
        </dl>
        <p className="mt-4 border-t border-border pt-3 text-sm text-muted">
          Today: <span className="font-medium text-fg tabular-nums">{q.processed_today}</span> processed,{' '}
          <span className={cx('font-medium tabular-nums', q.failed_today ? 'text-red-700 dark:text-red-400' : 'text-fg')}>
            {q.failed_today}
          </span>{' '}
          failed
          {q.latency_seconds > 60 ? <> · oldest pending waits {Math.round(q.latency_seconds / 60)} min</> : null}
        </p>
        <div className="mt-4">
          <Button size="sm" variant={selected ? 'primary' : 'secondary'} onClick={onSelect} aria-pressed={selected} data-testid="queue-select">
            {q.archived + q.retry > 0 ? `Show ${q.archived + q.retry} failing` : 'Show failures'}
          </Button>
        </div>
      </section>
    </Card>
  )
}

export function Jobs() {
  usePageTitle('Jobs')
  const overview = useApi<Overview>('/api/console/jobs')
  const [queue, setQueue] = useState('critical')
  const [state, setState] = useState<State>('archived')
  const tasks = usePaged<Task>(withQuery(`/api/console/jobs/${queue}/tasks`, { state, limit: '25' }))
  const [deleting, setDeleting] = useState<Task | null>(null)
  const [busy, setBusy] = useState('')
  const [notice, setNotice] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)

  const refresh = () => {
    overview.reload()
    tasks.reload()
  }
  const q = overview.data?.queues.find((x) => x.name === queue)

  const retry = async (t: Task) => {
    setBusy(t.id)
    setNotice(null)
    try {
      await api.post(`/api/console/jobs/${encodeURIComponent(t.queue)}/tasks/${encodeURIComponent(t.id)}/retry`, {})
      setNotice({ tone: 'success', text: `${t.type} is back in the ${t.queue} queue and runs as soon as a worker is free.` })
      refresh()
    } catch (err) {
      setNotice({ tone: 'error', text: errorMessage(err) })
    } finally {
      setBusy('')
    }
  }

  const columns: Column<Task>[] = [
    {
      header: 'Task',
      primary: true,
      cell: (t) => (
        <span className="flex min-w-0 flex-col gap-0.5">
          <span className="font-mono text-sm font-medium break-all text-fg">{t.type}</span>
          <span className="font-mono text-xs break-all text-muted" title="Task id">
            {t.id}
          </span>
        </span>
      ),
    },
    {
      header: 'Last error',
      className: 'max-w-md',
      cell: (t) =>
        t.last_error ? (
          <span className="line-clamp-3 text-sm break-words text-red-700 dark:text-red-400" title={t.last_error} data-testid="task-error">
            {t.last_error}
          </span>
        ) : (
          <span className="text-muted">No error recorded</span>
        ),
    },
    {
      header: 'Attempts',
      className: 'text-right',
      cell: (t) => (
        <span className="tabular-nums" title={`${t.max_retry} retries allowed`}>
          {t.attempts} / {t.max_retry + 1}
        </span>
      ),
    },
    {
      header: state === 'archived' ? 'Failed' : 'Next attempt',
      cell: (t) =>
        state === 'archived' ? (
          <Time iso={t.last_failed_at} />
        ) : (
          <span className="flex flex-col">
            <Time iso={t.next_run_at} />
            {t.last_failed_at ? (
              <span className="text-xs text-muted">
                failed <Time iso={t.last_failed_at} />
              </span>
            ) : null}
          </span>
        ),
    },
    {
      header: '',
      actions: true,
      cell: (t) => (
        <span className="inline-flex flex-wrap justify-end gap-2">
          <Button size="sm" variant="secondary" busy={busy === t.id} onClick={() => retry(t)} aria-label={`Retry ${t.type} ${t.id}`} data-testid="task-retry">
            <RefreshIcon className="size-4" />
            Retry now
          </Button>
          <Button size="sm" variant="danger-ghost" onClick={() => setDeleting(t)} aria-label={`Delete ${t.type} ${t.id}`} data-testid="task-delete">
            <TrashIcon className="size-4" />
            Delete
          </Button>
        </span>
      ),
    },
  ]

  const scheduleColumns: Column<ScheduleEntry>[] = [
    { header: 'Task', primary: true, cell: (e) => <span className="font-mono text-sm font-medium break-all">{e.type}</span> },
    { header: 'When', cell: (e) => <span title={e.spec}>{everyLabel(e.spec)}</span> },
    { header: 'Next run', cell: (e) => <Time iso={e.next} /> },
    { header: 'Last run', cell: (e) => (e.prev ? <Time iso={e.prev} /> : <span className="text-muted">Not yet</span>) },
  ]

  const o = overview.data
  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Jobs"
        icon={ListChecksIcon}
        description="Background work on Redis: deployments, Stripe events, renewals, top-ups and upkeep. Failed tasks wait here until you retry or delete them; task contents are never shown."
        actions={
          <Button variant="secondary" onClick={refresh} busy={overview.loading && !!o} data-testid="jobs-refresh">
            <RefreshIcon className="size-4" />
            Refresh
          </Button>
        }
      />

      {overview.error ? <ErrorPanel error={overview.error} onRetry={overview.reload} /> : null}
      {!o && !overview.error ? <Loading /> : null}

      {o ? (
        <>
          {o.workers === 0 ? (
            <Alert tone="warning" title="No worker is running" data-testid="no-worker">
              Tasks wait in their queues until a worker takes them. Start one with <code className="font-mono">fiatdashboard worker</code>{' '}
              (exactly one with <code className="font-mono">FD_SCHEDULER=true</code> for the periodic tasks).
            </Alert>
          ) : (
            <p className="flex flex-wrap items-center gap-2 text-sm text-muted" data-testid="workers">
              <CheckCircleIcon className="size-4 text-emerald-600" />
              {o.workers} {o.workers === 1 ? 'worker' : 'workers'} running
              {o.heartbeat ? (
                <>
                  {' '}
                  · last heartbeat <Time iso={o.heartbeat} />
                </>
              ) : null}
            </p>
          )}

          <div className="grid gap-4 md:grid-cols-3">
            {o.queues.map((x) => (
              <QueueCard key={x.name} q={x} selected={x.name === queue} onSelect={() => setQueue(x.name)} />
            ))}
          </div>
        </>
      ) : null}

      {notice ? (
        <Alert tone={notice.tone} data-testid="jobs-notice">
          {notice.text}
        </Alert>
      ) : null}

      <Panel
        title={`${queue.charAt(0).toUpperCase()}${queue.slice(1)} queue: failing tasks`}
        description="Failed tasks used up their retries (or could never succeed); retrying ones run again on their own."
        actions={
          <FilterTabs
            label="Task state"
            testIdPrefix="task-state"
            value={state}
            onChange={(s) => setState(s)}
            tabs={[
              { id: 'archived', label: 'Failed', count: q?.archived },
              { id: 'retry', label: 'Retrying', count: q?.retry },
            ]}
          />
        }
      >
        <div className="border-b border-border px-4 py-3 sm:px-5">
          <FilterTabs
            label="Queue"
            testIdPrefix="task-queue"
            value={queue}
            onChange={(id) => setQueue(id)}
            tabs={(o?.queues ?? []).map((x) => ({ id: x.name, label: x.name.charAt(0).toUpperCase() + x.name.slice(1), count: x.archived + x.retry }))}
          />
        </div>
        <DataTable
          caption={`${state === 'archived' ? 'Failed' : 'Retrying'} tasks of the ${queue} queue`}
          columns={columns}
          rows={tasks.items}
          rowKey={(t) => t.id}
          rowProps={(t) => ({ 'data-testid': 'task-row', 'data-type': t.type, 'data-id': t.id })}
          loading={tasks.loading}
          error={tasks.error}
          onRetry={tasks.reload}
          empty={
            <EmptyState icon={CheckCircleIcon} title={state === 'archived' ? 'Nothing failed here' : 'Nothing is waiting for a retry'}>
              {state === 'archived'
                ? `Every task of the ${queue} queue finished or is still retrying. A task that runs out of retries lands here with its last error, for you to retry once the cause is fixed, or delete.`
                : `No task of the ${queue} queue is between attempts. A task that fails is retried with a growing pause before it counts as failed.`}
            </EmptyState>
          }
        />
        <Pager paged={tasks} noun="tasks" />
      </Panel>

      <Panel title="Periodic tasks" description="What the scheduler enqueues on its own, and when it runs next.">
        {o && o.schedule.length === 0 ? (
          <EmptyState icon={ClockIcon} title="No scheduler is running" data-testid="schedule-empty">
            Renewals, top-ups, domain checks and the heartbeat are enqueued by the scheduler of one worker. Start a worker with{' '}
            <code className="font-mono">FD_SCHEDULER=true</code> and its entries appear here within a few seconds.
          </EmptyState>
        ) : (
          <DataTable
            caption="Periodic tasks"
            columns={scheduleColumns}
            rows={o?.schedule ?? []}
            rowKey={(e) => e.id}
            rowProps={(e) => ({ 'data-testid': 'schedule-row', 'data-type': e.type })}
            loading={overview.loading && !o}
            empty={null}
          />
        )}
      </Panel>

      <ConfirmDialog
        open={!!deleting}
        onClose={() => setDeleting(null)}
        title={`Delete ${deleting?.type ?? ''}?`}
        confirmLabel="Delete task"
        testId="task-delete-dialog"
        onConfirm={async () => {
          if (!deleting) return
          await api.del(`/api/console/jobs/${encodeURIComponent(deleting.queue)}/tasks/${encodeURIComponent(deleting.id)}`)
          setNotice({ tone: 'success', text: `${deleting.type} (${deleting.id}) was deleted.` })
          setDeleting(null)
          refresh()
        }}
      >
        <p>
          The task is removed for good and its work is not done. If it deploys a server or settles a payment, check that
          customer’s deployment or order first. Deleting is recorded in the audit log.
        </p>
      </ConfirmDialog>
    </Container>
  )
}
