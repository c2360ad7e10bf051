import { Outlet } from 'react-router'
import { RequireRole } from '../../components/Guard'
import { SideNavLayout, type SideNavGroup } from '../../components/SideNav'
import {
  BuildingIcon,
  CardIcon,
  GaugeIcon,
  GlobeIcon,
  HistoryIcon,
  LayersIcon,
  PaletteIcon,
  ServerIcon,
  SettingsIcon,
  TagIcon,
  UsersIcon,
  WalletIcon,
  type Icon,
} from '../../components/icons'
import { config } from '../../config'
import { staffRoles } from '../../session'

/** An admin section that is not built yet: its nav entry and its "being built" card. */
export interface PendingAdminSection {
  path: string
  label: string
  icon: Icon
  summary: string
}

export const pendingAdminSections: PendingAdminSection[] = [
  {
    path: 'wallet',
    label: 'Wallet',
    icon: WalletIcon,
    summary:
      'Your TFChain wallet: balances, KYC status, burn rate and runway, the staking-discount tier of each contract, and the top-up policy with the history of every top-up.',
  },
  {
    path: 'node-pool',
    label: 'Node pool',
    icon: ServerIcon,
    summary:
      'Browse the grid’s nodes, add them to your pool, choose which ones customers may pick, and watch their health and who contributed them.',
  },
  {
    path: 'pricing',
    label: 'Pricing',
    icon: TagIcon,
    summary:
      'Your price rule (a margin or fixed prices per size), discount tiers and coupons, with a preview of the customer price beside the grid cost, fees and your margin.',
  },
  {
    path: 'customers',
    label: 'Customers',
    icon: UsersIcon,
    summary: 'Search your customers, see their deployments, cards and payments.',
  },
  {
    path: 'deployments',
    label: 'Deployments',
    icon: LayersIcon,
    summary: 'Every VM on your storefront with its state, node and renewal; retry or cancel.',
  },
  {
    path: 'billing',
    label: 'Billing',
    icon: CardIcon,
    summary: 'Stripe Connect status and onboarding, payments, refunds, disputes and CSV export.',
  },
  {
    path: 'branding',
    label: 'Branding',
    icon: PaletteIcon,
    summary: 'Your name, logo, colours and pitch, with a live preview of the storefront.',
  },
  {
    path: 'domains',
    label: 'Domains',
    icon: GlobeIcon,
    summary: 'Serve the storefront on your own domain: the TXT record to add, a verify button and the certificate status.',
  },
  {
    path: 'settings',
    label: 'Settings',
    icon: SettingsIcon,
    summary: 'Storefront-wide settings such as contact details and sign-up rules.',
  },
]

const pending = (paths: string[]) =>
  pendingAdminSections
    .filter((s) => paths.includes(s.path))
    .map((s) => ({ to: `/admin/${s.path}`, label: s.label, icon: s.icon, soon: true }))

const groups: SideNavGroup[] = [
  { items: [{ to: '/admin', label: 'Overview', icon: GaugeIcon, end: true }] },
  { heading: 'Business', items: pending(['wallet', 'node-pool', 'pricing', 'customers', 'deployments', 'billing']) },
  { heading: 'Storefront', items: pending(['branding', 'domains']) },
  {
    heading: 'Team & security',
    items: [
      { to: '/admin/members', label: 'Members & roles', icon: UsersIcon, testId: 'admin-nav-members' },
      { to: '/admin/node-operator-requests', label: 'Node-operator requests', icon: BuildingIcon, testId: 'admin-nav-requests' },
      { to: '/admin/audit', label: 'Audit log', icon: HistoryIcon, testId: 'admin-nav-audit' },
      ...pending(['settings']),
    ],
  },
]

function Heading() {
  return (
    <div>
      <p className="text-sm font-semibold text-primary">Admin</p>
      <p className="mt-1 truncate text-xl font-bold tracking-tight text-fg">{config.tenant.name}</p>
    </div>
  )
}

export function AdminLayout() {
  return (
    <RequireRole roles={[...staffRoles]}>
      <SideNavLayout label="Admin" heading={<Heading />} groups={groups}>
        <Outlet />
      </SideNavLayout>
    </RequireRole>
  )
}
