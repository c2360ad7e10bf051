import { useState } from 'react'
import { appName, type AdminApp } from '../../apps'
import { api } from '../../api'
import { specLine, type Catalog } from '../../billing'
import { capabilities, capabilityOf, type Capability, type Offer } from '../../coop'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, Loading, PageHeader, Panel, Time, useApi, type Column } from '../../components/data'
import { Alert, Checkbox, ErrorPanel, FormError, SelectField, SubmitButton, TextArea, TextField, useForm } from '../../components/forms'
import { PlusIcon, StoreIcon, TrashIcon, WrenchIcon } from '../../components/icons'
import { Button, cx, usePageTitle } from '../../components/ui'
import { useBrand } from '../../config'
import { canManageTenant, useSession } from '../../session'
import { useAdmin } from './AdminLayout'

/** Offers: a co-op's specialised products, each tied to a node capability of its pool. */
export function Offers() {
  usePageTitle('Offers')
  const { tenant } = useAdmin()
  const brand = useBrand()
  if (tenant.data && tenant.data.kind !== 'coop') {
    return (
      <div className="space-y-8">
        <PageHeader title="Offers" icon={StoreIcon} />
        <EmptyState icon={StoreIcon} title="Offers are for co-ops" data-testid="offers-not-coop">
          {brand.name} sells machines from its whole pool. Co-op storefronts publish offers tied to what their members’ nodes
          can do: GPUs, HDD storage, bandwidth or certification.
        </EmptyState>
      </div>
    )
  }
  if (!tenant.data) return tenant.error ? <ErrorPanel error={tenant.error} onRetry={tenant.reload} /> : <Loading />
  return <OfferList />
}

function OfferList() {
  const { me } = useSession()
  const manage = canManageTenant(me)
  const list = useApi<{ items: Offer[] }>('/api/admin/offers')
  const catalog = useApi<Catalog>('/api/catalog')
  const [editing, setEditing] = useState<Offer | 'new' | null>(null)
  const [removing, setRemoving] = useState<Offer | null>(null)
  const [notice, setNotice] = useState('')
  const sizeName = (id: string) => catalog.data?.sizes.find((s) => s.id === id)?.name ?? id

  const columns: Column<Offer>[] = [
    {
      header: 'Offer',
      primary: true,
      cell: (o) => (
        <div className="min-w-0">
          <p className="flex flex-wrap items-center gap-2 font-medium break-words text-fg">
            {o.name}
            <Badge tone={o.published ? 'success' : 'neutral'}>{o.published ? 'On the storefront' : 'Draft'}</Badge>
          </p>
          {o.description ? <p className="mt-0.5 line-clamp-2 text-sm text-muted">{o.description}</p> : null}
          <p className="mt-0.5 text-xs text-muted">
            Changed <Time iso={o.updated_at} />
          </p>
        </div>
      ),
    },
    {
      header: 'Runs on',
      cell: (o) => (
        <div className="space-y-1">
          <Badge tone="primary">{capabilityOf(o.capability)?.label ?? o.capability}</Badge>
          {o.app ? (
            <p className="text-xs font-medium text-fg" data-testid="offer-app">
              Sells {appName(o.app)}
            </p>
          ) : null}
          <p className="text-xs text-muted">{o.sizes.length ? o.sizes.map(sizeName).join(', ') : 'Every size'}</p>
        </div>
      ),
    },
    {
      header: 'Nodes now',
      cell: (o) => (
        <span className={cx('text-sm whitespace-nowrap tabular-nums', o.available_nodes === 0 && 'font-medium text-red-700 dark:text-red-400')}>
          {o.available_nodes} {o.available_nodes === 1 ? 'node' : 'nodes'}
        </span>
      ),
    },
    ...(manage
      ? [
          {
            header: '',
            actions: true,
            cell: (o: Offer) => (
              <div className="flex gap-1 sm:justify-end">
                <Button size="sm" variant="ghost" onClick={() => setEditing(o)} data-testid="offer-edit">
                  <WrenchIcon className="size-4" />
                  Edit
                </Button>
                <Button size="sm" variant="danger-ghost" onClick={() => setRemoving(o)} aria-label={`Delete ${o.name}`} data-testid="offer-delete">
                  <TrashIcon className="size-4" />
                  Delete
                </Button>
              </div>
            ),
          },
        ]
      : []),
  ]

  const addButton = manage ? (
    <Button onClick={() => setEditing('new')} data-testid="offer-add">
      <PlusIcon className="size-4" />
      New offer
    </Button>
  ) : null

  return (
    <div className="space-y-8">
      <PageHeader
        title="Offers"
        icon={StoreIcon}
        description="Specialised products on your storefront’s home page. An order from an offer runs only on pool nodes with its capability, in the sizes you choose."
        actions={addButton}
      />
      {notice ? (
        <Alert tone="success" data-testid="offer-notice">
          {notice}
        </Alert>
      ) : null}
      {!manage ? <Alert tone="info">Your support role can see the offers but not change them.</Alert> : null}
      <Panel>
        <DataTable
          caption="Offers"
          columns={columns}
          rows={list.data?.items ?? []}
          rowKey={(o) => o.id}
          rowProps={(o) => ({ 'data-testid': 'offer-row', 'data-name': o.name })}
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          empty={
            <EmptyState icon={StoreIcon} title="No offers yet" action={addButton}>
              Publish what your members’ nodes are good at — GPU machines, HDD storage for QSFS swarms, high-bandwidth or
              certified nodes — and customers find it on your home page.
            </EmptyState>
          }
        />
      </Panel>
      <Panel title="Capabilities" description="What an offer can promise, and how a node qualifies.">
        <dl className="divide-y divide-border">
          {capabilities.map((c) => (
            <div key={c.id} className="flex flex-col gap-1 px-4 py-3.5 sm:flex-row sm:gap-6 sm:px-5">
              <dt className="w-48 shrink-0 text-sm font-semibold text-fg">{c.label}</dt>
              <dd className="text-sm text-muted">{c.description}</dd>
            </div>
          ))}
        </dl>
      </Panel>

      <Dialog
        open={!!editing}
        onClose={() => setEditing(null)}
        flush
        title={editing === 'new' ? 'New offer' : 'Edit offer'}
        description="Customers see the name and description on your home page; the capability decides which nodes can run it."
        testId="offer-dialog"
      >
        {editing ? (
          <OfferForm
            offer={editing === 'new' ? null : editing}
            catalog={catalog.data ?? null}
            onClose={() => setEditing(null)}
            onDone={(o, created) => {
              setEditing(null)
              setNotice(created ? `${o.name} is ${o.published ? 'on your storefront' : 'saved as a draft'}.` : `${o.name} was saved.`)
              list.reload()
            }}
          />
        ) : null}
      </Dialog>

      <ConfirmDialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        title="Delete this offer?"
        confirmLabel="Delete offer"
        onConfirm={async () => {
          if (!removing) return
          await api.del(`/api/admin/offers/${encodeURIComponent(removing.id)}`)
          setNotice(`${removing.name} was deleted.`)
          list.reload()
        }}
      >
        <p>
          <strong className="text-fg">{removing?.name}</strong> leaves your storefront. Machines already ordered from it keep
          running on the nodes they were placed on.
        </p>
      </ConfirmDialog>
    </div>
  )
}

function OfferForm({
  offer,
  catalog,
  onClose,
  onDone,
}: {
  offer: Offer | null
  catalog: Catalog | null
  onClose: () => void
  onDone: (o: Offer, created: boolean) => void
}) {
  const [name, setName] = useState(offer?.name ?? '')
  const [description, setDescription] = useState(offer?.description ?? '')
  const [capability, setCapability] = useState<Capability>(offer?.capability ?? 'gpu')
  const [sizes, setSizes] = useState<string[]>(offer?.sizes ?? [])
  const [published, setPublished] = useState(offer?.published ?? true)
  const [app, setApp] = useState<string>(offer?.app ?? '')
  const apps = useApi<{ apps: AdminApp[] }>('/api/admin/apps')
  const form = useForm(['name', 'description', 'capability', 'sizes', 'app'])
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        const body = { name: name.trim(), description: description.trim(), capability, sizes, published, app }
        const o = offer
          ? await api.put<Offer>(`/api/admin/offers/${encodeURIComponent(offer.id)}`, body)
          : await api.post<Offer>('/api/admin/offers', body)
        onDone(o, !offer)
      })}
    >
      <FormError form={form} />
      <TextField
        label="Name"
        name="name"
        autoFocus
        maxLength={60}
        placeholder="GPU machines"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={form.fieldError('name')}
      />
      <TextArea
        label="Description"
        name="description"
        optional
        rows={3}
        maxLength={500}
        placeholder="NVIDIA cards on our members’ nodes, for inference and rendering."
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={form.fieldError('description')}
      />
      <fieldset>
        <legend className="mb-1.5 text-sm font-medium text-fg">Runs on</legend>
        <div className="grid gap-2 sm:grid-cols-2">
          {capabilities.map((c) => (
            <label
              key={c.id}
              className={cx(
                'flex cursor-pointer gap-3 rounded-fd-sm border p-3.5 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
                capability === c.id ? 'border-primary bg-primary/5' : 'border-border hover:border-primary/40',
              )}
            >
              <input
                type="radio"
                name="capability"
                value={c.id}
                checked={capability === c.id}
                onChange={() => setCapability(c.id)}
                className="mt-0.5 size-4 shrink-0 accent-[var(--fd-primary)] focus:outline-none"
                data-testid={`offer-capability-${c.id}`}
              />
              <span>
                <span className="block text-sm font-semibold text-fg">{c.label}</span>
                <span className="mt-0.5 block text-xs text-muted">{c.description}</span>
              </span>
            </label>
          ))}
        </div>
        {form.fieldError('capability') ? (
          <p data-testid="field-error-capability" className="mt-1.5 text-sm text-red-700 dark:text-red-400">
            {form.fieldError('capability')}
          </p>
        ) : null}
      </fieldset>
      <SelectField
        label="Sells"
        name="app"
        value={app}
        onChange={(e) => setApp(e.target.value)}
        hint="An app runs on the offer's nodes with the app's own form and price lines, e.g. Open WebUI on GPU nodes."
        error={form.fieldError('app')}
        data-testid="offer-app-select"
      >
        <option value="">Plain VMs</option>
        {(apps.data?.apps ?? [])
          .filter((a) => a.key !== 'vm')
          .map((a) => (
            <option key={a.key} value={a.key}>
              {a.name}
              {a.enabled ? '' : ' (not on sale)'}
            </option>
          ))}
        {app && !apps.data?.apps.some((a) => a.key === app) ? <option value={app}>{appName(app)}</option> : null}
      </SelectField>
      {app ? null : (
      <fieldset>
        <legend className="text-sm font-medium text-fg">Sizes</legend>
        <p className="mb-2 text-sm text-muted">Leave all unticked to offer every size.</p>
        <div className="grid gap-2 sm:grid-cols-2">
          {(catalog?.sizes ?? []).map((z) => (
            <Checkbox
              key={z.id}
              label={z.name}
              description={specLine(z)}
              checked={sizes.includes(z.id)}
              onChange={(e) => setSizes((s) => (e.target.checked ? [...s, z.id] : s.filter((x) => x !== z.id)))}
              data-testid={`offer-size-${z.id}`}
            />
          ))}
        </div>
        {form.fieldError('sizes') ? (
          <p data-testid="field-error-sizes" className="mt-1.5 text-sm text-red-700 dark:text-red-400">
            {form.fieldError('sizes')}
          </p>
        ) : null}
      </fieldset>
      )}
      <Checkbox
        label="Show on the storefront"
        description="Untick to keep it as a draft."
        checked={published}
        onChange={(e) => setPublished(e.target.checked)}
      />
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="offer-submit">
          {offer ? 'Save offer' : 'Publish offer'}
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
