import { useState } from 'react'
import { api } from '../../api'
import { AppMark, type AdminApp, type AppsDomain } from '../../apps'
import { bpsInput, money, parsePct, pct, type Pricing } from '../../billing'
import { Badge, EmptyState, PageHeader, Panel, useApi } from '../../components/data'
import { Alert, FieldError, inputClass, useForm } from '../../components/forms'
import { LayoutIcon } from '../../components/icons'
import { Button, cx, usePageTitle } from '../../components/ui'
import { canManageTenant, useSession } from '../../session'
import { Switch } from '../deploy/parts'

const blurbs: Record<string, string> = {
  vm: 'Plain servers: the sizes and prices of the Pricing page.',
  kubernetes: 'A k3s cluster: a control plane and 1 to 5 workers, kubeconfig download, workers added or removed later.',
  nextcloud: 'Files and calendars on a VM with a data disk, behind an HTTPS gateway name.',
  openwebui: 'AI chat with a local model server on a rented GPU node, behind an HTTPS gateway name.',
  livekit: 'Video conferencing on a VM with public IPv4 and the ports WebRTC needs.',
}

/**
 * AdminApps: which apps the storefront sells (GET/PUT /api/admin/apps) and each one's
 * margin: blank follows the storefront's price rule, a percentage overrides it for that
 * app. The "from" price is the server's, under the margin in force.
 */
export function AdminApps() {
  usePageTitle('Apps')
  const { me } = useSession()
  const manage = canManageTenant(me)
  const list = useApi<{ apps: AdminApp[] }>('/api/admin/apps')
  const pricing = useApi<Pricing>('/api/admin/pricing')
  const [notice, setNotice] = useState('')
  const rule = pricing.data?.rule
  const ruleLabel = rule ? (rule.mode === 'margin' ? `${pct(rule.margin_bps)} margin` : 'fixed size prices') : 'your price rule'
  const currency = pricing.data?.currency ?? 'usd'
  const apps = list.data?.apps ?? []

  return (
    <div className="space-y-8">
      <PageHeader
        title="Apps"
        icon={LayoutIcon}
        description={`What your storefront's Apps page sells. Each app is priced from its grid cost under ${ruleLabel}, one line per part (VMs, workers, disks, IPv4, gateway name); give an app a margin of its own to price it differently.`}
      />
      {notice ? (
        <Alert tone="success" data-testid="apps-notice">
          {notice}
        </Alert>
      ) : null}
      {!manage ? <Alert tone="info">Your support role can see the apps but not change them.</Alert> : null}
      <Panel title="Catalog" description="Customers see enabled apps in this order, the virtual machine first.">
        {list.error || (list.loading && !apps.length) ? (
          <EmptyState icon={LayoutIcon} title={list.error ? 'The apps could not be loaded' : 'Loading the apps…'}>
            {list.error ? (
              <Button variant="secondary" onClick={list.reload}>
                Try again
              </Button>
            ) : null}
          </EmptyState>
        ) : (
          <ul className="divide-y divide-border" data-testid="admin-apps">
            {apps.map((a) => (
              <AppRow
                key={a.key}
                app={a}
                currency={currency}
                ruleLabel={ruleLabel}
                ruleMargin={rule?.mode === 'margin' ? bpsInput(rule.margin_bps) : ''}
                manage={manage}
                onSaved={(next) => {
                  setNotice(
                    `${next.name} ${next.enabled ? 'is on sale' : 'is no longer sold'}${
                      next.margin_bps === null ? `, at ${ruleLabel}` : `, at a ${pct(next.margin_bps)} margin`
                    }.`,
                  )
                  list.reload()
                }}
              />
            ))}
          </ul>
        )}
      </Panel>
      <AppsDomainPanel manage={manage} onSaved={setNotice} />
    </div>
  )
}

/**
 * AppsDomainPanel: the storefront's apps domain (GET/PUT /api/admin/apps-domain). With one,
 * new web apps answer at https://<name>.<domain> through an FQDN gateway on the chosen
 * gateway node (no gateway name to pay for); the wildcard DNS record must point there first.
 */
function AppsDomainPanel({ manage, onSaved }: { manage: boolean; onSaved: (msg: string) => void }) {
  const cur = useApi<AppsDomain>('/api/admin/apps-domain')
  const [domain, setDomain] = useState<string | null>(null)
  const [node, setNode] = useState<number | null>(null)
  const form = useForm(['domain', 'gateway_node'])
  const nodes = cur.data?.gateway_nodes ?? []
  const d = domain ?? cur.data?.domain ?? ''
  const n = node ?? (cur.data?.gateway_node || nodes[0]?.id || 0)
  const target = nodes.find((x) => x.id === n)?.domain ?? cur.data?.dns_target ?? ''
  const shown = d.trim().replace(/^\*\./, '').replace(/\.$/, '').toLowerCase()
  return (
    <Panel
      title="Apps domain"
      description="Give your web apps (Nextcloud, Open WebUI, LiveKit) addresses under your own domain: new orders answer at https://<deployment name>.<your domain> through a gateway node you pick, with no gateway name to pay for. Leave it empty to use the grid's gateway names. Existing deployments keep their addresses."
    >
      <form
        ref={form.formRef}
        noValidate
        className="grid gap-4 px-4 py-5 sm:px-5 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)_auto] lg:items-end"
        data-testid="apps-domain"
        onSubmit={form.submit(async () => {
          const next = await api.put<AppsDomain>('/api/admin/apps-domain', { domain: d, gateway_node: n })
          setDomain(null)
          setNode(null)
          cur.reload()
          onSaved(next.domain ? `Web apps now answer under ${next.domain}.` : 'Web apps use the grid\'s gateway names again.')
        })}
      >
        <div>
          <label htmlFor="apps-domain-input" className="text-sm font-medium text-fg">
            Domain
          </label>
          <input
            id="apps-domain-input"
            name="domain"
            value={d}
            disabled={!manage}
            placeholder="apps.example.com"
            onChange={(e) => setDomain(e.target.value)}
            aria-invalid={form.fieldError('domain') ? true : undefined}
            className={inputClass(!!form.fieldError('domain'), 'mt-1.5 h-10')}
            data-testid="apps-domain-input"
          />
          {form.fieldError('domain') ? <FieldError id="apps-domain-error" name="domain">{form.fieldError('domain')}</FieldError> : null}
        </div>
        <div>
          <label htmlFor="apps-domain-node" className="text-sm font-medium text-fg">
            Gateway node
          </label>
          <select
            id="apps-domain-node"
            name="gateway_node"
            value={n}
            disabled={!manage}
            onChange={(e) => setNode(Number(e.target.value))}
            className={inputClass(!!form.fieldError('gateway_node'), 'mt-1.5 h-10')}
            data-testid="apps-domain-node"
          >
            {nodes.map((x) => (
              <option key={x.id} value={x.id}>
                Node {x.id} · {x.domain}
                {x.country ? ` · ${x.country}` : ''}
              </option>
            ))}
          </select>
          {form.fieldError('gateway_node') ? (
            <FieldError id="apps-domain-node-error" name="gateway_node">{form.fieldError('gateway_node')}</FieldError>
          ) : null}
        </div>
        <div className={cx(!manage && 'hidden')}>
          <Button type="submit" size="sm" busy={form.busy} data-testid="apps-domain-save">
            Save
          </Button>
        </div>
        {shown ? (
          <p className="text-sm text-muted lg:col-span-3" data-testid="apps-domain-record">
            At your DNS provider, create the record{' '}
            <code className="font-mono text-fg">*.{shown}</code> as a CNAME to{' '}
            <code className="font-mono text-fg">{target || 'the gateway node'}</code> (or an A record
            to the same address), then save.
          </p>
        ) : null}
        {form.formError ? (
          <Alert tone="error" className="lg:col-span-3">
            {form.formError.message}
          </Alert>
        ) : null}
      </form>
    </Panel>
  )
}

function AppRow({
  app,
  currency,
  ruleLabel,
  ruleMargin,
  manage,
  onSaved,
}: {
  app: AdminApp
  currency: string
  ruleLabel: string
  /** The price rule's margin as the input would show it ('' in fixed-price mode). */
  ruleMargin: string
  manage: boolean
  onSaved: (a: AdminApp) => void
}) {
  const [enabled, setEnabled] = useState(app.enabled)
  const [margin, setMargin] = useState(app.margin_bps === null ? '' : bpsInput(app.margin_bps))
  const form = useForm(['enabled', 'margin_bps'])
  const marginBps = margin.trim() === '' ? null : parsePct(margin)
  const badMargin = marginBps !== null && Number.isNaN(marginBps)
  const dirty = enabled !== app.enabled || marginBps !== app.margin_bps
  const marginError = form.fieldError('margin_bps') ?? (badMargin ? 'A percentage, like 25 or 12.5.' : undefined)
  const inputId = `margin-${app.key}`

  return (
    <li className="px-4 py-5 sm:px-5" data-testid="admin-app" data-app={app.key} data-enabled={app.enabled ? 'true' : 'false'}>
      <form
        ref={form.formRef}
        noValidate
        className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_auto_auto_auto] lg:items-center lg:gap-6"
        onSubmit={form.submit(async () => {
          if (badMargin) return
          const next = await api.put<AdminApp>(`/api/admin/apps/${encodeURIComponent(app.key)}`, { enabled, margin_bps: marginBps })
          onSaved(next)
        })}
      >
        <div className="flex min-w-0 items-start gap-3">
          <AppMark app={app.key} className="size-10" />
          <div className="min-w-0">
            <p className="flex flex-wrap items-center gap-2 font-semibold text-fg">
              {app.name}
              <Badge tone={app.enabled ? 'success' : 'neutral'} data-testid="admin-app-state">
                {app.enabled ? 'On sale' : 'Not sold'}
              </Badge>
            </p>
            <p className="mt-0.5 text-sm text-muted">{blurbs[app.key] ?? ''}</p>
            <p className="mt-1 text-sm text-fg" data-testid="admin-app-from">
              <span className="text-muted">From </span>
              <span className="font-semibold">{money(app.from_monthly_cents, currency)}</span>
              <span className="text-muted"> / month</span>
            </p>
          </div>
        </div>
        <div className="lg:w-40">
          <Switch
            name={`enabled-${app.key}`}
            checked={enabled}
            onChange={(on) => {
              if (manage) setEnabled(on)
            }}
            label="Sell it"
            description={enabled ? 'On the Apps page' : 'Hidden'}
          />
        </div>
        <div className="lg:w-48">
          <label htmlFor={inputId} className="text-sm font-medium text-fg">
            Margin
          </label>
          <div className="relative mt-1.5">
            <input
              id={inputId}
              name="margin_bps"
              inputMode="decimal"
              value={margin}
              disabled={!manage}
              onChange={(e) => setMargin(e.target.value)}
              placeholder={ruleMargin}
              aria-invalid={marginError ? true : undefined}
              aria-describedby={marginError ? `${inputId}-error` : `${inputId}-hint`}
              data-testid="admin-app-margin"
              className={inputClass(!!marginError, 'h-10 pr-8')}
            />
            <span className="pointer-events-none absolute inset-y-0 right-3 flex items-center text-sm text-muted">%</span>
          </div>
          {marginError ? (
            <FieldError id={`${inputId}-error`} name="margin_bps">
              {marginError}
            </FieldError>
          ) : (
            <p id={`${inputId}-hint`} className="mt-1 text-xs text-muted">
              Blank: {ruleLabel}
            </p>
          )}
        </div>
        <div className={cx('flex items-center gap-2', !manage && 'hidden')}>
          <Button type="submit" size="sm" busy={form.busy} disabled={!dirty || badMargin} data-testid="admin-app-save">
            Save
          </Button>
        </div>
        {form.formError ? (
          <Alert tone="error" className="lg:col-span-4">
            {form.formError.message}
          </Alert>
        ) : null}
      </form>
    </li>
  )
}
