// Co-ops: revenue split, members' shares of payments, and storefront offers.

export type Capability = 'gpu' | 'hdd' | 'bandwidth' | 'certified'

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

export interface Offer {
  id: string
  name: string
  description: string
  capability: Capability
  sizes: string[]
  published: boolean
  available_nodes: number
  created_at: string
  updated_at: string
}

export interface MemberShare {
  account_id: string
  email: string
  role: 'node_operator' | 'dashboard_operator'
  share_bps: number
  payout_account: 'none' | 'pending' | 'ready'
}

export interface CoopSplit {
  members: MemberShare[]
  complete: boolean
  total_bps: number
}

export interface Reversal {
  refund_total_cents: number
  amount_cents: number
  status: 'pending' | 'reversed' | 'applied'
  reversal_id: string | null
  created_at: string
  reversed_at: string | null
}

export type TransferStatus = 'held' | 'transferred' | 'void'

export interface MemberPayment {
  id: string
  order_id: string
  coop: string
  member_email: string
  description: string
  paid_at: string | null
  currency: string
  charged_cents: number
  platform_fee_cents: number
  stripe_fee_cents: number
  distributable_cents: number
  refunded_cents: number
  share_bps: number
  share_cents: number
  reversed_cents: number
  net_cents: number
  status: TransferStatus
  transfer_id: string | null
  transferred_at: string | null
  created_at: string
  reversals: Reversal[]
}

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
