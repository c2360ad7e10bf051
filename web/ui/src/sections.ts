import type { Me } from './api'
import {
  BuildingIcon,
  CardIcon,
  CoinsIcon,
  HistoryIcon,
  KeyIcon,
  LayersIcon,
  LayoutIcon,
  LinkIcon,
  ListChecksIcon,
  MailIcon,
  RocketIcon,
  ServerIcon,
  ShieldCheckIcon,
  UserIcon,
  UsersIcon,
  HandshakeIcon,
  type Icon,
} from './components/icons'
import type { Realm } from './config'
import { hasRole } from './session'

/** A section is one top-level page of a realm: its route, its nav label and its blurb. */
export interface Section {
  path: string
  label: string
  /** Page heading when it differs from the nav label. */
  title?: string
  summary: string
  icon: Icon
  /** Shown in the header nav (auth pages are reached through buttons instead). */
  inNav: boolean
  /** Console only: the platform roles that may open it (any signed-in account when empty). */
  roles?: string[]
  /** Console only: listed in the nav of a visitor who has not signed in. */
  public?: boolean
}

export const storefrontSections: Section[] = [
  {
    path: '/deploy',
    label: 'Deploy',
    title: 'Deploy a VM',
    summary:
      'Name your server, pick an image and a size, add your SSH key and pay by card. Your VM is running a few minutes later.',
    icon: RocketIcon,
    inNav: true,
  },
  {
    path: '/apps',
    label: 'Apps',
    summary: 'Kubernetes clusters, Nextcloud, Open WebUI on a GPU and LiveKit, ready to use with their own web address.',
    icon: LayoutIcon,
    inNav: true,
  },
  {
    path: '/deployments',
    label: 'Deployments',
    summary:
      'Every VM you run, with its status, addresses, backup health and next renewal, updated live while it deploys.',
    icon: LayersIcon,
    inNav: true,
  },
  {
    path: '/billing',
    label: 'Billing',
    summary: 'Your saved cards, receipts and credit balance, and the renewal date of every VM.',
    icon: CardIcon,
    inNav: true,
  },
  {
    path: '/account',
    label: 'Account',
    summary: 'Your e-mail address, password, two-factor authentication, SSH keys and API tokens.',
    icon: UserIcon,
    inNav: true,
  },
  {
    path: '/login',
    label: 'Log in',
    summary: 'Sign in to manage your servers, cards and receipts.',
    icon: KeyIcon,
    inNav: false,
  },
  {
    path: '/signup',
    label: 'Sign up',
    title: 'Create your account',
    summary: 'An e-mail address and a password are all it takes to deploy your first VM.',
    icon: UserIcon,
    inNav: false,
  },
]

export const consoleSections: Section[] = [
  {
    path: '/tenants',
    label: 'Tenants',
    summary:
      'Every storefront on the platform: status, Stripe and wallet health, domains. Create, approve or suspend; review applications; set the platform fee.',
    icon: BuildingIcon,
    inNav: true,
    roles: ['super_admin'],
    public: true,
  },
  {
    path: '/node-operators',
    label: 'Node operators',
    summary:
      'Farmers who contribute nodes: linked twins, registered nodes, the dashboards they expose them to, and their earnings.',
    icon: ServerIcon,
    inNav: true,
    roles: ['super_admin'],
    public: true,
  },
  {
    path: '/accounts',
    label: 'Accounts',
    summary: 'Platform accounts and their roles, two-factor status and API tokens.',
    icon: UsersIcon,
    inNav: true,
    roles: ['super_admin'],
    public: true,
  },
  {
    path: '/super-admins',
    label: 'Super-admins',
    summary: 'The people who run this platform. Add one by e-mail; each must set up two-factor authentication.',
    icon: ShieldCheckIcon,
    inNav: true,
    roles: ['super_admin'],
  },
  {
    path: '/audit',
    label: 'Audit log',
    summary: 'Every sign-in, role change, approval and admin action on the platform and its storefronts.',
    icon: HistoryIcon,
    inNav: true,
    roles: ['super_admin'],
  },
  {
    path: '/jobs',
    label: 'Jobs',
    summary: 'Background work: queue sizes, failures and retries for deployments, renewals and top-ups.',
    icon: ListChecksIcon,
    inNav: true,
    roles: ['super_admin'],
    public: true,
  },
  {
    path: '/outbox',
    label: 'Outbox',
    summary: 'E-mails the platform has sent, with their content, so flows can be followed without a mail server.',
    icon: MailIcon,
    inNav: true,
    roles: ['super_admin'],
    public: true,
  },
  {
    path: '/dashboards',
    label: 'Dashboards',
    summary: 'The storefronts you can supply with nodes: ask to join their pool and follow each request.',
    icon: LayersIcon,
    inNav: true,
    roles: ['node_operator'],
  },
  {
    path: '/twin',
    label: 'Twin',
    title: 'TFChain twin',
    summary: 'Link your TFChain twin by signing a challenge, so your nodes and earnings can be matched to you.',
    icon: LinkIcon,
    inNav: true,
    roles: ['node_operator'],
  },
  {
    path: '/nodes',
    label: 'My nodes',
    summary: 'Register nodes by ID, watch their status and capacity, and choose which dashboards may use each.',
    icon: ServerIcon,
    inNav: true,
    roles: ['node_operator'],
  },
  {
    path: '/earnings',
    label: 'Earnings',
    summary: 'What your nodes earned, per node, dashboard and month, in TFT and USD, with a CSV export.',
    icon: CoinsIcon,
    inNav: true,
    roles: ['node_operator'],
  },
  {
    path: '/coop',
    label: 'Co-op shares',
    summary: 'Your share of every payment of the co-ops you belong to, its transfer to your Stripe account, and refunds.',
    icon: HandshakeIcon,
    inNav: true,
    roles: ['node_operator'],
  },
  {
    path: '/login',
    label: 'Log in',
    title: 'Console sign-in',
    summary: 'Sign in with your platform account and second factor.',
    icon: KeyIcon,
    inNav: false,
  },
]

/**
 * visibleSections is what the nav offers: on the console, the sections of the signed-in
 * account's roles (or the public overview for a visitor); on a storefront, all of them.
 */
export function visibleSections(realm: Realm, me: Me | null): Section[] {
  const all = sectionsFor(realm).filter((s) => s.inNav)
  if (realm !== 'platform') return all
  if (!me) return all.filter((s) => s.public)
  return all.filter((s) => !s.roles || s.roles.length === 0 || hasRole(me, ...s.roles))
}

export function sectionsFor(realm: Realm): Section[] {
  return realm === 'platform' ? consoleSections : storefrontSections
}
