// Co-ops: revenue split, members' shares of payments, and storefront offers.

export type Capability = 'gpu' | 'hdd' | 'bandwidth' | 'certified'
import type { Schema } from './schema'

export const capabilities: Array<{ id: Capability; label: string; short: string; description: string }> = [
  {
    id: 'gpu',
    label: 'GPU nodes',
    short: 'GPU',
    description: 'Machines on nodes with a graphics card: AI inference, rendering, transcoding.',
  },
  {
    id: 'hdd',
    label: 'HDD storage nodes',
    short: 'HDD storage',
    description: 'Nodes with large hard disks: the home of QSFS swarms, backups and archives.',
  },
  {
    id: 'bandwidth',
    label: 'High-bandwidth nodes',
    short: 'High bandwidth',
    description: 'Nodes whose farm has public IPv4 addresses free: servers that face the internet.',
  },
  {
    id: 'certified',
    label: 'Certified nodes',
    short: 'Certified',
    description: 'Nodes certified by ThreeFold: audited hardware in professional data centres.',
  },
]

export const capabilityOf = (id: string) => capabilities.find((c) => c.id === id)

export type Offer = Schema<'Offer'>

export type MemberShare = Schema<'MemberShare'>

export type CoopSplit = Schema<'CoopSplit'>

export interface Reversal {
  refund_total_cents: number
  amount_cents: number
  status: 'pending' | 'reversed' | 'applied'
  reversal_id: string | null
  created_at: string
  reversed_at: string | null
}

export type TransferStatus = 'held' | 'transferred' | 'void'

export type MemberPayment = Schema<'MemberPayment'>

export interface CoopPayment {
  order_id: string
  description: string
  status: string
  currency: string
  charged_cents: number
  platform_fee_cents: number
  stripe_fee_cents: number
  distributable_cents: number
  refunded_cents: number
  transfer_group: string
  paid_at: string | null
  created_at: string
  members: MemberPayment[]
}

export interface Membership {
  tenant_id: string
  slug: string
  name: string
  role: string
  share_bps: number
  held_cents: number
  transferred_cents: number
}

export interface PayoutAccount {
  connected: boolean
  account_id?: string
  payouts_enabled: boolean
  details_submitted: boolean
  ready: boolean
  mode: 'mock' | 'live'
  memberships: Membership[]
}

export const transferLabel: Record<TransferStatus, { label: string; tone: 'success' | 'warning' | 'neutral' }> = {
  transferred: { label: 'Transferred', tone: 'success' },
  held: { label: 'Held', tone: 'warning' },
  void: { label: 'Refunded before transfer', tone: 'neutral' },
}
