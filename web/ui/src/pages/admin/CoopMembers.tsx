import { useState } from 'react'
import { api } from '../../api'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import { Badge, EmptyState, Loading, PageHeader, Panel, Time, useApi } from '../../components/data'
import { Alert, ErrorPanel, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { HandshakeIcon, TrashIcon, UserPlusIcon } from '../../components/icons'
import { PeopleTable } from '../../components/people'
import { Button, cx, usePageTitle } from '../../components/ui'
import { useBrand } from '../../config'
import { canManageTenant, useSession } from '../../session'
import { useAdmin } from './AdminLayout'
import { CoopPayouts, RevenueSplit } from './CoopSplit'

interface CoopMember {
  account_id: string
  email: string
  role: CoopRole
  created_at: string
}

interface CoopInvitation {
  id: string
  email: string
  role: CoopRole
  created_at: string
  expires_at: string
}

type CoopRole = 'node_operator' | 'dashboard_operator'

const coopRoles: Array<{ id: CoopRole; label: string; description: string }> = [
  {
    id: 'node_operator',
    label: 'Node operator',
    description: 'Contributes nodes to the co-op’s pool and shares in what they earn.',
  },
  {
    id: 'dashboard_operator',
    label: 'Dashboard operator',
    description: 'Helps run the storefront: customers, prices and support.',
  },
]

const roleLabel = (r: string) => coopRoles.find((x) => x.id === r)?.label ?? r.replace(/_/g, ' ')

export function CoopMembers() {
  usePageTitle('Co-op members')
  const { tenant } = useAdmin()
  const brand = useBrand()

  if (tenant.data && tenant.data.kind !== 'coop') {
    return (
      <div className="space-y-8">
        <PageHeader title="Co-op members" icon={HandshakeIcon} />
        <EmptyState icon={HandshakeIcon} title="Only co-ops have members" data-testid="not-a-coop">
          {brand.name} is run by one operator. A co-op storefront is shared by several node and dashboard operators, who
          are listed here. Ask the platform’s operators if you want to become one.
        </EmptyState>
      </div>
    )
  }
  if (!tenant.data) return tenant.error ? <ErrorPanel error={tenant.error} onRetry={tenant.reload} /> : <Loading />
  return <MemberList />
}

function MemberList() {
  const { me } = useSession()
  const manage = canManageTenant(me)
  const brand = useBrand()
  const list = useApi<{ items: CoopMember[] }>('/api/admin/coop-members')
  const invitations = useApi<{ items: CoopInvitation[] }>('/api/admin/coop-invitations')
  const [adding, setAdding] = useState(false)
  const [removing, setRemoving] = useState<CoopMember | null>(null)
  const [withdrawing, setWithdrawing] = useState<CoopInvitation | null>(null)
  const [notice, setNotice] = useState('')

  const addButton = manage ? (
    <Button onClick={() => setAdding(true)} data-testid="coop-add">
      <UserPlusIcon className="size-4" />
      Invite member
    </Button>
  ) : null

  return (
    <div className="space-y-8">
      <PageHeader
        title="Co-op members"
        icon={HandshakeIcon}
        description={`The node operators and dashboard operators who share ${brand.name}. Each has an account on the platform console and joined by accepting an invitation.`}
        actions={addButton}
      />
      {notice ? (
        <Alert tone="success" data-testid="coop-notice">
          {notice}
        </Alert>
      ) : null}
      {!manage ? <Alert tone="info">Your support role can see the members but not change them.</Alert> : null}

      <Panel>
        <PeopleTable
          caption="Co-op members"
          personHeader="Member"
          rows={list.data?.items ?? []}
          rowKey={(m) => m.account_id}
          rowTestId="coop-row"
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          roles={{
            header: 'Role in the co-op',
            of: (m) => [{ key: m.role, label: roleLabel(m.role), tone: m.role === 'node_operator' ? 'warning' : 'primary' }],
          }}
          added={{ header: 'Member since' }}
          actions={
            manage
              ? (m) => (
                  <Button
                    size="sm"
                    variant="danger-ghost"
                    onClick={() => setRemoving(m)}
                    aria-label={`Remove ${m.email} from the co-op`}
                    data-testid="coop-remove"
                  >
                    <TrashIcon className="size-4" />
                    Remove
                  </Button>
                )
              : undefined
          }
          empty={
            <EmptyState icon={HandshakeIcon} title="No members yet" action={addButton}>
              Invite the node operators and dashboard operators who run this co-op. They accept the invitation on the
              platform console, with an account under the invited e-mail address.
            </EmptyState>
          }
        />
      </Panel>

      {(invitations.data?.items.length ?? 0) > 0 || invitations.error ? (
        <Panel title="Invitations waiting for an answer" data-testid="coop-invitations">
          <PeopleTable
            caption="Invitations waiting for an answer"
            personHeader="Invited address"
            rows={invitations.data?.items ?? []}
            rowKey={(i) => i.id}
            rowTestId="coop-invitation-row"
            loading={invitations.loading}
            error={invitations.error}
            onRetry={invitations.reload}
            detail={(i) => (
              <>
                Expires <Time iso={i.expires_at} />
              </>
            )}
            roles={{
              header: 'Invited as',
              of: (i) => [{ key: i.role, label: roleLabel(i.role), tone: i.role === 'node_operator' ? 'warning' : 'primary' }],
            }}
            added={{ header: 'Invited' }}
            actions={
              manage
                ? (i) => (
                    <Button
                      size="sm"
                      variant="danger-ghost"
                      onClick={() => setWithdrawing(i)}
                      aria-label={`Withdraw the invitation to ${i.email}`}
                      data-testid="coop-invitation-withdraw"
                    >
                      <TrashIcon className="size-4" />
                      Withdraw
                    </Button>
                  )
                : undefined
            }
            empty={null}
          />
        </Panel>
      ) : null}

      <RevenueSplit key={(list.data?.items ?? []).map((m) => m.account_id).join()} manage={manage} />

      <CoopPayouts />

      <Panel title="Roles in a co-op">
        <dl className="divide-y divide-border">
          {coopRoles.map((r) => (
            <div key={r.id} className="flex flex-col gap-1 px-4 py-3.5 sm:flex-row sm:gap-6 sm:px-5">
              <dt className="w-44 shrink-0">
                <Badge tone={r.id === 'node_operator' ? 'warning' : 'primary'}>{r.label}</Badge>
              </dt>
              <dd className="text-sm text-muted">{r.description}</dd>
            </div>
          ))}
        </dl>
      </Panel>

      <Dialog
        open={adding}
        onClose={() => setAdding(false)}
        flush
        title="Invite a co-op member"
        description="We e-mail them an invitation. They become a member when they accept it on the platform console, signed in with this address (they can register there if they have no account)."
        testId="coop-dialog"
      >
        <AddForm
          onClose={() => setAdding(false)}
          onDone={(m) => {
            setAdding(false)
            setNotice(`We invited ${m.email} to join ${brand.name} as a ${roleLabel(m.role).toLowerCase()}. They become a member when they accept.`)
            invitations.reload()
          }}
        />
      </Dialog>

      <ConfirmDialog
        open={!!withdrawing}
        onClose={() => setWithdrawing(null)}
        title="Withdraw this invitation?"
        confirmLabel="Withdraw invitation"
        onConfirm={async () => {
          if (!withdrawing) return
          await api.del(`/api/admin/coop-invitations/${encodeURIComponent(withdrawing.id)}`)
          setNotice(`The invitation to ${withdrawing.email} was withdrawn.`)
          invitations.reload()
        }}
      >
        <p>
          <strong className="text-fg">{withdrawing?.email}</strong> can no longer accept it. You can invite them again later.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        title="Remove this member?"
        confirmLabel="Remove member"
        onConfirm={async () => {
          if (!removing) return
          await api.del(`/api/admin/coop-members/${encodeURIComponent(removing.account_id)}`)
          setNotice(`${removing.email} was removed from the co-op.`)
          list.reload()
        }}
      >
        <p>
          <strong className="text-fg">{removing?.email}</strong> stops being a {removing ? roleLabel(removing.role).toLowerCase() : 'member'}{' '}
          of {brand.name}. Their console account stays; you can add them again later.
        </p>
      </ConfirmDialog>
    </div>
  )
}

interface Invited {
  email: string
  role: CoopRole
  status: 'invited'
}

function AddForm({ onClose, onDone }: { onClose: () => void; onDone: (m: Invited) => void }) {
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<CoopRole>('node_operator')
  const form = useForm(['email', 'role'])
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        onDone(await api.post<Invited>('/api/admin/coop-members', { email: email.trim(), role }))
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
      <fieldset aria-describedby={form.fieldError('role') ? 'coop-role-error' : undefined}>
        <legend className="mb-1.5 text-sm font-medium text-fg">Role in the co-op</legend>
        <div className="space-y-2">
          {coopRoles.map((r) => (
            <label
              key={r.id}
              className={cx(
                'flex cursor-pointer gap-3 rounded-fd-sm border p-3.5 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
                role === r.id ? 'border-primary bg-primary/5' : 'border-border hover:border-primary/40',
              )}
            >
              <input
                type="radio"
                name="role"
                value={r.id}
                checked={role === r.id}
                onChange={() => setRole(r.id)}
                className="mt-0.5 size-4 shrink-0 accent-[var(--fd-primary)] focus:outline-none"
              />
              <span>
                <span className="block text-sm font-semibold text-fg">{r.label}</span>
                <span className="mt-0.5 block text-sm text-muted">{r.description}</span>
              </span>
            </label>
          ))}
        </div>
        {form.fieldError('role') ? (
          <p id="coop-role-error" data-testid="field-error-role" className="mt-1.5 text-sm text-red-700 dark:text-red-400">
            {form.fieldError('role')}
          </p>
        ) : null}
      </fieldset>
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="coop-submit">
          Send invitation
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
