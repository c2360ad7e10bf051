import { Outlet } from 'react-router'
import { RequireAuth } from '../../components/Guard'
import { isStorefront } from '../../config'
import { SideNavLayout } from '../../components/SideNav'
import { FingerprintIcon, KeyIcon, LockIcon, MonitorIcon, TerminalIcon, UserIcon } from '../../components/icons'
import { useSession } from '../../session'

const items = [
  { to: '/account', label: 'Profile', icon: UserIcon, end: true },
  { to: '/account/password', label: 'Password', icon: LockIcon },
  { to: '/account/two-factor', label: 'Two-factor', icon: FingerprintIcon },
  { to: '/account/sessions', label: 'Sessions', icon: MonitorIcon },
  { to: '/account/tokens', label: 'API tokens', icon: KeyIcon },
  // Keys for the servers a customer deploys: storefronts only.
  ...(isStorefront ? [{ to: '/account/ssh-keys', label: 'SSH keys', icon: TerminalIcon }] : []),
]

function Heading() {
  const { me } = useSession()
  return (
    <div>
      <p className="text-sm font-semibold text-primary">Settings</p>
      <p className="mt-1 text-xl font-bold tracking-tight text-fg">Your account</p>
      {me ? <p className="mt-0.5 truncate text-sm text-muted">{me.account.email}</p> : null}
    </div>
  )
}

export function AccountLayout() {
  return (
    <RequireAuth>
      <SideNavLayout label="Account settings" heading={<Heading />} groups={[{ items }]}>
        <Outlet />
      </SideNavLayout>
    </RequireAuth>
  )
}
