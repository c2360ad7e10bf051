import { useState } from 'react'
import { Outlet, useOutletContext } from 'react-router'
import { useApi, type Loaded } from '../../components/data'
import { RequireRole } from '../../components/Guard'
import { SideNavLayout, type SideNavGroup } from '../../components/SideNav'
import {
  ActivityIcon,
  BuildingIcon,
  CardIcon,
  GaugeIcon,
  GlobeIcon,
  HandshakeIcon,
  HistoryIcon,
  LayersIcon,
  LayoutIcon,
  PaletteIcon,
  ServerIcon,
  SettingsIcon,
  TagIcon,
  StoreIcon,
  UsersIcon,
  WalletIcon,
} from '../../components/icons'
import { useBrand } from '../../config'
import type { TenantRecord } from '../../tenancy'
import { staffRoles } from '../../session'

function groupsFor(coop: boolean): SideNavGroup[] {
  return [
    { items: [{ to: '/admin', label: 'Overview', icon: GaugeIcon, end: true }] },
    {
      heading: 'Business',
      items: [
        { to: '/admin/wallet', label: 'Wallet', icon: WalletIcon, testId: 'admin-nav-wallet' },
        { to: '/admin/pool', label: 'Node pool', icon: ServerIcon, testId: 'admin-nav-pool' },
        { to: '/admin/pricing', label: 'Pricing', icon: TagIcon, testId: 'admin-nav-pricing' },
        { to: '/admin/apps', label: 'Apps', icon: LayoutIcon, testId: 'admin-nav-apps' },
        { to: '/admin/customers', label: 'Customers', icon: UsersIcon, testId: 'admin-nav-customers' },
        { to: '/admin/deployments', label: 'Deployments', icon: LayersIcon, testId: 'admin-nav-deployments' },
        { to: '/admin/health', label: 'Health', icon: ActivityIcon, testId: 'admin-nav-health' },
        { to: '/admin/billing', label: 'Billing', icon: CardIcon, testId: 'admin-nav-billing' },
      ],
    },
    {
      heading: 'Storefront',
      items: [
        { to: '/admin/branding', label: 'Branding', icon: PaletteIcon, testId: 'admin-nav-branding' },
        { to: '/admin/domains', label: 'Domains', icon: GlobeIcon, testId: 'admin-nav-domains' },
        { to: '/admin/settings', label: 'Settings', icon: SettingsIcon, testId: 'admin-nav-settings' },
      ],
    },
    {
      heading: 'Team & security',
      items: [
        { to: '/admin/members', label: 'Members & roles', icon: UsersIcon, testId: 'admin-nav-members' },
        ...(coop
          ? [
              { to: '/admin/coop-members', label: 'Co-op members', icon: HandshakeIcon, testId: 'admin-nav-coop' },
              { to: '/admin/offers', label: 'Offers', icon: StoreIcon, testId: 'admin-nav-offers' },
            ]
          : []),
        { to: '/admin/node-operator-requests', label: 'Node-operator requests', icon: BuildingIcon, testId: 'admin-nav-requests' },
        { to: '/admin/audit', label: 'Audit log', icon: HistoryIcon, testId: 'admin-nav-audit' },
      ],
    },
  ]
}

/** What every admin page knows about its storefront (GET /api/admin/settings). */
export interface AdminContext {
  tenant: Loaded<TenantRecord>
  /** Replace the tenant after a save, without a new request. */
  setTenant: (t: TenantRecord) => void
}

export function useAdmin(): AdminContext {
  return useOutletContext<AdminContext>()
}

function Heading() {
  const brand = useBrand()
  return (
    <div>
      <p className="text-sm font-semibold text-primary">Admin</p>
      <p className="mt-1 truncate text-xl font-bold tracking-tight text-fg">{brand.name}</p>
    </div>
  )
}

/** AdminFrame renders inside the role guard, so it only asks the API once access is settled. */
function AdminFrame() {
  const loaded = useApi<TenantRecord>('/api/admin/settings')
  const [saved, setSaved] = useState<TenantRecord | null>(null)
  const data = saved ?? loaded.data
  const tenant: Loaded<TenantRecord> = { ...loaded, data }
  return (
    <SideNavLayout label="Admin" heading={<Heading />} groups={groupsFor(data?.kind === 'coop')}>
      <Outlet context={{ tenant, setTenant: setSaved } satisfies AdminContext} />
    </SideNavLayout>
  )
}

export function AdminLayout() {
  return (
    <RequireRole roles={[...staffRoles]}>
      <AdminFrame />
    </RequireRole>
  )
}
