// The server half of the deploy form: name, image, SSH key, placement and backup. The
// Deploy page (which owns size, network, period, card and payment) puts each in one of
// its numbered steps and sends everything in one POST /api/deployments.

import { useEffect, useId, useMemo, useState, type ReactNode } from 'react'
import { useApi } from '../../components/data'
import { Checkbox, FieldError, inputClass } from '../../components/forms'
import { CheckCircleIcon, CheckIcon, KeyIcon, PlusIcon, ServerIcon, ShieldCheckIcon } from '../../components/icons'
import { Badge } from '../../components/data'
import { Button, cx } from '../../components/ui'
import {
  capacityLine,
  checkName,
  checkSSHKey,
  countryCode,
  free,
  hasGPU,
  imageLabel,
  type GridNode,
  type OSImage,
} from '../../deployments'
import { useSession } from '../../session'
import { keyKind, type SSHKey } from '../../sshkeys'

export interface VmChoice {
  name: string
  image: string
  ssh_key: string
  /** One of the customer's saved keys (ssh_key then holds its public key), or null: a pasted key. */
  ssh_key_id: string | null
  /** Save the pasted key to the account, under ssh_key_name. */
  save_ssh_key: boolean
  ssh_key_name: string
  placement: 'default' | 'advanced'
  node_id: number | null
  backup: 'none' | 'vm' | 'qsfs'
}

/** The request fields these sections own: useForm shows the server's errors beside them. */
export const vmFields = ['name', 'image', 'ssh_key', 'ssh_key_id', 'ssh_key_name', 'placement', 'node_id', 'backup']

export const initialVmChoice: VmChoice = {
  name: '',
  image: 'ubuntu-24.04',
  ssh_key: '',
  ssh_key_id: null,
  save_ssh_key: true,
  ssh_key_name: '',
  placement: 'default',
  node_id: null,
  backup: 'none',
}

/** The VM part of the POST /api/deployments body. */
export function vmRequest(c: VmChoice) {
  return {
    name: c.name.trim(),
    image: c.image,
    ...(c.ssh_key_id
      ? { ssh_key_id: c.ssh_key_id }
      : { ssh_key: c.ssh_key.trim(), ...(c.save_ssh_key ? { save_ssh_key: true, ssh_key_name: c.ssh_key_name.trim() } : {}) }),
    placement: c.placement,
    ...(c.placement === 'advanced' && c.node_id ? { node_id: c.node_id } : {}),
    backup: c.backup,
  }
}

/** vmProblem is the first thing the customer still has to fix before paying, or ''. */
export function vmProblem(c: VmChoice): string {
  if (!c.name.trim()) return 'Name your server.'
  if (checkName(c.name)) return 'Fix the server name.'
  if (!c.image) return 'Pick an image.'
  if (!c.ssh_key_id && !c.ssh_key.trim()) return 'Add your SSH public key.'
  if (!c.ssh_key_id && checkSSHKey(c.ssh_key)) return 'Fix the SSH key.'
  if (c.placement === 'advanced' && !c.node_id) return 'Pick a node, or let us choose.'
  return ''
}

// ——— Name ———

export function NameField({
  value,
  onChange,
  error,
}: {
  value: string
  onChange: (v: string) => void
  error?: string
}) {
  const id = useId()
  const local = checkName(value)
  const shown = error || local
  return (
    <div className="rounded-fd border border-border bg-surface p-4 shadow-xs sm:p-5" data-testid="deploy-name-section">
        <label htmlFor={id} className="text-sm font-medium text-fg">
          Server name
        </label>
        <input
          id={id}
          name="name"
          value={value}
          onChange={(e) => onChange(e.target.value.toLowerCase().replace(/\s+/g, '-'))}
          placeholder="web-1"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          maxLength={63}
          aria-invalid={shown ? true : undefined}
          aria-describedby={shown ? `${id}-error` : `${id}-hint`}
          data-testid="deploy-name"
          className={inputClass(!!shown, 'mt-1.5 h-10 font-mono sm:max-w-sm')}
        />
        {shown ? (
          <FieldError id={`${id}-error`} name="name">
            {shown}
          </FieldError>
        ) : (
          <p id={`${id}-hint`} className="mt-1.5 text-sm text-muted">
            Lowercase letters, digits and hyphens, starting with a letter. It also becomes the server’s hostname.
          </p>
        )}
    </div>
  )
}

// ——— Image ———

const imageArt: Record<string, { mark: ReactNode; tint: string }> = {
  ubuntu: {
    tint: 'bg-[#E95420]',
    mark: (
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true">
        <circle cx="12" cy="12" r="6.2" fill="none" stroke="#fff" strokeWidth="2.2" />
        <circle cx="5.2" cy="12" r="2.2" fill="#fff" />
        <circle cx="15.4" cy="6.1" r="2.2" fill="#fff" />
        <circle cx="15.4" cy="17.9" r="2.2" fill="#fff" />
      </svg>
    ),
  },
  debian: {
    tint: 'bg-[#A80030]',
    mark: (
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true">
        <path
          d="M13.6 5.2a6.9 6.9 0 0 0-7.3 4.6 6.6 6.6 0 0 0 2.2 7.4 6 6 0 0 0 6.3.6"
          fill="none"
          stroke="#fff"
          strokeWidth="2"
          strokeLinecap="round"
        />
        <path d="M13.2 9.4a2.9 2.9 0 0 0-3.6 2.4 2.7 2.7 0 0 0 2.5 3" fill="none" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" />
      </svg>
    ),
  },
  nixos: {
    tint: 'bg-[#5277C3]',
    mark: (
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true">
        {[0, 60, 120, 180, 240, 300].map((a) => (
          <path
            key={a}
            d="M12 3.5l2 3.4h-4z"
            fill={a % 120 === 0 ? '#fff' : '#C6D4EE'}
            transform={`rotate(${a} 12 12) translate(0 1.2)`}
          />
        ))}
      </svg>
    ),
  },
}

function artFor(id: string) {
  const family = id.split('-')[0] ?? ''
  return imageArt[family] ?? { tint: 'bg-slate-600', mark: <ServerIcon className="size-5 text-white" /> }
}

function imageParts(img: OSImage): { family: string; version: string } {
  const label = img.label || img.id
  const m = label.match(/^(\S+)\s+(.*)$/)
  return m ? { family: m[1] ?? label, version: m[2] ?? '' } : { family: label, version: '' }
}

export function ImagePicker({
  value,
  onChange,
  error,
}: {
  value: string
  onChange: (v: string) => void
  error?: string
}) {
  const images = useApi<{ items: OSImage[] }>('/api/images')
  const items = images.data?.items ?? []
  const name = useId()
  // Keep the choice valid when the storefront's list does not offer the default.
  useEffect(() => {
    const first = items[0]
    if (first && !items.some((i) => i.id === value)) onChange(first.id)
  }, [items, value, onChange])

  return (
    <div>
      <div role="radiogroup" aria-label="Image" className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        {images.loading && !items.length
          ? [0, 1, 2, 3].map((i) => <div key={i} className="h-[4.5rem] animate-pulse rounded-fd border border-border bg-surface" />)
          : items.map((img) => {
              const art = artFor(img.id)
              const { family, version } = imageParts(img)
              const on = img.id === value
              return (
                <label
                  key={img.id}
                  data-testid="image-card"
                  data-image={img.id}
                  className={cx(
                    'relative flex cursor-pointer items-center gap-3 rounded-fd border bg-surface p-3 shadow-xs transition-colors',
                    'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
                    on ? 'border-primary ring-1 ring-primary' : 'border-border hover:border-primary/40',
                  )}
                >
                  <input
                    type="radio"
                    name={`image-${name}`}
                    value={img.id}
                    checked={on}
                    onChange={() => onChange(img.id)}
                    className="sr-only"
                  />
                  <span className={cx('inline-flex size-10 shrink-0 items-center justify-center rounded-fd-sm', art.tint)}>
                    {art.mark}
                  </span>
                  <span className="min-w-0">
                    <span className="block truncate text-sm font-semibold text-fg">{family}</span>
                    <span className="block truncate text-xs text-muted">{version || '\u00a0'}</span>
                  </span>
                  {on ? <CheckCircleIcon className="absolute top-2 right-2 size-4 text-primary" /> : null}
                </label>
              )
            })}
      </div>
      {/* The server names the field "image"; this hidden input lets useForm focus near it. */}
      <input type="hidden" name="image" value={value} />
      <FieldError id={`${name}-error`} name="image">
        {error}
      </FieldError>
    </div>
  )
}

// ——— SSH key ———

function keyLabel(key: string): { type: string; comment: string; tail: string } {
  const [type = '', data = '', ...rest] = key.trim().split(/\s+/)
  return { type: type.replace(/^ssh-/, ''), comment: rest.join(' '), tail: data.slice(-8) }
}

/**
 * SshKeyField offers the customer's saved keys (Account → SSH keys) and "Paste a new key",
 * with "Save this key" so the next server is one click. The server validates the key and
 * names the field at fault: ssh_key, ssh_key_id or ssh_key_name.
 */
export function SshKeyField({
  choice,
  onChange,
  error,
  idError,
  nameError,
}: {
  choice: Pick<VmChoice, 'ssh_key' | 'ssh_key_id' | 'save_ssh_key' | 'ssh_key_name'>
  onChange: (patch: Partial<VmChoice>) => void
  error?: string
  idError?: string
  nameError?: string
}) {
  const id = useId()
  const session = useSession()
  const saved = useApi<{ items: SSHKey[] }>(session.status === 'signed-in' ? '/api/account/ssh-keys' : null)
  const keys = useMemo(() => saved.data?.items ?? [], [saved.data])
  const [picked, setPicked] = useState(false)
  // The newest saved key is the default until the customer picks or types.
  useEffect(() => {
    const newest = keys[0]
    if (!picked && newest && !choice.ssh_key_id && !choice.ssh_key.trim()) {
      onChange({ ssh_key_id: newest.id, ssh_key: newest.public_key })
    }
  }, [keys, picked, choice.ssh_key_id, choice.ssh_key, onChange])

  const pasting = !choice.ssh_key_id
  const value = choice.ssh_key
  const local = pasting ? checkSSHKey(value) : ''
  const shown = error || local
  const ok = pasting && value.trim() !== '' && !shown
  const comment = keyLabel(value).comment

  const choose = (k: SSHKey | null) => {
    setPicked(true)
    onChange(k ? { ssh_key_id: k.id, ssh_key: k.public_key } : { ssh_key_id: null, ssh_key: '' })
  }

  return (
    <div className="rounded-fd border border-border bg-surface p-4 shadow-xs sm:p-5" data-testid="deploy-ssh-section">
      {keys.length ? (
        <fieldset className="mb-4">
          <legend className="text-sm font-medium text-fg">Your saved keys</legend>
          <div className="mt-2 grid grid-cols-1 gap-2 sm:grid-cols-2" role="radiogroup" aria-label="SSH key">
            {keys.map((k) => {
              const on = choice.ssh_key_id === k.id
              return (
                <label
                  key={k.id}
                  data-testid="saved-key"
                  data-name={k.name}
                  data-selected={on ? 'true' : 'false'}
                  className={cx(
                    'relative flex min-w-0 cursor-pointer items-start gap-3 rounded-fd-sm border p-3 pr-7 transition-colors focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-primary',
                    on ? 'border-primary bg-primary/5 ring-1 ring-primary' : 'border-border hover:border-primary/40',
                  )}
                >
                  <input type="radio" name={`${id}-key`} className="sr-only" checked={on} onChange={() => choose(k)} />
                  <KeyIcon className={cx('mt-0.5 size-4 shrink-0', on ? 'text-primary' : 'text-muted')} />
                  <span className="min-w-0 flex-1">
                    <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
                      <span className="truncate text-sm font-semibold text-fg">{k.name}</span>
                      <Badge tone="neutral">{keyKind(k.key_type, k.bits)}</Badge>
                    </span>
                    <code className="mt-1 block truncate font-mono text-[0.7rem] text-muted" title={k.fingerprint}>
                      {k.fingerprint}
                    </code>
                  </span>
                  {on ? <CheckCircleIcon className="absolute top-2 right-2 size-4 text-primary" /> : null}
                </label>
              )
            })}
            <label
              data-testid="new-key"
              data-selected={pasting ? 'true' : 'false'}
              className={cx(
                'flex min-w-0 cursor-pointer items-center gap-3 rounded-fd-sm border border-dashed p-3 transition-colors focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-primary',
                pasting ? 'border-primary bg-primary/5 ring-1 ring-primary' : 'border-border hover:border-primary/40',
              )}
            >
              <input type="radio" name={`${id}-key`} className="sr-only" checked={pasting} onChange={() => choose(null)} />
              <PlusIcon className={cx('size-4 shrink-0', pasting ? 'text-primary' : 'text-muted')} />
              <span className="text-sm font-semibold text-fg">Paste a new key</span>
            </label>
          </div>
          <input type="hidden" name="ssh_key_id" value={choice.ssh_key_id ?? ''} />
          <FieldError id={`${id}-id-error`} name="ssh_key_id">
            {idError}
          </FieldError>
        </fieldset>
      ) : null}

      {pasting ? (
        <>
          <label htmlFor={id} className="text-sm font-medium text-fg">
            Public key
          </label>
          <textarea
            id={id}
            name="ssh_key"
            value={value}
            onChange={(e) => onChange({ ssh_key: e.target.value })}
            rows={3}
            placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@laptop"
            spellCheck={false}
            autoCapitalize="off"
            autoCorrect="off"
            aria-invalid={shown ? true : undefined}
            aria-describedby={shown ? `${id}-error` : `${id}-hint`}
            data-testid="deploy-ssh-key"
            className={inputClass(!!shown, 'mt-1.5 min-h-20 py-2 font-mono text-xs break-all sm:text-xs')}
          />
          {shown ? (
            <FieldError id={`${id}-error`} name="ssh_key">
              {shown}
            </FieldError>
          ) : ok ? (
            <p id={`${id}-hint`} className="mt-1.5 flex items-center gap-1.5 text-sm text-emerald-700" data-testid="ssh-key-ok">
              <CheckIcon className="size-4" />
              Looks like a valid {keyLabel(value).type} key.
            </p>
          ) : (
            <p id={`${id}-hint`} className="mt-1.5 text-sm text-muted">
              Paste the contents of <code className="font-mono text-xs">~/.ssh/id_ed25519.pub</code>. No key yet? Run{' '}
              <code className="font-mono text-xs">ssh-keygen -t ed25519</code>.
            </p>
          )}
          {session.status === 'signed-in' ? (
            <div className="mt-4 flex flex-col gap-3 border-t border-border pt-4 sm:flex-row sm:items-start">
              <Checkbox
                className="sm:mt-2 sm:flex-1"
                label="Save this key to my account"
                description="Offered on your next server; manage keys under Account → SSH keys."
                checked={choice.save_ssh_key}
                onChange={(e) => onChange({ save_ssh_key: e.target.checked })}
                data-testid="save-ssh-key"
              />
              {choice.save_ssh_key ? (
                <div className="sm:w-56">
                  <label htmlFor={`${id}-name`} className="text-sm font-medium text-fg">
                    Key name
                  </label>
                  <input
                    id={`${id}-name`}
                    name="ssh_key_name"
                    value={choice.ssh_key_name}
                    onChange={(e) => onChange({ ssh_key_name: e.target.value })}
                    placeholder={comment || 'e.g. laptop'}
                    maxLength={64}
                    autoComplete="off"
                    aria-invalid={nameError ? true : undefined}
                    aria-describedby={nameError ? `${id}-name-error` : undefined}
                    data-testid="ssh-key-name"
                    className={inputClass(!!nameError, 'mt-1.5')}
                  />
                  <FieldError id={`${id}-name-error`} name="ssh_key_name">
                    {nameError}
                  </FieldError>
                </div>
              ) : null}
            </div>
          ) : null}
        </>
      ) : (
        <p className="text-sm text-muted" data-testid="saved-key-note">
          Your server gets this key for <code className="font-mono text-xs">root</code>. Manage keys under{' '}
          <a href="/account/ssh-keys" className="font-medium text-primary underline-offset-2 hover:underline">
            Account → SSH keys
          </a>
          .
        </p>
      )}
    </div>
  )
}

// ——— Placement ———

export interface Need {
  cpu: number
  ram_gb: number
  disk_gb: number
}

const GB = 1024 ** 3
const PAGE = 8

/** A node as GET /api/nodes sends it: the grid's view plus what is free after pending orders. */
export type PickNode = GridNode & {
  free_ipv4: number
  free_cpu: number
  free_ram_gb: number
  free_disk_gb: number
  gpu_count: number
  uptime_seconds: number
}

/** room says whether the node has room for the size, net of what pending orders hold. */
function room(n: PickNode, need: Need | null): boolean {
  if (!need) return true
  if (n.free_cpu === undefined) {
    const f = free(n)
    return f.CRU >= need.cpu && f.MRU >= need.ram_gb * GB && f.SRU >= need.disk_gb * GB
  }
  return n.free_cpu >= need.cpu && n.free_ram_gb >= need.ram_gb && n.free_disk_gb >= need.disk_gb
}

/** whyNot is why the node cannot take this order ('' when it can): the same checks the server makes before charging. */
function whyNot(n: PickNode, need: Need | null, ipv4: boolean): string {
  if (!room(n, need)) return 'Not enough room for this size'
  if (ipv4 && n.free_ipv4 <= 0) return 'No free public IPv4 at this farm'
  return ''
}

/** "380 GB", "2.2 TB" */
function gbLabel(gb: number): string {
  return gb >= 1000 ? `${(gb / 1000).toFixed(1).replace(/\.0$/, '')} TB` : `${gb} GB`
}

/** "3 d", "5 h": how long the node has been up. */
export function uptimeLabel(seconds: number): string {
  if (!seconds || seconds < 0) return '—'
  const d = Math.floor(seconds / 86400)
  if (d >= 1) return `${d} d`
  const h = Math.floor(seconds / 3600)
  return h >= 1 ? `${h} h` : `${Math.max(1, Math.floor(seconds / 60))} min`
}

export function CountryChip({ country }: { country: string }) {
  return (
    <span
      className="inline-flex h-4 w-6 shrink-0 items-center justify-center rounded-[3px] bg-slate-100 font-mono text-[0.6rem] font-bold text-slate-600 ring-1 ring-slate-300 ring-inset"
      aria-hidden="true"
    >
      {countryCode(country)}
    </span>
  )
}

export function CertifiedBadge() {
  return (
    <Badge tone="success" className="gap-1" title="Certified hardware in a professional data centre">
      <ShieldCheckIcon className="size-3" />
      Certified
    </Badge>
  )
}

export function PlacementPicker({
  placement,
  nodeId,
  onChange,
  error,
  need,
  ipv4 = false,
  offer,
}: {
  placement: VmChoice['placement']
  nodeId: number | null
  onChange: (patch: Partial<VmChoice>) => void
  error?: string
  /** The chosen size, to mark the nodes without room for it. */
  need: Need | null
  /** The order asks for a public IPv4: nodes whose farm has none free cannot be picked. */
  ipv4?: boolean
  /** A co-op offer the form was opened from: only its nodes may be picked. */
  offer?: string
}) {
  const name = useId()
  return (
    <div>
      <div role="radiogroup" aria-label="Placement" className="grid gap-3 sm:grid-cols-2">
        <ChoiceCard
          name={`placement-${name}`}
          checked={placement === 'default'}
          onSelect={() => onChange({ placement: 'default', node_id: null })}
          title="Let us choose"
          badge="Recommended"
          testId="placement-default"
        >
          We pick a healthy node with room to spare, spreading servers across farms.
        </ChoiceCard>
        <ChoiceCard
          name={`placement-${name}`}
          checked={placement === 'advanced'}
          onSelect={() => onChange({ placement: 'advanced' })}
          title="Choose nodes"
          testId="placement-advanced"
        >
          Pick the node yourself by country, farm, certification, GPU, public IPv4 and free capacity.
        </ChoiceCard>
      </div>
      <input type="hidden" name="placement" value={placement} />
      {placement === 'advanced' ? (
        <NodePicker value={nodeId} onChange={(id) => onChange({ node_id: id })} need={need} ipv4={ipv4} error={error} offer={offer} />
      ) : (
        <FieldError id={`${name}-error`} name="placement">
          {error}
        </FieldError>
      )}
    </div>
  )
}

const ramSteps = [0, 2, 4, 8, 16, 32, 64]

function NodePicker({
  value,
  onChange,
  need,
  ipv4,
  error,
  offer,
}: {
  value: number | null
  onChange: (id: number | null) => void
  need: Need | null
  ipv4: boolean
  error?: string
  offer?: string
}) {
  const nodes = useApi<{ items: PickNode[] }>(offer ? `/api/nodes?offer=${encodeURIComponent(offer)}` : '/api/nodes')
  const all = useMemo(() => nodes.data?.items ?? [], [nodes.data])
  const [country, setCountry] = useState('')
  const [farm, setFarm] = useState('')
  const [minRam, setMinRam] = useState(0)
  const [certified, setCertified] = useState(false)
  const [gpu, setGpu] = useState(false)
  const [withIPv4, setWithIPv4] = useState(false)
  const [roomy, setRoomy] = useState(true)
  const [page, setPage] = useState(0)
  const errId = useId()
  const radio = useId()

  const countries = useMemo(() => [...new Set(all.map((n) => n.Country).filter(Boolean))].sort(), [all])
  const farms = useMemo(() => {
    const m = new Map<number, string>()
    for (const n of all) m.set(n.FarmID, n.FarmName || `Farm ${n.FarmID}`)
    return [...m.entries()].sort((a, b) => a[1].localeCompare(b[1]))
  }, [all])
  const shown = all.filter(
    (n) =>
      (!country || n.Country === country) &&
      (!farm || String(n.FarmID) === farm) &&
      (!minRam || (n.free_ram_gb ?? 0) >= minRam) &&
      (!certified || n.Certified) &&
      (!gpu || hasGPU(n)) &&
      (!withIPv4 || n.free_ipv4 > 0) &&
      (!roomy || room(n, need)),
  )
  const pages = Math.max(1, Math.ceil(shown.length / PAGE))
  const p = Math.min(page, pages - 1)
  const rows = shown.slice(p * PAGE, p * PAGE + PAGE)
  useEffect(() => setPage(0), [country, farm, minRam, certified, gpu, withIPv4, roomy])
  // A picked node that can no longer take the order (size or IPv4 changed) is unpicked.
  const picked = all.find((n) => n.ID === value)
  useEffect(() => {
    if (picked && whyNot(picked, need, ipv4)) onChange(null)
  }, [picked, need, ipv4, onChange])

  const selectCls = inputClass(false, 'h-9 pr-8 text-sm')
  const cols = 'md:grid-cols-[1.5rem_3.5rem_minmax(0,1fr)_minmax(0,1fr)_minmax(0,1.2fr)_4.25rem_3rem]'
  return (
    <div className="mt-4 overflow-hidden rounded-fd border border-border bg-surface shadow-xs" data-testid="node-picker">
      <div className="flex flex-col gap-3 border-b border-border p-4 sm:flex-row sm:flex-wrap sm:items-end">
        <label className="flex min-w-0 flex-col gap-1 text-xs font-medium text-muted sm:w-40">
          Country
          <select value={country} onChange={(e) => setCountry(e.target.value)} className={selectCls} data-testid="node-filter-country">
            <option value="">All countries</option>
            {countries.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label className="flex min-w-0 flex-col gap-1 text-xs font-medium text-muted sm:w-40">
          Farm
          <select value={farm} onChange={(e) => setFarm(e.target.value)} className={selectCls} data-testid="node-filter-farm">
            <option value="">All farms</option>
            {farms.map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex min-w-0 flex-col gap-1 text-xs font-medium text-muted sm:w-32">
          Free RAM
          <select value={minRam} onChange={(e) => setMinRam(Number(e.target.value))} className={selectCls} data-testid="node-filter-ram">
            {ramSteps.map((g) => (
              <option key={g} value={g}>
                {g ? `${g} GB or more` : 'Any'}
              </option>
            ))}
          </select>
        </label>
        <div className="flex flex-wrap gap-x-4 gap-y-2 pb-2 text-sm">
          <Toggle checked={withIPv4} onChange={setWithIPv4} label="IPv4 available" testId="node-filter-ipv4" />
          <Toggle checked={gpu} onChange={setGpu} label="With GPU" testId="node-filter-gpu" />
          <Toggle checked={certified} onChange={setCertified} label="Certified only" testId="node-filter-certified" />
          {need ? <Toggle checked={roomy} onChange={setRoomy} label="Room for this size" testId="node-filter-room" /> : null}
        </div>
      </div>

      {nodes.loading && !all.length ? (
        <p className="p-5 text-sm text-muted">Loading nodes…</p>
      ) : nodes.error ? (
        <p className="p-5 text-sm text-red-700">The nodes could not be loaded. Try again in a moment, or let us choose.</p>
      ) : !all.length ? (
        <p className="p-5 text-sm text-muted" data-testid="node-picker-empty">
          This store offers no nodes to pick right now. Let us choose instead.
        </p>
      ) : !rows.length ? (
        <div className="p-5 text-sm text-muted" data-testid="node-picker-none">
          No node matches these filters.{' '}
          <button
            type="button"
            className="font-semibold text-primary hover:underline"
            onClick={() => {
              setCountry('')
              setFarm('')
              setMinRam(0)
              setCertified(false)
              setGpu(false)
              setWithIPv4(false)
            }}
          >
            Clear filters
          </button>
        </div>
      ) : (
        <div role="radiogroup" aria-label="Node" aria-describedby={error ? errId : undefined}>
          <div
            className={cx(
              'hidden gap-3 border-b border-border px-4 py-2 text-xs font-semibold tracking-wide text-muted uppercase md:grid',
              cols,
            )}
          >
            <span />
            <span>Node</span>
            <span>Location</span>
            <span>Farm</span>
            <span>Free now</span>
            <span>IPv4</span>
            <span>Uptime</span>
          </div>
          <ul className="divide-y divide-border">
            {rows.map((n) => {
              const on = n.ID === value
              const why = whyNot(n, need, ipv4)
              return (
                <li key={n.ID}>
                  <label
                    data-testid="node-option"
                    data-node={n.ID}
                    data-ipv4={n.free_ipv4}
                    data-gpu={hasGPU(n) ? 'true' : 'false'}
                    data-certified={n.Certified ? 'true' : 'false'}
                    data-free-ram={n.free_ram_gb}
                    data-pickable={why ? 'false' : 'true'}
                    className={cx(
                      'grid cursor-pointer grid-cols-[2rem_minmax(0,1fr)] gap-x-3 gap-y-1 px-4 py-3 md:items-center',
                      cols,
                      on ? 'bg-primary/8' : 'hover:bg-primary/[0.03]',
                      why && 'cursor-not-allowed opacity-55',
                    )}
                  >
                    <input
                      type="radio"
                      name={`node-${radio}`}
                      value={n.ID}
                      checked={on}
                      disabled={!!why}
                      onChange={() => onChange(n.ID)}
                      className="size-4 accent-[var(--fd-primary)] md:row-span-1"
                    />
                    <span className="font-mono text-sm font-semibold text-fg">#{n.ID}</span>
                    <span className="col-start-2 flex min-w-0 items-center gap-2 text-sm text-fg md:col-start-auto">
                      <CountryChip country={n.Country} />
                      <span className="truncate" title={`${n.City ? `${n.City}, ` : ''}${n.Country}`}>
                        {n.City || n.Country}
                      </span>
                    </span>
                    <span className="col-start-2 flex min-w-0 flex-wrap items-center gap-1.5 text-sm text-muted md:col-start-auto">
                      <span className="max-w-full truncate" title={n.FarmName}>
                        {n.FarmName || `Farm ${n.FarmID}`}
                      </span>
                      {n.Certified ? <CertifiedBadge /> : null}
                      {hasGPU(n) ? (
                        <Badge tone="primary" title={(n.GPUs ?? []).map((g) => `${g.Vendor} ${g.Device}`).join(', ')}>
                          {n.gpu_count > 1 ? `${n.gpu_count} GPUs` : 'GPU'}
                        </Badge>
                      ) : null}
                    </span>
                    <span className="col-start-2 text-sm text-fg tabular-nums md:col-start-auto" data-testid="node-free">
                      {n.free_cpu !== undefined ? (
                        <>
                          <span>
                            {n.free_cpu} vCPU · {n.free_ram_gb} GB RAM
                          </span>{' '}
                          <span className="whitespace-nowrap text-muted md:block">· {gbLabel(n.free_disk_gb)} SSD</span>
                        </>
                      ) : (
                        capacityLine(free(n))
                      )}
                      {why ? <span className="block text-xs text-muted">{why}</span> : null}
                    </span>
                    <span className="col-start-2 text-sm md:col-start-auto" data-testid="node-ipv4">
                      <span className="mr-1.5 text-muted md:hidden">Public IPv4</span>
                      {n.free_ipv4 > 0 ? (
                        <Badge tone="success" title="Public IPv4 addresses still free at this farm">
                          {n.free_ipv4} free
                        </Badge>
                      ) : (
                        <Badge title="This farm has no public IPv4 address free; Mycelium and IPv6 still work">None</Badge>
                      )}
                    </span>
                    <span className="col-start-2 text-sm text-muted tabular-nums md:col-start-auto" title="Time since the node last booted">
                      <span className="md:hidden">Up </span>
                      {uptimeLabel(n.uptime_seconds)}
                    </span>
                  </label>
                </li>
              )
            })}
          </ul>
        </div>
      )}
      {pages > 1 ? (
        <div className="flex items-center justify-between gap-3 border-t border-border px-4 py-2.5">
          <p className="text-sm text-muted">
            {shown.length} nodes · page {p + 1} of {pages}
          </p>
          <div className="flex gap-2">
            <Button size="sm" variant="secondary" disabled={p === 0} onClick={() => setPage(p - 1)}>
              Previous
            </Button>
            <Button size="sm" variant="secondary" disabled={p >= pages - 1} onClick={() => setPage(p + 1)}>
              Next
            </Button>
          </div>
        </div>
      ) : null}
      <input type="hidden" name="node_id" value={value ?? ''} />
      {error ? (
        <div className="border-t border-border px-4 pb-3">
          <FieldError id={errId} name="node_id">
            {error}
          </FieldError>
        </div>
      ) : null}
    </div>
  )
}

function Toggle({
  checked,
  onChange,
  label,
  testId,
}: {
  checked: boolean
  onChange: (v: boolean) => void
  label: string
  testId?: string
}) {
  return (
    <label className="inline-flex cursor-pointer items-center gap-2 text-sm text-fg">
      <input
        type="checkbox"
        data-testid={testId}
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        className="size-4 rounded accent-[var(--fd-primary)]"
      />
      {label}
    </label>
  )
}

// ——— Backup ———

export function BackupPicker({
  value,
  onChange,
  error,
}: {
  value: VmChoice['backup']
  onChange: (v: VmChoice['backup']) => void
  error?: string
}) {
  const name = useId()
  return (
    <div>
      <div role="radiogroup" aria-label="Backup" className="grid gap-3">
        <ChoiceCard
          name={`backup-${name}`}
          checked={value === 'none'}
          onSelect={() => onChange('none')}
          title="No backup"
          testId="backup-none"
        >
          If the node fails, we re-create the server on another node. Data on its disk is lost.
        </ChoiceCard>
        <ChoiceCard
          name={`backup-${name}`}
          checked={value === 'vm'}
          onSelect={() => onChange('vm')}
          title="Backup VM"
          testId="backup-vm"
        >
          A standby copy runs on another node in another farm. If your node fails, the standby takes over (failover) and
          we place a new standby.
        </ChoiceCard>
        <ChoiceCard
          name={`backup-${name}`}
          checked={value === 'qsfs'}
          onSelect={() => onChange('qsfs')}
          title="QSFS backup swarm"
          testId="backup-qsfs"
        >
          Your /backup folder is spread over 20 storage nodes and survives 8 of the 20 storage nodes failing.
        </ChoiceCard>
      </div>
      <input type="hidden" name="backup" value={value} />
      <FieldError id={`${name}-error`} name="backup">
        {error}
      </FieldError>
    </div>
  )
}

function ChoiceCard({
  name,
  checked,
  onSelect,
  title,
  badge,
  children,
  testId,
}: {
  name: string
  checked: boolean
  onSelect: () => void
  title: string
  badge?: string
  children: ReactNode
  testId: string
}) {
  return (
    <label
      data-testid={testId}
      className={cx(
        'relative flex cursor-pointer gap-3 rounded-fd border bg-surface p-4 shadow-xs transition-colors',
        'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
        checked ? 'border-primary ring-1 ring-primary' : 'border-border hover:border-primary/40',
      )}
    >
      <input type="radio" name={name} checked={checked} onChange={onSelect} className="mt-0.5 size-4 shrink-0 accent-[var(--fd-primary)]" />
      <span className="min-w-0">
        <span className="flex flex-wrap items-center gap-2">
          <span className="text-sm font-semibold text-fg">{title}</span>
          {badge ? <Badge tone="primary">{badge}</Badge> : null}
        </span>
        <span className="mt-1 block text-sm leading-6 text-muted">{children}</span>
      </span>
    </label>
  )
}

// ——— Summary ———

/** The VM lines of the sticky order summary. */
export function vmSummary(c: VmChoice, images?: OSImage[]): { label: string; value: string }[] {
  return [
    { label: 'Name', value: c.name.trim() || '—' },
    { label: 'Image', value: c.image ? imageLabel(c.image, images) : '—' },
    { label: 'Placement', value: c.placement === 'advanced' ? (c.node_id ? `Node ${c.node_id}` : 'Pick a node') : 'Chosen for you' },
    { label: 'Backup', value: c.backup === 'vm' ? 'Backup VM' : c.backup === 'qsfs' ? 'QSFS swarm' : 'None' },
  ]
}
