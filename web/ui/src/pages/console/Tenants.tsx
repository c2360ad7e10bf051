import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { api } from '../../api'
import { money } from '../../billing'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, PageHeader, Pager, Panel, usePaged, type Column } from '../../components/data'
import { Alert, FormError, SubmitButton, TextArea, TextField, useForm } from '../../components/forms'
import { BuildingIcon, ExternalLinkIcon, PauseCircleIcon, PlayCircleIcon, PlusIcon } from '../../components/icons'
import { FilterTabs } from '../../components/tabs'
import { Button, cx, usePageTitle } from '../../components/ui'
import {
  baseHost,
  kindLabels,
  slugify,
  statusLabels,
  statusTone,
  storefrontURL,
  type ConsoleTenant,
  type TenantKind,
  type TenantRecord,
  type TenantStatus,
} from '../../tenancy'
import { ReasonForm } from './ReasonForm'

type Filter = '' | TenantStatus

const filters: Array<{ id: Filter; label: string }> = [
  { id: '', label: 'All' },
  { id: 'active', label: 'Active' },
  { id: 'pending', label: 'Pending' },
  { id: 'suspended', label: 'Suspended' },
]

const emptyText: Record<Filter, string> = {
  '': 'Create the first storefront, or approve an application from a would-be operator.',
  active: 'No storefront is open right now.',
  pending: 'Storefronts waiting for approval appear here.',
  suspended: 'No storefront is suspended.',
}

/** healthTone colours a Stripe or wallet health word: good, unknown or needing attention. */
function healthTone(h: string) {
  const v = h.toLowerCase()
  if (!v || v.includes('not ') || v === 'unknown') return 'neutral'
  if (['ok', 'healthy', 'connected', 'active', 'good', 'platform account'].includes(v)) return 'success'
  if (['failing', 'restricted', 'disabled', 'empty', 'critical'].some((w) => v.includes(w))) return 'danger'
  return 'warning'
}

function Health({ value }: { value: string }) {
  const label = value ? value.charAt(0).toUpperCase() + value.slice(1) : 'Unknown'
  return (
    <Badge tone={healthTone(value)} dot>
      {label}
    </Badge>
  )
}

type Action = { kind: 'suspend' | 'activate'; tenant: ConsoleTenant }

export function Tenants() {
  usePageTitle('Tenants')
  const [params, setParams] = useSearchParams()
  const raw = params.get('status') ?? ''
  const status: Filter = filters.some((f) => f.id === raw) ? (raw as Filter) : ''
  const paged = usePaged<ConsoleTenant>(`/api/console/tenants${status ? `?status=${status}` : ''}`)
  const [creating, setCreating] = useState(false)
  const [action, setAction] = useState<Action | null>(null)
  const [notice, setNotice] = useState('')

  const columns: Column<ConsoleTenant>[] = [
    {
      header: 'Tenant',
      primary: true,
      cell: (t) => (
        <span className="flex min-w-0 flex-col gap-0.5">
          <span className="font-medium break-words text-fg">{t.name}</span>
          <span className="flex flex-wrap items-center gap-x-3 gap-y-0.5 text-xs">
            <span className="font-mono text-muted">{t.slug}</span>
            {t.status === 'active' ? (
              <a
                href={storefrontURL(t.slug)}
                target="_blank"
                rel="noopener"
                className="inline-flex items-center gap-1 rounded-sm font-medium text-primary hover:underline"
                data-testid="tenant-open"
              >
                Open storefront
                <ExternalLinkIcon className="size-3.5" />
                <span className="sr-only">(opens in a new tab)</span>
              </a>
            ) : null}
          </span>
          {t.status === 'suspended' && t.suspended_reason ? (
            <span className="text-xs text-muted">Suspended: “{t.suspended_reason}”</span>
          ) : null}
        </span>
      ),
    },
    { header: 'Type', cell: (t) => <Badge tone={t.kind === 'coop' ? 'primary' : 'neutral'}>{kindLabels[t.kind] ?? t.kind}</Badge> },
    {
      header: 'Status',
      cell: (t) => (
        <Badge tone={statusTone(t.status)} dot data-testid="tenant-status">
          {statusLabels[t.status] ?? t.status}
        </Badge>
      ),
    },
    {
      header: 'Gross · net (month)',
      className: 'tabular-nums',
      cell: (t) => (
        <span
          className={t.revenue_month_cents > 0 ? undefined : 'text-muted'}
          title="Gross: what customers paid for orders this month. Net: gross − Stripe fees − platform fees − refunds − credits − disputes (the tenant's overview shows the same)."
        >
          <span data-testid="tenant-revenue" data-cents={t.revenue_month_cents}>
            {money(t.revenue_month_cents, t.base_currency)}
          </span>
          <span className="block text-xs text-muted" data-testid="tenant-net" data-cents={t.net_month_cents ?? 0}>
            net {money(t.net_month_cents ?? 0, t.base_currency)}
          </span>
        </span>
      ),
    },
    {
      header: 'Servers',
      className: 'tabular-nums',
      cell: (t) => (
        <span data-testid="tenant-deployments" className={t.deployments > 0 ? undefined : 'text-muted'}>
          {t.deployments}
        </span>
      ),
    },
    { header: 'Domains', className: 'tabular-nums', cell: (t) => (t.domains > 0 ? t.domains : <span className="text-muted">0</span>) },
    { header: 'Stripe', cell: (t) => <Health value={t.stripe_health} /> },
    {
      header: 'Wallet',
      cell: (t) => (
        <span
          className="flex min-w-0 flex-col items-start gap-1"
          data-testid="tenant-wallet-health"
          data-health={t.wallet_health}
          title={t.wallet_note || undefined}
        >
          <Health value={t.wallet_health} />
          {t.wallet_note && t.wallet_health !== 'healthy' ? (
            <span className="line-clamp-2 max-w-56 text-xs text-muted" data-testid="tenant-wallet-note">
              {t.wallet_note}
            </span>
          ) : null}
        </span>
      ),
    },
    {
      header: '',
      actions: true,
      cell: (t) =>
        t.status === 'active' ? (
          <Button
            size="sm"
            variant="danger-ghost"
            onClick={() => setAction({ kind: 'suspend', tenant: t })}
            aria-label={`Suspend ${t.name}`}
            data-testid="tenant-suspend"
          >
            <PauseCircleIcon className="size-4" />
            Suspend
          </Button>
        ) : (
          <Button
            size="sm"
            variant={t.status === 'pending' ? 'primary' : 'secondary'}
            onClick={() => setAction({ kind: 'activate', tenant: t })}
            aria-label={`${t.status === 'pending' ? 'Approve' : 'Reactivate'} ${t.name}`}
            data-testid="tenant-activate"
          >
            <PlayCircleIcon className="size-4" />
            {t.status === 'pending' ? 'Approve' : 'Reactivate'}
          </Button>
        ),
    },
  ]

  const newButton = (
    <Button onClick={() => setCreating(true)} data-testid="tenant-new">
      <PlusIcon className="size-4" />
      New tenant
    </Button>
  )

  const done = (msg: string) => {
    setAction(null)
    setNotice(msg)
    paged.reload()
  }

  return (
    <div className="space-y-8">
      <PageHeader
        title="Tenants"
        icon={BuildingIcon}
        description="Every storefront on the platform, with its status and the health of its Stripe account and wallet. Suspending one shows a maintenance page and stops new orders; running VMs keep running."
        actions={newButton}
      />

      <FilterTabs
        label="Tenant status"
        tabs={filters}
        value={status}
        onChange={(id) => {
          setNotice('')
          setParams(id ? { status: id } : {}, { replace: true })
        }}
      />

      {notice ? (
        <Alert tone="success" data-testid="tenants-notice">
          {notice}
        </Alert>
      ) : null}

      <Panel role="tabpanel" aria-label={`${filters.find((f) => f.id === status)?.label} tenants`}>
        <DataTable
          caption="Tenants"
          columns={columns}
          rows={paged.items}
          rowKey={(t) => t.id}
          rowProps={(t) => ({ 'data-testid': 'tenant-row', 'data-slug': t.slug, 'data-status': t.status })}
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          empty={
            <EmptyState icon={BuildingIcon} title={status ? `No ${status} tenants` : 'No tenants yet'} action={status ? undefined : newButton}>
              {emptyText[status]}
            </EmptyState>
          }
        />
        <Pager paged={paged} noun="tenants" />
      </Panel>

      <Dialog
        open={creating}
        onClose={() => setCreating(false)}
        flush
        size="lg"
        title="New tenant"
        description="The storefront opens at once. Its owner gets an e-mail with a link to set a password and finish the setup."
        testId="tenant-dialog"
      >
        <CreateForm
          onClose={() => setCreating(false)}
          onDone={(t, email) => {
            setCreating(false)
            setNotice(`${t.name} is open at ${t.slug}.${baseHost()}. An invitation was sent to ${email}.`)
            paged.reset()
            paged.reload()
          }}
        />
      </Dialog>

      <Dialog
        open={action?.kind === 'suspend'}
        onClose={() => setAction(null)}
        flush
        title={`Suspend ${action?.tenant.name ?? ''}?`}
        description="Its storefront shows a maintenance page and takes no new orders. Running VMs keep running and renewing. You can reactivate it at any time."
        testId="suspend-dialog"
      >
        {action?.kind === 'suspend' ? (
          <ReasonForm
            onClose={() => setAction(null)}
            submitLabel="Suspend storefront"
            placeholder="e.g. Unpaid platform fees since March"
            hint="Kept with the tenant and in the audit log."
            onSubmit={async (reason) => {
              await api.post(`/api/console/tenants/${encodeURIComponent(action.tenant.id)}/suspend`, { reason })
              done(`${action.tenant.name} is suspended. Its storefront shows the maintenance page.`)
            }}
          />
        ) : null}
      </Dialog>

      <ConfirmDialog
        open={action?.kind === 'activate'}
        onClose={() => setAction(null)}
        tone="primary"
        title={action?.tenant.status === 'pending' ? `Approve ${action.tenant.name}?` : `Reactivate ${action?.tenant.name ?? ''}?`}
        confirmLabel={action?.tenant.status === 'pending' ? 'Approve' : 'Reactivate'}
        onConfirm={async () => {
          if (!action) return
          await api.post(`/api/console/tenants/${encodeURIComponent(action.tenant.id)}/activate`, {})
          done(`${action.tenant.name} is active. Its storefront takes orders again.`)
        }}
      >
        <p>
          The storefront at <strong className="font-mono text-fg">{action?.tenant.slug}.{baseHost()}</strong> opens to
          visitors and takes new orders.
        </p>
        {action?.tenant.suspended_reason ? <p>It was suspended because: “{action.tenant.suspended_reason}”.</p> : null}
      </ConfirmDialog>
    </div>
  )
}

function CreateForm({ onClose, onDone }: { onClose: () => void; onDone: (t: TenantRecord, ownerEmail: string) => void }) {
  const [name, setName] = useState('')
  const [slug, setSlug] = useState('')
  const [slugTouched, setSlugTouched] = useState(false)
  const [kind, setKind] = useState<TenantKind>('operator')
  const [pitch, setPitch] = useState('')
  const [owner, setOwner] = useState('')
  const form = useForm(['name', 'slug', 'kind', 'pitch', 'owner_email'])
  const shownSlug = slugTouched ? slug : slugify(name)

  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        const t = await api.post<TenantRecord>('/api/console/tenants', {
          name: name.trim(),
          slug: shownSlug.trim(),
          kind,
          pitch: pitch.trim(),
          owner_email: owner.trim(),
        })
        onDone(t, owner.trim())
      })}
    >
      <FormError form={form} />
      <div className="grid gap-5 sm:grid-cols-2">
        <TextField
          label="Name"
          name="name"
          autoFocus
          autoComplete="off"
          maxLength={100}
          placeholder="e.g. Nordic Nodes"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={form.fieldError('name')}
        />
        <TextField
          label="Address"
          name="slug"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          maxLength={63}
          value={shownSlug}
          onChange={(e) => {
            setSlugTouched(true)
            setSlug(e.target.value.toLowerCase())
          }}
          hint={
            <>
              Lowercase letters, digits and hyphens:{' '}
              <span className="font-mono break-all text-fg">
                {shownSlug || 'name'}.{baseHost()}
              </span>
            </>
          }
          error={form.fieldError('slug')}
        />
      </div>
      <KindChoice value={kind} onChange={setKind} error={form.fieldError('kind')} />
      <TextArea
        label="Pitch"
        name="pitch"
        optional
        rows={2}
        maxLength={200}
        placeholder="One line under the name on the storefront’s home page"
        value={pitch}
        onChange={(e) => setPitch(e.target.value)}
        hint="The owner can change it later."
        error={form.fieldError('pitch')}
      />
      <TextField
        label="Owner’s e-mail"
        name="owner_email"
        type="email"
        inputMode="email"
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        value={owner}
        onChange={(e) => setOwner(e.target.value)}
        hint="They get the owner role and an e-mail to set their password; owners must set up two-factor authentication."
        error={form.fieldError('owner_email')}
      />
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="tenant-create">
          Create tenant
        </SubmitButton>
      </DialogActions>
    </form>
  )
}

export const kindChoices: Array<{ id: TenantKind; label: string; description: string }> = [
  {
    id: 'operator',
    label: 'Dashboard operator',
    description: 'One business runs the storefront and keeps its revenue.',
  },
  {
    id: 'coop',
    label: 'Co-op',
    description: 'Several node and dashboard operators share the storefront and split its revenue.',
  },
]

export function KindChoice({
  value,
  onChange,
  error,
  legend = 'Type',
}: {
  value: TenantKind
  onChange: (k: TenantKind) => void
  error?: string
  legend?: string
}) {
  return (
    <fieldset aria-describedby={error ? 'kind-error' : undefined}>
      <legend className="mb-1.5 text-sm font-medium text-fg">{legend}</legend>
      <div className="grid gap-2 sm:grid-cols-2">
        {kindChoices.map((k) => (
          <label
            key={k.id}
            data-testid={`kind-${k.id}`}
            className={cx(
              'flex cursor-pointer gap-3 rounded-fd-sm border p-3.5 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
              value === k.id ? 'border-primary bg-primary/5' : 'border-border hover:border-primary/40',
            )}
          >
            <input
              type="radio"
              name="kind"
              value={k.id}
              checked={value === k.id}
              onChange={() => onChange(k.id)}
              className="mt-0.5 size-4 shrink-0 accent-[var(--fd-primary)] focus:outline-none"
            />
            <span>
              <span className="block text-sm font-semibold text-fg">{k.label}</span>
              <span className="mt-0.5 block text-sm text-muted">{k.description}</span>
            </span>
          </label>
        ))}
      </div>
      {error ? (
        <p id="kind-error" data-testid="field-error-kind" className="mt-1.5 text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </fieldset>
  )
}
