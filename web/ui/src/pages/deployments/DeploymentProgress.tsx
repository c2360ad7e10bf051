import type { Deployment, DeploymentEvent } from '../../deployments'
import { AlertCircleIcon, CheckIcon } from '../../components/icons'
import { Spinner, cx } from '../../components/ui'

type StepState = 'done' | 'active' | 'pending' | 'failed'

interface Step {
  key: string
  label: string
  /** What the step is doing while it is the current one. */
  doing: string
}

function stepsFor(d: Deployment): Step[] {
  const steps: Step[] = [
    { key: 'payment', label: 'Payment confirmed', doing: 'Confirming your payment' },
    { key: 'network', label: 'Network', doing: 'Creating the private network' },
    d.app === 'kubernetes'
      ? { key: 'vm', label: 'Cluster', doing: 'Starting the control plane and the workers' }
      : { key: 'vm', label: 'VM', doing: 'Starting the virtual machine' },
  ]
  // An app behind a gateway name (APPS.md: nextcloud, openwebui, livekit) gets its HTTPS address last.
  if (d.app === 'nextcloud' || d.app === 'openwebui' || d.app === 'livekit')
    steps.push({ key: 'gateway', label: 'Web address', doing: 'Reserving its gateway name and HTTPS address' })
  if (d.backup === 'vm') steps.push({ key: 'backup', label: 'Backup VM', doing: 'Placing the standby VM on another farm' })
  if (d.backup === 'qsfs') steps.push({ key: 'backup', label: 'Backup swarm', doing: 'Mounting the QSFS backup swarm' })
  steps.push({ key: 'running', label: 'Running', doing: 'Finishing up' })
  return steps
}

export interface Progress {
  steps: Step[]
  states: StepState[]
  /** running | waiting | working | failed */
  overall: 'waiting' | 'working' | 'running' | 'failed'
  /** 0…1 of the bar filled */
  fill: number
  current: Step | null
}

/**
 * progressOf turns the event log into the bar's state. Steps only move forward, except
 * that a failover or re-provisioning after a node failure starts the server part again.
 */
export function progressOf(d: Deployment, events: DeploymentEvent[]): Progress {
  const steps = stepsFor(d)
  const index = (key: string) => steps.findIndex((s) => s.key === key)
  let reached = -1
  let status = d.status as string
  for (const e of events) {
    status = e.status
    if (e.step === 'failover' || e.step === 'reprovision') {
      reached = Math.min(reached, index('network'))
      continue
    }
    const i = index(e.step)
    if (i >= 0) reached = Math.max(reached, i)
  }
  // The deployment record may be ahead of the stream (just loaded, stream still opening).
  if (d.status === 'running' && status !== 'provisioning') status = 'running'
  if (d.status === 'failed') status = 'failed'
  if (status === 'paid' || status === 'provisioning') reached = Math.max(reached, 0)

  const last = steps.length - 1
  let overall: Progress['overall'] = 'working'
  if (status === 'running') {
    overall = 'running'
    reached = last
  } else if (status === 'failed') overall = 'failed'
  else if (status === 'awaiting_payment') overall = 'waiting'

  const states: StepState[] = steps.map((_, i) => {
    if (i <= reached) return 'done'
    if (i === reached + 1) return overall === 'failed' ? 'failed' : 'active'
    return 'pending'
  })
  const fill = Math.max(0, reached) / last
  const cur = states.findIndex((s) => s === 'active' || s === 'failed')
  return { steps, states, overall, fill: overall === 'running' ? 1 : fill, current: cur >= 0 ? (steps[cur] ?? null) : null }
}

/** DeploymentProgress is the bar with named steps, fed by the event stream. */
export function DeploymentProgress({ progress, thing = 'server' }: { progress: Progress; thing?: string }) {
  const { steps, states, overall, fill, current } = progress
  const summary =
    overall === 'running'
      ? `Your ${thing} is running.`
      : overall === 'failed'
        ? `Stopped at “${current?.label ?? 'deploying'}”.`
        : overall === 'waiting'
          ? 'Waiting for your payment to be confirmed.'
          : `${current?.doing ?? 'Working'}…`
  return (
    <div data-testid="deployment-progress" data-state={overall}>
      <div className="flex items-center justify-between gap-3">
        <p className="flex items-center gap-2 text-sm font-medium text-fg" aria-live="polite">
          {overall === 'working' || overall === 'waiting' ? <Spinner className="size-4 text-primary" /> : null}
          {overall === 'failed' ? <AlertCircleIcon className="size-4 text-red-600" /> : null}
          {overall === 'running' ? <CheckIcon className="size-4 text-emerald-600" /> : null}
          {summary}
        </p>
        <span className="text-sm text-muted tabular-nums">{Math.round(fill * 100)}%</span>
      </div>

      <div
        role="progressbar"
        aria-label="Deployment progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(fill * 100)}
        aria-valuetext={summary}
        className="mt-3 h-2 overflow-hidden rounded-full bg-primary/10"
      >
        <div
          className={cx(
            'h-full rounded-full transition-[width] duration-700 ease-out',
            overall === 'failed' ? 'bg-red-500' : overall === 'running' ? 'bg-emerald-500' : 'bg-primary',
          )}
          style={{ width: `${Math.max(fill * 100, overall === 'waiting' ? 3 : 6)}%` }}
        />
      </div>

      <ol className="mt-5 grid gap-3 sm:gap-2" style={{ gridTemplateColumns: `repeat(${steps.length}, minmax(0, 1fr))` }}>
        {steps.map((s, i) => {
          const st = states[i]
          return (
            <li
              key={s.key}
              data-testid="progress-step"
              data-step={s.key}
              data-state={st}
              aria-current={st === 'active' ? 'step' : undefined}
              className="flex min-w-0 flex-col items-center gap-1.5 text-center sm:items-start sm:text-left"
            >
              <span
                className={cx(
                  'inline-flex size-7 shrink-0 items-center justify-center rounded-full text-xs font-semibold ring-1 ring-inset',
                  st === 'done' && 'bg-emerald-500 text-white ring-emerald-500',
                  st === 'active' && 'bg-primary/10 text-primary ring-primary/40',
                  st === 'failed' && 'bg-red-50 text-red-700 ring-red-300',
                  st === 'pending' && 'bg-surface text-muted ring-border',
                )}
              >
                {st === 'done' ? (
                  <CheckIcon className="size-4" />
                ) : st === 'active' ? (
                  <Spinner className="size-3.5" />
                ) : st === 'failed' ? (
                  <AlertCircleIcon className="size-4" />
                ) : (
                  i + 1
                )}
              </span>
              <span
                className={cx(
                  'text-xs leading-4 font-medium break-words sm:text-sm',
                  st === 'pending' ? 'text-muted' : st === 'failed' ? 'text-red-700' : 'text-fg',
                )}
              >
                {s.label}
                <span className="sr-only">
                  {st === 'done' ? ' (done)' : st === 'active' ? ' (in progress)' : st === 'failed' ? ' (failed)' : ' (to do)'}
                </span>
              </span>
            </li>
          )
        })}
      </ol>
    </div>
  )
}
