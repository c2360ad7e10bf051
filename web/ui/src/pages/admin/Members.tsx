import { useState } from 'react'
import { api } from '../../api'
import { Dialog, DialogActions } from '../../components/Dialog'
import { Badge, EmptyState, type BadgeTone, PageHeader, Pager, Panel, usePaged } from '../../components/data'
import { Alert, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { UserPlusIcon, UsersIcon } from '../../components/icons'
import { PeopleTable } from '../../components/people'
import { Button, cx, usePageTitle } from '../../components/ui'
import { config } from '../../config'
import { canManageTenant, roleLabel, staffRoles, useSession } from '../../session'

interface Member {
  id: string
  email: string
  roles: string[]
  mfa_enabled: boolean
  created_at: string
}

export const roleDescriptions: Record<string, string> = {
  owner: 'Everything, including billing, the wallet and who else is an owner.',
  admin: 'Runs the storefront: node pool, prices, branding, members and requests.',
  support: 'Read-only: sees customers and deployments to answer their questions.',
}

const roleTone = (r: string): BadgeTone => (r === 'owner' ? 'primary' : r === 'customer' ? 'neutral' : r === 'node_operator' ? 'warning' : 'success')

export function Members() {
  usePageTitle('Members & roles')
  const { me } = useSession()
  const manage = canManageTenant(me)
  const paged = usePaged<Member>('/api/admin/members')
  const [inviting, setInviting] = useState(false)
  const [editing, setEditing] = useState<Member | null>(null)
  const [notice, setNotice] = useState('')

  const inviteButton = manage ? (
    <Button onClick={() => setInviting(true)} data-testid="invite-member">
      <UserPlusIcon className="size-4" />
      Invite member
    </Button>
  ) : null

  return (
    <div className="space-y-8">
      <PageHeader
        title="Members & roles"
        icon={UsersIcon}
        description={`The people who run ${config.tenant.name}. Owners and admins must use two-factor authentication.`}
        actions={inviteButton}
      />

      {notice ? (
        <Alert tone="success" data-testid="members-notice">
          {notice}
        </Alert>
      ) : null}
      {!manage ? <Alert tone="info">Your support role can see the team but not change it.</Alert> : null}

      <Panel>
        <PeopleTable
          caption="Members"
          personHeader="Member"
          rows={paged.items}
          rowKey={(m) => m.id}
          rowTestId="member-row"
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          roles={{ header: 'Roles', of: (m) => m.roles.map((r) => ({ key: r, label: roleLabel(r), tone: roleTone(r) })) }}
          twoFactor={{ header: '2FA', on: (m) => m.mfa_enabled, warn: (m) => m.roles.some((r) => r === 'owner' || r === 'admin') }}
          added={{ header: 'Added' }}
          actions={
            manage
              ? (m) => (
                  <Button size="sm" variant="secondary" onClick={() => setEditing(m)} aria-label={`Edit roles of ${m.email}`}>
                    Edit roles
                  </Button>
                )
              : undefined
          }
          empty={
            <EmptyState icon={UsersIcon} title="No members yet" action={inviteButton}>
              Invite the people who help you run the storefront. They receive an e-mail with a link to set their password.
            </EmptyState>
          }
        />
        <Pager paged={paged} noun="members" />
      </Panel>

      <Panel title="What each role may do">
        <dl className="divide-y divide-border">
          {staffRoles.map((r) => (
            <div key={r} className="flex flex-col gap-1 px-4 py-3.5 sm:flex-row sm:gap-6 sm:px-5">
              <dt className="w-24 shrink-0">
                <Badge tone={roleTone(r)}>{roleLabel(r)}</Badge>
              </dt>
              <dd className="text-sm text-muted">{roleDescriptions[r]}</dd>
            </div>
          ))}
        </dl>
      </Panel>

      <Dialog
        open={inviting}
        onClose={() => setInviting(false)}
        flush
        title="Invite a member"
        description="New people get an e-mail with a link to set a password. Someone who already has an account here gets the role added."
        testId="invite-dialog"
      >
        <InviteForm
          onClose={() => setInviting(false)}
          onDone={(email, role) => {
            setInviting(false)
            setNotice(`${email} was added as ${roleLabel(role)}. New accounts get an e-mail to set their password.`)
            paged.reset()
            paged.reload()
          }}
        />
      </Dialog>

      <Dialog
        open={!!editing}
        onClose={() => setEditing(null)}
        flush
        title="Edit roles"
        description={editing?.email}
        testId="roles-dialog"
      >
        {editing ? (
          <RolesForm
            member={editing}
            isSelf={!!me && editing.id === me.account.id}
            onClose={() => setEditing(null)}
            onDone={() => {
              setNotice(`Roles of ${editing.email} updated.`)
              setEditing(null)
              paged.reload()
            }}
          />
        ) : null}
      </Dialog>
    </div>
  )
}

function RoleChoice({
  role,
  type,
  name,
  checked,
  onChange,
}: {
  role: string
  type: 'radio' | 'checkbox'
  name: string
  checked: boolean
  onChange: (checked: boolean) => void
}) {
  return (
    <label
      className={cx(
        'flex cursor-pointer gap-3 rounded-fd-sm border p-3.5 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
        checked ? 'border-primary bg-primary/5' : 'border-border hover:border-primary/40',
      )}
    >
      <input
        type={type}
        name={name}
        value={role}
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        className="mt-0.5 size-4 shrink-0 accent-[var(--fd-primary)] focus:outline-none"
      />
      <span>
        <span className="block text-sm font-semibold text-fg">{roleLabel(role)}</span>
        <span className="mt-0.5 block text-sm text-muted">{roleDescriptions[role]}</span>
      </span>
    </label>
  )
}

function InviteForm({ onClose, onDone }: { onClose: () => void; onDone: (email: string, role: string) => void }) {
  const [email, setEmail] = useState('')
  const [role, setRole] = useState('admin')
  const form = useForm(['email', 'role'])
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        await api.post('/api/admin/members', { email: email.trim(), role })
        onDone(email.trim(), role)
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
      <fieldset aria-describedby={form.fieldError('role') ? 'invite-role-error' : undefined}>
        <legend className="mb-1.5 text-sm font-medium text-fg">Role</legend>
        <div className="space-y-2">
          {staffRoles.map((r) => (
            <RoleChoice key={r} role={r} type="radio" name="role" checked={role === r} onChange={() => setRole(r)} />
          ))}
        </div>
        {form.fieldError('role') ? (
          <p id="invite-role-error" data-testid="field-error-role" className="mt-1.5 text-sm text-red-700">
            {form.fieldError('role')}
          </p>
        ) : null}
      </fieldset>
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="invite-submit">
          Send invitation
        </SubmitButton>
      </DialogActions>
    </form>
  )
}

function RolesForm({
  member,
  isSelf,
  onClose,
  onDone,
}: {
  member: Member
  isSelf: boolean
  onClose: () => void
  onDone: () => void
}) {
  const staff: readonly string[] = staffRoles
  const [chosen, setChosen] = useState<string[]>(member.roles.filter((r) => staff.includes(r)))
  // Roles this page does not manage (customer, node_operator) are kept as they are.
  const others = member.roles.filter((r) => !staff.includes(r))
  const form = useForm(['roles'])
  const removingAll = chosen.length === 0 && member.roles.some((r) => staff.includes(r))

  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        await api.put(`/api/admin/members/${encodeURIComponent(member.id)}/roles`, { roles: [...chosen, ...others] })
        onDone()
      })}
    >
      <FormError form={form} />
      <fieldset>
        <legend className="mb-1.5 text-sm font-medium text-fg">Staff roles</legend>
        <div className="space-y-2">
          {staffRoles.map((r) => (
            <RoleChoice
              key={r}
              role={r}
              type="checkbox"
              name="roles"
              checked={chosen.includes(r)}
              onChange={(on) => setChosen((c) => (on ? [...c, r] : c.filter((x) => x !== r)))}
            />
          ))}
        </div>
        {form.fieldError('roles') ? (
          <p data-testid="field-error-roles" className="mt-1.5 text-sm text-red-700">
            {form.fieldError('roles')}
          </p>
        ) : null}
      </fieldset>
      {others.length ? (
        <p className="text-sm text-muted">
          Also holds: {others.map(roleLabel).join(', ')} (kept as is).
        </p>
      ) : null}
      {removingAll ? (
        <Alert tone="warning">
          {isSelf ? 'You will lose' : 'This person loses'} access to the admin pages at once.
        </Alert>
      ) : null}
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} variant={removingAll ? 'danger' : 'primary'} data-testid="roles-submit">
          {removingAll ? 'Remove from team' : 'Save roles'}
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
