import { useEffect, useState } from 'react'
import { api, isApiError, sentence } from '../../api'
import { appName } from '../../apps'
import { cardLabel, newClientKey, type CardList } from '../../billing'
import { ConfirmDialog } from '../../components/Dialog'
import { Badge, CopyButton, useApi } from '../../components/data'
import { Alert } from '../../components/forms'
import { DownloadIcon, ExternalLinkIcon, GlobeIcon, KeyIcon, LayersIcon, MinusIcon, PlusIcon, TriangleAlertIcon } from '../../components/icons'
import { Button, ButtonLink, Card, IconBadge, buttonClass, cx } from '../../components/ui'
import type { Deployment } from '../../deployments'

// The app half of a deployment's page: the Access panel (its URLs, ports, credentials
// shown once, kubeconfig download) and, for a Kubernetes cluster, its workers with add
// and remove. The server decides everything shown; this only asks and displays.

const live = (d: Deployment) => d.status === 'running' || d.status === 'suspended'

interface Credential {
  label: string
  value: string
}

/** AppAccessCard is how the customer reaches a running app. */
export function AppAccessCard({ d }: { d: Deployment }) {
  const access = d.access
  const ready = live(d)
  const [revealed, setRevealed] = useState<Credential[] | null>(null)
  const [gone, setGone] = useState('')
  const [asking, setAsking] = useState(false)
  const urls = access?.urls ?? []
  const ports = access?.ports ?? []
  const state = revealed ? 'revealed' : gone ? 'shown' : (access?.credentials ?? 'none')

  return (
    <Card className="p-5 sm:p-6" data-testid="app-access" data-app={d.app}>
      <div className="flex items-start gap-3">
        <IconBadge className="size-9">
          <GlobeIcon className="size-4.5" />
        </IconBadge>
        <div className="min-w-0 flex-1">
          <h2 className="text-base font-semibold text-fg">Access</h2>
          <p className="mt-0.5 text-sm text-muted">
            {ready
              ? `Where your ${appName(d.app)} answers, and how to sign in.`
              : `Its addresses and sign-in appear here once ${appName(d.app)} is running.`}
          </p>
        </div>
      </div>

      {ready ? (
        <div className="mt-5 space-y-6">
          {urls.length ? (
            <ul className="space-y-3">
              {urls.map((u) => {
                // A browser opens http(s) links; a wss:// signalling URL is for the app's SDK, to copy.
                const web = /^https?:\/\//.test(u.url)
                return (
                  <li key={u.url} className="min-w-0" data-testid="app-url" data-label={u.label}>
                    <p className="text-xs font-medium tracking-wide text-muted uppercase">{u.label}</p>
                    <div className="mt-1 flex flex-col gap-2 rounded-fd-sm border border-border bg-bg p-2 sm:flex-row sm:items-center">
                      {web ? (
                        <a
                          href={u.url}
                          target="_blank"
                          rel="noopener noreferrer"
                          className="inline-flex min-w-0 flex-1 items-center gap-1.5 px-2 py-1 font-mono text-sm break-all text-primary hover:underline"
                          data-testid="app-url-link"
                          data-url={u.url}
                        >
                          {u.url}
                          <ExternalLinkIcon className="size-3.5 shrink-0" />
                          <span className="sr-only">(opens in a new tab)</span>
                        </a>
                      ) : (
                        <code className="min-w-0 flex-1 px-2 py-1 font-mono text-sm break-all text-fg select-all" data-testid="app-url-link" data-url={u.url}>
                          {u.url}
                        </code>
                      )}
                      <CopyButton text={u.url} label="Copy" aria-label={`Copy ${u.label}`} />
                    </div>
                  </li>
                )
              })}
            </ul>
          ) : null}

          {ports.length ? (
            <div>
              <p className="text-sm font-medium text-fg">Details</p>
              {d.app === 'livekit' ? (
                <p className="mt-0.5 text-sm text-muted">LiveKit needs these ports open on any firewall between your users and it.</p>
              ) : null}
              <dl className="mt-2 divide-y divide-border rounded-fd-sm border border-border" data-testid="app-ports">
                {ports.map((p) => (
                  <div key={p.label + p.value} className="flex items-baseline justify-between gap-4 px-3 py-2 text-sm" data-testid="app-port">
                    <dt className="shrink-0 text-muted">{p.label}</dt>
                    <dd
                      className={cx(
                        'min-w-0 text-right text-fg',
                        // A port or an address is code and stays on one line when short; a sentence reads as text.
                        !/\s/.test(p.value.replace(/^ssh root@/, '')) && 'font-mono',
                        p.value.length > 18 ? 'break-all' : 'whitespace-nowrap',
                      )}
                    >
                      {p.value}
                    </dd>
                  </div>
                ))}
              </dl>
            </div>
          ) : null}

          {state !== 'none' ? (
            <div data-testid="app-credentials" data-state={state}>
              <p className="flex items-center gap-1.5 text-sm font-medium text-fg">
                <KeyIcon className="size-4 text-muted" />
                Credentials
              </p>
              {state === 'available' ? (
                <>
                  <Alert tone="warning" className="mt-2" title="Shown once">
                    We keep them sealed and show them to you a single time. Have a password manager ready: after this, we
                    cannot show them again.
                  </Alert>
                  <Button className="mt-3" onClick={() => setAsking(true)} data-testid="credentials-show">
                    Show credentials once
                  </Button>
                </>
              ) : state === 'revealed' && revealed ? (
                <>
                  <Alert tone="warning" className="mt-2" title="Save them now" data-testid="credentials-warning">
                    This is the only time they are shown. Leaving or reloading this page hides them for good.
                  </Alert>
                  <dl className="mt-3 space-y-3">
                    {revealed.map((c) => (
                      <div key={c.label} className="min-w-0" data-testid="credential" data-label={c.label}>
                        <dt className="text-xs font-medium tracking-wide text-muted uppercase">{c.label}</dt>
                        <dd className="mt-1 flex flex-col gap-2 rounded-fd-sm border border-border bg-bg p-2 sm:flex-row sm:items-center">
                          <code className="min-w-0 flex-1 px-2 py-1 font-mono text-sm break-all text-fg select-all" data-testid="credential-value">
                            {c.value}
                          </code>
                          <CopyButton text={c.value} label="Copy" aria-label={`Copy ${c.label}`} />
                        </dd>
                      </div>
                    ))}
                  </dl>
                </>
              ) : (
                <p className="mt-1 text-sm text-muted" data-testid="credentials-gone">
                  {gone || 'They were shown once and cannot be shown again.'}{' '}
                  {d.app === 'nextcloud'
                    ? 'If you lost the password, change it from Nextcloud’s own settings or its command line over SSH.'
                    : 'If you lost them, set new ones on the server over SSH.'}
                </p>
              )}
            </div>
          ) : null}

          {access?.kubeconfig ? (
            <div>
              <p className="text-sm font-medium text-fg">Kubeconfig</p>
              <p className="mt-0.5 text-sm text-muted">
                The cluster admin’s configuration for <code className="font-mono text-xs">kubectl</code>: keep it as safe as a
                password.
              </p>
              <a
                href={`/api/deployments/${encodeURIComponent(d.id)}/kubeconfig`}
                download={`${d.name}-kubeconfig.yaml`}
                className={buttonClass('secondary', 'md', 'mt-3')}
                data-testid="kubeconfig-download"
              >
                <DownloadIcon className="size-4" />
                Download kubeconfig
              </a>
            </div>
          ) : null}
        </div>
      ) : null}

      <ConfirmDialog
        open={asking}
        onClose={() => setAsking(false)}
        title="Show the credentials now?"
        confirmLabel="Show them"
        tone="primary"
        testId="credentials-dialog"
        onConfirm={async () => {
          try {
            const r = await api.post<{ credentials: Credential[] }>(`/api/deployments/${encodeURIComponent(d.id)}/credentials`)
            setRevealed(r.credentials ?? [])
          } catch (err) {
            if (isApiError(err) && err.status === 409) {
              setGone(sentence(err.message) || 'They were shown already.')
              return
            }
            throw err
          }
        }}
      >
        <p className="flex items-start gap-2">
          <TriangleAlertIcon className="mt-1 size-4 shrink-0 text-amber-600" />
          <span>
            They are shown on this page <strong className="text-fg">once</strong>. Copy them into your password manager
            before you leave it.
          </span>
        </p>
      </ConfirmDialog>
    </Card>
  )
}

/** WorkersCard lists a Kubernetes cluster's workers and changes how many there are. */
export function WorkersCard({ d, onChanged }: { d: Deployment; onChanged: (next: Deployment, message: string) => void }) {
  const workers = d.workers ?? []
  const ready = d.status === 'running'
  // The count the customer is setting; null until they touch it, so it follows the cluster's
  // own count (which the page learns only once the cluster is running, and after a change).
  const [picked, setPicked] = useState<number | null>(null)
  const [asking, setAsking] = useState(false)
  const cards = useApi<CardList>(ready ? '/api/cards' : null)
  const card = cards.data?.items.find((c) => c.is_default) ?? cards.data?.items[0]
  const have = workers.length
  const count = picked ?? Math.max(have, 1)
  useEffect(() => setPicked(null), [have])
  const adding = count > have
  // A change whose prorated charge waits for the bank's authentication (SCA): confirmed on /pay/:id.
  const pending = d.workers_pending
  const min = 1
  const max = 5

  return (
    <Card className="p-5" data-testid="workers-card">
      <div className="flex items-center justify-between gap-3">
        <h2 className="flex items-center gap-2 text-base font-semibold text-fg">
          <LayersIcon className="size-4.5 text-muted" />
          Workers
        </h2>
        <Badge tone="neutral" data-testid="workers-count">
          {have} {have === 1 ? 'worker' : 'workers'}
        </Badge>
      </div>
      {workers.length ? (
        <ul className="mt-4 space-y-2 text-sm">
          {workers.map((w) => (
            <li key={w.name} className="flex items-center justify-between gap-3" data-testid="worker" data-name={w.name}>
              <span className="min-w-0">
                <span className="block truncate font-mono text-fg">{w.name}</span>
                <span className="block text-xs text-muted">node {w.node_id}</span>
              </span>
              <Badge tone={w.status === 'running' || w.status === 'ok' ? 'success' : 'neutral'} dot>
                {w.status}
              </Badge>
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-3 text-sm text-muted">The workers appear once the cluster is running.</p>
      )}
      {ready && pending ? (
        <Alert tone="warning" className="mt-4" title={`${pending.count} workers: confirm the payment`} data-testid="workers-pending">
          Your bank wants to confirm the charge for the new workers before they are added.
          <ButtonLink to={`/pay/${encodeURIComponent(pending.order_id)}`} size="sm" className="mt-3" data-testid="workers-confirm">
            Confirm the payment
          </ButtonLink>
        </Alert>
      ) : ready ? (
        <div className="mt-4 border-t border-border pt-4">
          <p className="text-sm font-medium text-fg" id={`workers-${d.id}`}>
            Change the number of workers
          </p>
          <div className="mt-2 flex items-center gap-2" role="group" aria-labelledby={`workers-${d.id}`}>
            <Button
              variant="secondary"
              size="sm"
              className="w-9 px-0"
              onClick={() => setPicked(Math.max(min, count - 1))}
              disabled={count <= min}
              aria-label="One worker less"
              data-testid="workers-minus"
            >
              <MinusIcon className="size-4" />
            </Button>
            <span className="w-8 text-center text-base font-semibold text-fg tabular-nums" data-testid="workers-target" aria-live="polite">
              {count}
            </span>
            <Button
              variant="secondary"
              size="sm"
              className="w-9 px-0"
              onClick={() => setPicked(Math.min(max, count + 1))}
              disabled={count >= max}
              aria-label="One worker more"
              data-testid="workers-plus"
            >
              <PlusIcon className="size-4" />
            </Button>
            <Button size="sm" className={cx('ml-auto')} disabled={count === have} onClick={() => setAsking(true)} data-testid="workers-apply">
              {count === have ? 'Apply' : adding ? `Add ${count - have}` : `Remove ${have - count}`}
            </Button>
          </div>
          <p className="mt-2 text-xs leading-5 text-muted">
            Adding a worker charges the rest of this period today and raises the renewal; removing one lowers it from the next
            renewal.
          </p>
        </div>
      ) : null}
      <ConfirmDialog
        open={asking}
        onClose={() => setAsking(false)}
        title={adding ? `Add ${count - have} ${count - have === 1 ? 'worker' : 'workers'}?` : `Remove ${have - count} ${have - count === 1 ? 'worker' : 'workers'}?`}
        confirmLabel={adding ? 'Pay and add' : 'Remove'}
        tone={adding ? 'primary' : 'danger'}
        testId="workers-dialog"
        onConfirm={async () => {
          const next = await api.put<Deployment>(`/api/deployments/${encodeURIComponent(d.id)}/workers`, {
            count,
            payment_method: card?.id,
            client_key: newClientKey(),
          })
          const waiting = next.workers_pending
          setPicked(null)
          onChanged(
            next,
            waiting
              ? 'Your bank wants to confirm the charge for the new workers: confirm it below.'
              : adding
              ? `${d.name} now has ${count} workers; the new ones are being added.`
              : `${d.name} now has ${count} ${count === 1 ? 'worker' : 'workers'}; the renewal price drops from the next period.`,
          )
        }}
      >
        {adding ? (
          <p>
            The cluster grows to {count} workers. The rest of this period for the new {count - have === 1 ? 'one' : 'ones'} is
            charged today{card ? ` to ${cardLabel(card)}` : ''}, and each renewal includes {count - have === 1 ? 'it' : 'them'}.
          </p>
        ) : (
          <p>
            The cluster shrinks to {count} {count === 1 ? 'worker' : 'workers'}. Pods on the removed{' '}
            {have - count === 1 ? 'worker are' : 'workers are'} rescheduled and anything stored on{' '}
            {have - count === 1 ? 'its' : 'their'} disks is lost. Your renewal price drops from the next period.
          </p>
        )}
      </ConfirmDialog>
    </Card>
  )
}
