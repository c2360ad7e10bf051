import { Link } from 'react-router'
import { PageHeader, Panel, useApi } from '../../components/data'
import {
  BuildingIcon,
  ChevronRightIcon,
  GaugeIcon,
  GlobeIcon,
  HistoryIcon,
  PaletteIcon,
  SettingsIcon,
  UsersIcon,
  type Icon,
} from '../../components/icons'
import { usePageTitle } from '../../components/ui'
import { Badge } from '../../components/data'
import { useBrand } from '../../config'
import type { Domain } from '../../tenancy'
import type { NodeOperatorRequest } from './NodeOperatorRequests'
import type { ReactNode } from 'react'
import { BusinessDashboard } from './Business'

interface OverviewLink {
  to: string
  icon: Icon
  title: string
  body: string
  badge: ReactNode
}

function LinkList({ links }: { links: OverviewLink[] }) {
  return (
    <ul className="divide-y divide-border">
      {links.map((l) => {
        const I = l.icon
        return (
          <li key={l.to}>
            <Link to={l.to} className="group flex items-center gap-4 px-4 py-4 hover:bg-primary/[0.03] sm:px-5">
              <I className="size-5 shrink-0 text-muted" />
              <span className="min-w-0 flex-1">
                <span className="block text-sm font-medium text-fg">{l.title}</span>
                <span className="block text-sm text-muted">{l.body}</span>
              </span>
              {l.badge}
              <ChevronRightIcon className="size-4 shrink-0 text-muted transition-transform group-hover:translate-x-0.5" />
            </Link>
          </li>
        )
      })}
    </ul>
  )
}

export function AdminOverview() {
  usePageTitle('Admin')
  const pending = useApi<{ items: NodeOperatorRequest[] }>('/api/admin/node-operator-requests?status=pending')
  const count = pending.data?.items.length ?? 0
  const domains = useApi<{ items: Domain[] }>('/api/admin/domains')
  const brand = useBrand()
  const pendingDomains = domains.data?.items.filter((d) => d.status === 'pending').length ?? 0
  const verifiedDomains = domains.data?.items.filter((d) => d.status === 'verified').length ?? 0

  const storefront: OverviewLink[] = [
    {
      to: '/admin/branding',
      icon: PaletteIcon,
      title: 'Branding',
      body: 'Name, logo, colours and type, with a live preview.',
      badge: null,
    },
    {
      to: '/admin/domains',
      icon: GlobeIcon,
      title: 'Domains',
      body: 'Serve the storefront on your own domain.',
      badge: domains.loading ? null : pendingDomains > 0 ? (
        <Badge tone="warning" dot>
          {pendingDomains} to verify
        </Badge>
      ) : verifiedDomains > 0 ? (
        <Badge tone="success" dot>
          {verifiedDomains} verified
        </Badge>
      ) : (
        <Badge>None yet</Badge>
      ),
    },
    {
      to: '/admin/settings',
      icon: SettingsIcon,
      title: 'Settings',
      body: 'Pitch, currency, support e-mail and the name on receipts.',
      badge: null,
    },
  ]

  const links: OverviewLink[] = [
    {
      to: '/admin/node-operator-requests',
      icon: BuildingIcon,
      title: 'Node-operator requests',
      body: 'Farmers asking to add their nodes to your pool.',
      badge: pending.loading ? null : count > 0 ? (
        <Badge tone="warning" dot data-testid="pending-requests-count">
          {count} pending
        </Badge>
      ) : (
        <Badge>None pending</Badge>
      ),
    },
    {
      to: '/admin/members',
      icon: UsersIcon,
      title: 'Members & roles',
      body: 'Who can run this storefront, and what each of them may do.',
      badge: null,
    },
    {
      to: '/admin/audit',
      icon: HistoryIcon,
      title: 'Audit log',
      body: 'Sign-ins, role changes and every admin action, with who and when.',
      badge: null,
    },
  ]

  return (
    <div className="space-y-8" data-testid="admin-overview">
      <PageHeader
        title="Overview"
        icon={GaugeIcon}
        description={`How ${brand.name} is doing and what needs your attention.`}
      />

      <BusinessDashboard />

      <Panel title="Storefront">
        <LinkList links={storefront} />
      </Panel>

      <Panel title="Team and access">
        <LinkList links={links} />
      </Panel>

    </div>
  )
}
