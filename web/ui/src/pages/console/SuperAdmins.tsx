import { useState } from 'react'
import { api } from '../../api'
import { Dialog, DialogActions } from '../../components/Dialog'
import { EmptyState, PageHeader, Pager, Panel, usePaged } from '../../components/data'
import { Alert, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { ShieldCheckIcon, UserPlusIcon } from '../../components/icons'
import { PeopleTable } from '../../components/people'
import { Button, Container, usePageTitle } from '../../components/ui'

interface SuperAdmin {
  id: string
  email: string
  mfa_enabled: boolean
  created_at: string
}

export function SuperAdmins() {
  usePageTitle('Super-admins')
  const list = usePaged<SuperAdmin>('/api/console/super-admins')
  const [adding, setAdding] = useState(false)
  const [notice, setNotice] = useState('')

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
        <PeopleTable
          caption="Super-admins"
          rows={list.items}
          rowKey={(a) => a.id}
          rowTestId="super-admin-row"
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          twoFactor={{
            header: 'Two-factor',
            on: (a) => a.mfa_enabled,
            warn: () => true,
            offLabel: 'Not set up',
            offTitle: 'The console stays closed to this account until it sets up 2FA.',
          }}
          added={{ header: 'Added' }}
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
