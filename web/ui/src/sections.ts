import {
  BuildingIcon,
  CardIcon,
  KeyIcon,
  LayersIcon,
  ListChecksIcon,
  MailIcon,
  RocketIcon,
  ServerIcon,
  UserIcon,
  UsersIcon,
  type Icon,
} from './components/icons'
import type { Realm } from './config'

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
      'Every storefront on the platform: status, Stripe and wallet health, revenue and deployments. Create, approve or suspend.',
    icon: BuildingIcon,
    inNav: true,
  },
  {
    path: '/node-operators',
    label: 'Node operators',
    summary:
      'Farmers who contribute nodes: linked twins, registered nodes, the dashboards they expose them to, and their earnings.',
    icon: ServerIcon,
    inNav: true,
  },
  {
    path: '/accounts',
    label: 'Accounts',
    summary: 'Platform accounts and their roles, two-factor status and API tokens.',
    icon: UsersIcon,
    inNav: true,
  },
  {
    path: '/jobs',
    label: 'Jobs',
    summary: 'Background work: queue sizes, failures and retries for deployments, renewals and top-ups.',
    icon: ListChecksIcon,
    inNav: true,
  },
  {
    path: '/outbox',
    label: 'Outbox',
    summary: 'E-mails the platform has sent, with their content, so flows can be followed without a mail server.',
    icon: MailIcon,
    inNav: true,
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

export function sectionsFor(realm: Realm): Section[] {
  return realm === 'platform' ? consoleSections : storefrontSections
}
