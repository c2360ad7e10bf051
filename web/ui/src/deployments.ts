// Shapes and helpers of deployments, nodes and node pools (the API's /api/deployments,
// /api/nodes, /api/admin/pool and /api/node-operator/* answers) shared by the storefront,
// the tenant admin and the node operator's console pages.

import type { Schema } from './schema'

// ——— Grid nodes (the server's grid.Node, whose fields keep their Go names) ———

export interface Resources {
  /** virtual cores */
  CRU: number
  /** memory, bytes */
  MRU: number
  /** SSD, bytes */
  SRU: number
  /** HDD, bytes */
  HRU: number
}

export interface GridNode {
  ID: number
  FarmID: number
  FarmName: string
  FarmTwinID: number
  Country: string
  City: string
  Region: string
  Total: Resources
  Used: Resources
  /** free public IPv4 addresses in the node's farm */
  PublicIPv4: number
  IPv6: boolean
  GPUs: { ID: string; Vendor: string; Device: string }[] | null
  Certified: boolean
  Dedicated: boolean
  Light: boolean
  /** up | down | standby */
  Status: string
}

/** A catalog node (GET /api/admin/pool/catalog) and whether the pool has it. */
export interface CatalogNode extends GridNode {
  in_pool: boolean
}

/** A node of the tenant's pool (GET /api/admin/pool). */
export interface PoolNode extends GridNode {
  source: 'tenant' | 'operator'
  contributed_by?: string
  exposed: boolean
  customer_pickable: boolean
  added_at: string
}

export interface PoolSummary {
  nodes: number
  /** exposed and up */
  eligible: number
  up: number
  total: Resources
  free: Resources
}

export interface NodeExposure {
  tenant_slug: string
  tenant_name: string
  exposed: boolean
  running_deployments: number
}

/** A node operator's registered node (GET /api/node-operator/nodes). */
export interface OperatorNode extends GridNode {
  registered_at: string
  exposure: NodeExposure[] | null
}

export interface Twin {
  twin_id: number
  key_type: 'ed25519' | 'sr25519' | string
  linked_at: string
}

export interface Challenge {
  twin_id: number
  message: string
  expires_at: string
}

export interface EarningLine {
  /** 2026-03 */
  month: string
  node_id: number
  tenant: string
  /** usage: the contracts' cost (50 % yours); extra_fee: a rent's extra fee (all yours) */
  kind: 'usage' | 'extra_fee'
  billed_tft: string
  earned_tft: string
  earned_usd: string
}

// ——— Deployments ———

export type DeploymentStatus =
  | 'awaiting_payment'
  | 'paid'
  | 'provisioning'
  | 'running'
  | 'suspended'
  | 'terminating'
  | 'terminated'
  | 'failed'

export interface Order {
  id: string
  status: 'awaiting_payment' | 'requires_action' | 'paid' | 'failed' | 'refunded' | string
  description: string
  months: number
  currency: string
  subtotal_cents: number
  discount_cents: number
  amount_cents: number
  coupon_code?: string
  failure_message?: string
  refunded_cents?: number
  paid_at?: string | null
  created_at: string
  client_secret?: string
}

export interface DeploymentSpec {
  size?: string
  cpu?: number
  ram_gb?: number
  disk_gb?: number
  ipv4?: boolean
}

export interface Deployment {
  id: string
  order_id: string
  name: string
  image: string
  spec: DeploymentSpec | null
  ssh_key: string
  placement: 'default' | 'advanced'
  node_id: number | null
  backup: 'none' | 'vm' | 'qsfs'
  standby_node_id: number | null
  status: DeploymentStatus
  ipv4: string
  ipv6: string
  mycelium: string
  failure: string
  created_at: string
  updated_at: string
  order?: Order
  /** The last move off a failed node: the standby took over, or the server was re-created (disk lost). */
  incident?: '' | 'failover' | 'reprovision'
  incident_message?: string
  incident_at?: string | null
  /** When the customer was e-mailed about the incident. */
  notified_at?: string | null
  /** The QSFS backup swarm (backup "qsfs"). */
  swarm?: Swarm
  /** GPUs attached to the VM (a GPU offer rents its node). */
  gpus?: { id: string; node_id: number; vendor: string; device: string }[]
  /** The rent contract of the node the VM runs on, when rented whole (a GPU offer). */
  rent_contract_id?: number
  /** The app it runs (vm: a plain server) and its form's values (never a secret). */
  app?: 'vm' | 'kubernetes' | 'nextcloud' | 'openwebui' | 'livekit'
  app_config?: Record<string, unknown>
  /** How to reach a running app: URLs, ports, credentials (shown once) and kubeconfig. */
  access?: Schema<'AppAccess'>
  /** Kubernetes: the cluster's workers. */
  workers?: Schema<'K8sWorker'>[]
  /** Kubernetes: a worker change waiting for its prorated charge's authentication (confirmed on /pay/:order_id). */
  workers_pending?: { count: number; order_id: string }
  /** What cancelling gives back, as the storefront decided. */
  on_cancel?: 'refund' | 'credit'
  /** Staff lists: the customer and what the order cost. */
  customer_email?: string
  price_cents?: number
  currency?: string
  months?: number
}

export interface SwarmBackend {
  node_id: number
  kind: 'data' | 'meta'
  position: number
  status: 'ok' | 'lost' | 'replaced'
  replaced_by: number | null
  lost_at: string | null
  updated_at: string
}

export interface Swarm {
  expected: number
  minimal: number
  tolerates: number
  lost: number
  health: 'healthy' | 'degraded' | 'down'
  backends: SwarmBackend[]
}

export interface DeploymentEvent {
  id: number
  status: string
  /** order, payment, network, vm, backup, running, retry, failed, cancel, terminated, failover, reprovision… */
  step: string
  message: string
  created_at: string
}

export interface OSImage {
  id: string
  label: string
}

type Tone = 'neutral' | 'success' | 'warning' | 'danger' | 'primary'

export const deploymentStatus: Record<string, { label: string; tone: Tone }> = {
  awaiting_payment: { label: 'Awaiting payment', tone: 'warning' },
  paid: { label: 'Paid', tone: 'primary' },
  provisioning: { label: 'Deploying', tone: 'primary' },
  running: { label: 'Running', tone: 'success' },
  suspended: { label: 'Suspended', tone: 'warning' },
  terminating: { label: 'Deleting', tone: 'neutral' },
  terminated: { label: 'Deleted', tone: 'neutral' },
  failed: { label: 'Failed', tone: 'danger' },
  payment_failed: { label: 'Payment failed', tone: 'danger' },
}

/** A deployment in one of these states can be cancelled. */
export function cancellable(status: string): boolean {
  return ['awaiting_payment', 'paid', 'provisioning', 'running', 'suspended'].includes(status)
}

/** Still changing on its own: the page follows its event stream. */
export function settling(status: string): boolean {
  return ['awaiting_payment', 'paid', 'provisioning', 'terminating'].includes(status)
}

export const backupLabel: Record<string, string> = {
  none: 'No backup',
  vm: 'Backup VM',
  qsfs: 'QSFS backup swarm',
}

export function imageLabel(id: string, images?: OSImage[]): string {
  return images?.find((i) => i.id === id)?.label || knownImages[id] || id
}

const knownImages: Record<string, string> = {
  'ubuntu-24.04': 'Ubuntu 24.04 LTS',
  'ubuntu-22.04': 'Ubuntu 22.04 LTS',
  'debian-12': 'Debian 12',
  nixos: 'NixOS',
}

export function specLine(spec: DeploymentSpec | null | undefined): string {
  if (!spec) return ''
  const parts = []
  if (spec.cpu) parts.push(`${spec.cpu} vCPU`)
  if (spec.ram_gb) parts.push(`${spec.ram_gb} GB RAM`)
  if (spec.disk_gb) parts.push(`${spec.disk_gb} GB disk`)
  return parts.join(' · ')
}

const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })

/** formatDay is a date without the time: "Dec 25, 2026". */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : dayFmt.format(d)
}

// ——— Money and sizes ———

/** money formats minor units of a currency: money(1240, 'usd') → "$12.40". */
export function money(cents: number, currency = 'usd'): string {
  const code = (currency || 'usd').toUpperCase()
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(cents / 100)
  } catch {
    return `${(cents / 100).toFixed(2)} ${code}`
  }
}

/** perMonth is what one month of an order costs, "$12.40 / month". */
export function orderPrice(o: Order | undefined): string {
  if (!o) return '—'
  const months = o.months || 1
  const monthly = Math.round(o.amount_cents / months)
  return months > 1
    ? `${money(o.amount_cents, o.currency)} / ${months} months`
    : `${money(monthly, o.currency)} / month`
}

const GB = 1024 ** 3
const TB = 1024 ** 4

/** bytes formats a capacity in GB (or TB when large). */
export function bytes(n: number): string {
  if (!n) return '0 GB'
  if (n >= TB) return `${trim(n / TB)} TB`
  return `${trim(n / GB)} GB`
}

function trim(x: number): string {
  return x >= 100 ? Math.round(x).toString() : x.toFixed(x >= 10 ? 0 : 1).replace(/\.0$/, '')
}

export function free(n: GridNode): Resources {
  const sub = (a: number, b: number) => Math.max(0, (a || 0) - (b || 0))
  return {
    CRU: sub(n.Total?.CRU, n.Used?.CRU),
    MRU: sub(n.Total?.MRU, n.Used?.MRU),
    SRU: sub(n.Total?.SRU, n.Used?.SRU),
    HRU: sub(n.Total?.HRU, n.Used?.HRU),
  }
}

/** "12 vCPU · 48 GB RAM · 1.2 TB SSD" */
export function capacityLine(r: Resources | undefined, withHDD = false): string {
  if (!r) return '—'
  const parts = [`${r.CRU} vCPU`, `${bytes(r.MRU)} RAM`, `${bytes(r.SRU)} SSD`]
  if (withHDD && r.HRU) parts.push(`${bytes(r.HRU)} HDD`)
  return parts.join(' · ')
}

/** usedShare is 0…1 of the node's memory in use, the resource VMs run out of first. */
export function usedShare(n: GridNode): number {
  const t = n.Total?.MRU || 0
  return t ? Math.min(1, (n.Used?.MRU || 0) / t) : 0
}

export function hasGPU(n: GridNode): boolean {
  return (n.GPUs?.length ?? 0) > 0
}

// Country names as the grid spells them → ISO 3166 codes, for the small country chip.
const countryCodes: Record<string, string> = {
  Belgium: 'BE', Netherlands: 'NL', Germany: 'DE', France: 'FR', Switzerland: 'CH', Austria: 'AT',
  Italy: 'IT', Spain: 'ES', Portugal: 'PT', 'United Kingdom': 'GB', Ireland: 'IE', Sweden: 'SE',
  Norway: 'NO', Finland: 'FI', Denmark: 'DK', Poland: 'PL', Czechia: 'CZ', Romania: 'RO',
  Bulgaria: 'BG', Greece: 'GR', Slovenia: 'SI', Egypt: 'EG', Tanzania: 'TZ', Kenya: 'KE',
  Uganda: 'UG', 'South Africa': 'ZA', Nigeria: 'NG', 'United States': 'US', Canada: 'CA',
  Brazil: 'BR', Mexico: 'MX', Ecuador: 'EC', India: 'IN', Singapore: 'SG', Japan: 'JP',
  Vietnam: 'VN', Thailand: 'TH', 'United Arab Emirates': 'AE', Australia: 'AU', 'New Zealand': 'NZ',
  Luxembourg: 'LU', Estonia: 'EE', Lithuania: 'LT', Latvia: 'LV', Hungary: 'HU', Croatia: 'HR',
  Serbia: 'RS', Ukraine: 'UA', Turkey: 'TR', Israel: 'IL', China: 'CN', 'South Korea': 'KR',
  Indonesia: 'ID', Malaysia: 'MY', Philippines: 'PH', Argentina: 'AR', Chile: 'CL', Colombia: 'CO',
  Peru: 'PE', Ghana: 'GH', Morocco: 'MA', Rwanda: 'RW', Ethiopia: 'ET', 'Saudi Arabia': 'SA',
}

export function countryCode(name: string): string {
  if (!name) return '··'
  if (/^[A-Za-z]{2}$/.test(name)) return name.toUpperCase()
  return countryCodes[name] ?? name.slice(0, 2).toUpperCase()
}

// ——— SSH keys ———

const keyTypes = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]

/**
 * checkSSHKey is the form's quick check as the customer types: one line, a known key
 * type, base64 key data that names the same type. The server parses the key for real and
 * its message wins. Returns '' when the key looks right.
 */
export function checkSSHKey(value: string): string {
  const v = value.trim()
  if (!v) return ''
  if (v.includes('PRIVATE KEY')) return 'That is a private key. Paste the public key (the .pub file) instead, and keep the private one secret.'
  if (/\n/.test(v)) return 'Paste one key on one line.'
  const [type = '', data = ''] = v.split(/\s+/)
  if (!keyTypes.includes(type)) return 'A public key starts with its type, e.g. ssh-ed25519 AAAA… you@laptop.'
  if (!data || !/^[A-Za-z0-9+/]+={0,3}$/.test(data) || data.length < 60) return 'The key data after the type looks cut off or altered.'
  try {
    const raw = atob(data)
    const len = (raw.charCodeAt(0) << 24) | (raw.charCodeAt(1) << 16) | (raw.charCodeAt(2) << 8) | raw.charCodeAt(3)
    if (raw.slice(4, 4 + len) !== type) return `The key data does not belong to a ${type} key.`
  } catch {
    return 'The key data after the type is not valid base64.'
  }
  return ''
}

/** A DNS-safe name as the server wants it: 2–63 lowercase letters, digits and hyphens. */
export function checkName(value: string): string {
  const v = value.trim()
  if (!v) return ''
  if (v.length < 2) return 'At least 2 characters.'
  if (v.length > 63) return 'At most 63 characters.'
  if (!/^[a-z]/.test(v)) return 'Start with a lowercase letter.'
  if (!/^[a-z0-9-]+$/.test(v)) return 'Only lowercase letters, digits and hyphens.'
  if (v.endsWith('-')) return 'End with a letter or a digit.'
  return ''
}
