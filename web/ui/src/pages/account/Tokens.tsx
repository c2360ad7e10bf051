import { useState } from 'react'
import { api } from '../../api'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import { CopyButton, DataTable, EmptyState, PageHeader, Panel, Time, useApi, type Column } from '../../components/data'
import { Alert, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { KeyIcon, PlusIcon, TrashIcon } from '../../components/icons'
import { Button, usePageTitle } from '../../components/ui'

interface ApiToken {
  id: string
  name: string
  prefix: string
  created_at: string
  last_used_at: string | null
}

interface CreatedToken {
  id: string
  name: string
  prefix: string
  token: string
}

export function Tokens() {
  usePageTitle('API tokens')
  const list = useApi<{ items: ApiToken[] }>('/api/tokens')
  const [creating, setCreating] = useState(false)
  const [created, setCreated] = useState<CreatedToken | null>(null)
  const [deleting, setDeleting] = useState<ApiToken | null>(null)

  const columns: Column<ApiToken>[] = [
    { header: 'Name', primary: true, cell: (t) => <span className="font-medium">{t.name}</span> },
    {
      header: 'Token',
      cell: (t) => <code className="rounded bg-bg px-1.5 py-0.5 font-mono text-xs text-fg ring-1 ring-border">{t.prefix}…</code>,
    },
    { header: 'Created', cell: (t) => <Time iso={t.created_at} /> },
    { header: 'Last used', cell: (t) => (t.last_used_at ? <Time iso={t.last_used_at} /> : <span className="text-muted">Never</span>) },
    {
      header: '',
      actions: true,
      cell: (t) => (
        <Button size="sm" variant="danger-ghost" onClick={() => setDeleting(t)} aria-label={`Delete token ${t.name}`}>
          <TrashIcon className="size-4" />
          Delete
        </Button>
      ),
    },
  ]

  const newButton = (
    <Button onClick={() => setCreating(true)} data-testid="token-new">
      <PlusIcon className="size-4" />
      New token
    </Button>
  )

  return (
    <div className="space-y-8">
      <PageHeader
        title="API tokens"
        icon={KeyIcon}
        description="Tokens let scripts and tools call the API as you. Send one in the Authorization header; anyone holding it acts with your permissions."
        actions={newButton}
      />

      {created ? (
        <Alert tone="success" title={`Token “${created.name}” created`} data-testid="token-created">
          <p>Copy it now: it is shown only this once.</p>
          <div className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
            <code
              data-testid="token-value"
              className="min-w-0 flex-1 rounded-fd-sm border border-emerald-300 bg-white px-3 py-2 font-mono text-sm break-all text-fg"
            >
              {created.token}
            </code>
            <CopyButton text={created.token} />
          </div>
          <p className="mt-3 text-xs">
            Use it as <code className="font-mono break-all">Authorization: Bearer {created.prefix}…</code>
          </p>
          <Button size="sm" variant="ghost" className="mt-2 -ml-3" onClick={() => setCreated(null)}>
            I have copied it
          </Button>
        </Alert>
      ) : null}

      <Panel>
        <DataTable
          caption="API tokens"
          columns={columns}
          rows={list.data?.items ?? []}
          rowKey={(t) => t.id}
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          empty={
            <EmptyState icon={KeyIcon} title="No API tokens yet" action={newButton}>
              Create a token for each script or tool, named after it, so you can revoke one without breaking the others.
            </EmptyState>
          }
        />
      </Panel>

      <CreateTokenDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(t) => {
          setCreated(t)
          setCreating(false)
          list.reload()
        }}
      />

      <ConfirmDialog
        open={!!deleting}
        onClose={() => setDeleting(null)}
        title="Delete this token?"
        confirmLabel="Delete token"
        onConfirm={async () => {
          if (!deleting) return
          await api.del(`/api/tokens/${encodeURIComponent(deleting.id)}`)
          list.reload()
        }}
      >
        <p>
          Anything using <strong className="text-fg">{deleting?.name}</strong> ({deleting?.prefix}…) stops working at
          once. This cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  )
}

function CreateTokenDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean
  onClose: () => void
  onCreated: (t: CreatedToken) => void
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      flush
      title="New API token"
      description="Name it after the script or tool that will use it."
    >
      <CreateTokenForm onClose={onClose} onCreated={onCreated} />
    </Dialog>
  )
}

function CreateTokenForm({ onClose, onCreated }: { onClose: () => void; onCreated: (t: CreatedToken) => void }) {
  const [name, setName] = useState('')
  const form = useForm(['name'])
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        onCreated(await api.post<CreatedToken>('/api/tokens', { name: name.trim() }))
      })}
    >
      <FormError form={form} />
      <TextField
        label="Name"
        name="name"
        placeholder="e.g. terraform, backup-script"
        autoFocus
        autoComplete="off"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={form.fieldError('name')}
      />
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="token-create">
          Create token
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
