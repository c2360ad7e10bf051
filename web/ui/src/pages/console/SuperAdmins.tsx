import { useState } from 'react'
import { api } from '../../api'
import { Dialog, DialogActions } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, PageHeader, Pager, Panel, Time, usePaged, type Column } from '../../components/data'
import { Alert, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { ShieldCheckIcon, UserPlusIcon } from '../../components/icons'
import { Button, Container, usePageTitle } from '../../components/ui'
import { useSession } from '../../session'

interface SuperAdmin {
  id: string
  email: string
  mfa_enabled: boolean
  created_at: string
}

export function SuperAdmins() {
  usePageTitle('Super-admins')
  const { me } = useSession()
  const list = usePaged<SuperAdmin>('/api/console/super-admins')
  const [adding, setAdding] = useState(false)
  const [notice, setNotice] = useState('')

  const columns: Column<SuperAdmin>[] = [
    {
      header: 'Account',
      primary: true,
      cell: (a) => (
        <span className="inline-flex flex-wrap items-center gap-2">
          <span className="font-medium break-words">{a.email}</span>
          {me && a.id === me.account.id ? <Badge>You</Badge> : null}
        </span>
      ),
    },
    {
      header: 'Two-factor',
      cell: (a) =>
        a.mfa_enabled ? (
          <Badge tone="success" dot>
            On
          </Badge>
        ) : (
          <Badge tone="warning" dot title="The console stays closed to this account until it sets up 2FA.">
            Not set up
          </Badge>
        ),
    },
    { header: 'Added', cell: (a) => <Time iso={a.created_at} /> },
  ]

  const addButton = (
    <Button onClick={() => setAdding(true)} data-testid="add-super-admin">
      <UserPlusIcon className="size-4" />
      Add super-admin
    </Button>
  )

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Super-admins"
        icon={ShieldCheckIcon}
        description="Super-admins run the whole platform: every tenant, fee and account. Each must set up two-factor authentication on first login."
        actions={addButton}
      />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <Panel>
        <DataTable
          caption="Super-admins"
          columns={columns}
          rows={list.items}
          rowKey={(a) => a.id}
          rowProps={(a) => ({ 'data-testid': 'super-admin-row', 'data-email': a.email })}
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          empty={
            <EmptyState icon={ShieldCheckIcon} title="No super-admins" action={addButton}>
              Add the people who operate the platform.
            </EmptyState>
          }
        />
        <Pager paged={list} noun="super-admins" />
      </Panel>

      <Dialog
        open={adding}
        onClose={() => setAdding(false)}
        flush
        title="Add a super-admin"
        description="A new account gets an e-mail with a link to set its password; an existing platform account gets the role."
      >
        <AddForm
          onClose={() => setAdding(false)}
          onDone={(email) => {
            setAdding(false)
            setNotice(`${email} is now a super-admin.`)
            list.reload()
          }}
        />
      </Dialog>
    </Container>
  )
}

function AddForm({ onClose, onDone }: { onClose: () => void; onDone: (email: string) => void }) {
  const [email, setEmail] = useState('')
  const form = useForm(['email'])
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        await api.post('/api/console/super-admins', { email: email.trim() })
        onDone(email.trim())
      })}
    >
      <FormError form={form} />
      <TextField
        label="E-mail"
        name="email"
        type="email"
        inputMode="email"
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        autoFocus
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={form.fieldError('email')}
      />
      <Alert tone="warning">Super-admins can see and change everything on the platform. Add only people you trust with that.</Alert>
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form}>Add super-admin</SubmitButton>
      </DialogActions>
    </form>
  )
}
