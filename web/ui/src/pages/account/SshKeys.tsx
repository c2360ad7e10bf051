import { useState, type ReactNode } from 'react'
import { api } from '../../api'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, PageHeader, Panel, Time, useApi, type Column } from '../../components/data'
import { Alert, FormError, SubmitButton, TextArea, TextField, useForm } from '../../components/forms'
import { KeyIcon, PlusIcon, TrashIcon } from '../../components/icons'
import { Button, usePageTitle } from '../../components/ui'
import { checkSSHKey } from '../../deployments'
import { keyComment, keyKind, type SSHKey } from '../../sshkeys'

/** SshKeys is Account → SSH keys: the public keys a customer reuses on new servers. */
export function SshKeys() {
  usePageTitle('SSH keys')
  const list = useApi<{ items: SSHKey[] }>('/api/account/ssh-keys')
  const [adding, setAdding] = useState(false)
  const [deleting, setDeleting] = useState<SSHKey | null>(null)
  const [notice, setNotice] = useState<ReactNode>(null)

  const columns: Column<SSHKey>[] = [
    {
      header: 'Key',
      primary: true,
      cell: (k) => (
        <span className="flex min-w-0 flex-col" data-testid="ssh-key-row" data-name={k.name}>
          <span className="flex items-center gap-2">
            <span className="font-semibold text-fg">{k.name}</span>
            <Badge tone="neutral">{keyKind(k.key_type, k.bits)}</Badge>
          </span>
          <code className="mt-0.5 truncate font-mono text-xs text-muted" title={k.fingerprint} data-testid="ssh-key-fingerprint">
            {k.fingerprint}
          </code>
        </span>
      ),
    },
    { header: 'Added', cell: (k) => <Time iso={k.created_at} /> },
    {
      header: '',
      actions: true,
      cell: (k) => (
        <Button size="sm" variant="danger-ghost" onClick={() => setDeleting(k)} aria-label={`Delete key ${k.name}`} data-testid="ssh-key-delete">
          <TrashIcon className="size-4" />
          Delete
        </Button>
      ),
    },
  ]

  const addButton = (
    <Button onClick={() => setAdding(true)} data-testid="ssh-key-new">
      <PlusIcon className="size-4" />
      Add key
    </Button>
  )

  return (
    <div className="space-y-8">
      <PageHeader
        title="SSH keys"
        icon={KeyIcon}
        description="Public keys you can put on new servers with one click. Only the public half is stored; servers you already run keep the keys they were given."
        actions={addButton}
      />
      {notice ? (
        <Alert tone="success" data-testid="ssh-key-notice">
          {notice}
        </Alert>
      ) : null}
      <Panel>
        <DataTable
          caption="Saved SSH keys"
          columns={columns}
          rows={list.data?.items ?? []}
          rowKey={(k) => k.id}
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          empty={
            <EmptyState icon={KeyIcon} title="No saved keys yet" action={addButton}>
              Add the public key of each computer you connect from (<code className="font-mono text-xs">~/.ssh/id_ed25519.pub</code>), or tick
              “Save this key” when you deploy.
            </EmptyState>
          }
        />
      </Panel>

      <Dialog
        open={adding}
        onClose={() => setAdding(false)}
        flush
        title="Add an SSH key"
        description="Paste a public key: ed25519, RSA of 2048 bits or more, or ECDSA."
      >
        <AddKeyForm
          onClose={() => setAdding(false)}
          onSaved={(k) => {
            setAdding(false)
            setNotice(
              <>
                Saved “{k.name}”, fingerprint <code className="font-mono text-xs break-all">{k.fingerprint}</code>.
              </>,
            )
            list.reload()
          }}
        />
      </Dialog>

      <ConfirmDialog
        open={!!deleting}
        onClose={() => setDeleting(null)}
        title="Delete this key?"
        confirmLabel="Delete key"
        onConfirm={async () => {
          if (!deleting) return
          await api.del(`/api/account/ssh-keys/${encodeURIComponent(deleting.id)}`)
          setNotice(`Deleted “${deleting.name}”.`)
          list.reload()
        }}
      >
        <p>
          <strong className="text-fg">{deleting?.name}</strong> will no longer be offered when you deploy. Servers that already have it keep
          it: remove it from their <code className="font-mono text-xs">~/.ssh/authorized_keys</code> if you need to.
        </p>
      </ConfirmDialog>
    </div>
  )
}

function AddKeyForm({ onClose, onSaved }: { onClose: () => void; onSaved: (k: SSHKey) => void }) {
  const [name, setName] = useState('')
  const [key, setKey] = useState('')
  const form = useForm(['name', 'public_key'])
  const local = key.trim() ? checkSSHKey(key) : ''
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        onSaved(await api.post<SSHKey>('/api/account/ssh-keys', { name: name.trim() || keyComment(key), public_key: key.trim() }))
      })}
    >
      <FormError form={form} />
      <TextArea
        label="Public key"
        name="public_key"
        rows={4}
        autoFocus
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@laptop"
        className="font-mono text-xs break-all"
        value={key}
        onChange={(e) => setKey(e.target.value)}
        error={form.fieldError('public_key') || local}
        hint={
          <>
            The contents of <code className="font-mono text-xs">~/.ssh/id_ed25519.pub</code>. No key yet? Run{' '}
            <code className="font-mono text-xs">ssh-keygen -t ed25519</code>.
          </>
        }
      />
      <TextField
        label="Name"
        name="name"
        placeholder={keyComment(key) || 'e.g. laptop'}
        autoComplete="off"
        maxLength={64}
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={form.fieldError('name')}
        hint="Defaults to the key's comment."
      />
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="ssh-key-save">
          Save key
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
