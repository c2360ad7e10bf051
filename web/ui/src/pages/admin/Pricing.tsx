import { useEffect, useId, useMemo, useState, type ReactNode } from 'react'
import { api, ApiError, isApiError, sentence } from '../../api'
import {
  bpsInput,
  currencySymbol,
  money,
  parseMajor,
  parsePct,
  pct,
  specLine,
  toMajorInput,
  type Coupon,
  type Pricing as PricingData,
  type Quote,
  type TierKind,
} from '../../billing'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, Loading, PageHeader, Panel, Time, useApi, type Column } from '../../components/data'
import {
  Alert,
  ErrorPanel,
  FieldError,
  FormError,
  inputClass,
  SelectField,
  SubmitButton,
  TextField,
  useForm,
  type FormState,
} from '../../components/forms'
import { PercentIcon, PlusIcon, TagIcon, TrashIcon } from '../../components/icons'
import { Button, cx, usePageTitle } from '../../components/ui'
import { canManageTenant, useSession } from '../../session'

// ——— The editable draft (text inputs, parsed on save) ———

interface SizeDraft {
  key: string
  id: string
  name: string
  cpu: string
  ram_gb: string
  disk_gb: string
  fixed: string
}

interface TierDraft {
  key: string
  kind: TierKind
  threshold: string
  pct: string
}

interface Draft {
  mode: 'margin' | 'fixed'
  margin: string
  ipv4: string
  standby: string
  qsfs: string
  sizes: SizeDraft[]
  tiers: TierDraft[]
}

let keys = 0
const nextKey = () => `k${++keys}`

function toDraft(p: PricingData): Draft {
  const c = p.currency
  return {
    mode: p.rule.mode,
    margin: bpsInput(p.rule.margin_bps),
    ipv4: toMajorInput(p.rule.ipv4_cents, c),
    standby: p.rule.standby_cents ? toMajorInput(p.rule.standby_cents, c) : '',
    qsfs: p.rule.qsfs_cents ? toMajorInput(p.rule.qsfs_cents, c) : '',
    sizes: p.rule.sizes.map((s) => ({
      key: nextKey(),
      id: s.id,
      name: s.name,
      cpu: String(s.cpu),
      ram_gb: String(s.ram_gb),
      disk_gb: String(s.disk_gb),
      fixed: s.fixed_cents ? toMajorInput(s.fixed_cents, c) : '',
    })),
    tiers: p.tiers.map((t) => ({ key: nextKey(), kind: t.kind, threshold: String(t.threshold), pct: bpsInput(t.pct_bps) })),
  }
}

const comparable = (d: Draft) =>
  JSON.stringify({ ...d, sizes: d.sizes.map(({ key: _k, ...s }) => s), tiers: d.tiers.map(({ key: _k, ...t }) => t) })

const invalid = (field: string, message: string) => new ApiError({ status: 400, code: 'invalid', field, message })

/** toPayload parses the draft into the API's shape, naming the input at fault as the server would. */
function toPayload(d: Draft, currency: string): Omit<PricingData, 'currency' | 'coupons'> {
  const margin = parsePct(d.margin)
  if (d.mode === 'margin' && Number.isNaN(margin)) throw invalid('rule.margin_bps', 'enter the margin as a percentage, e.g. 50')
  const ipv4 = d.ipv4.trim() ? parseMajor(d.ipv4, currency) : 0
  if (Number.isNaN(ipv4)) throw invalid('rule.ipv4_cents', `enter a monthly amount, e.g. ${toMajorInput(300, currency)}`)
  const standby = d.standby.trim() ? parseMajor(d.standby, currency) : 0
  if (Number.isNaN(standby)) throw invalid('rule.standby_cents', 'enter a monthly amount, or leave it empty to price from grid cost')
  const qsfs = d.qsfs.trim() ? parseMajor(d.qsfs, currency) : 0
  if (Number.isNaN(qsfs)) throw invalid('rule.qsfs_cents', 'enter a monthly amount, or leave it empty to price from grid cost')
  const sizes = d.sizes.map((s, i) => {
    const fixed = s.fixed.trim() ? parseMajor(s.fixed, currency) : 0
    if (Number.isNaN(fixed)) throw invalid(`rule.sizes[${i}].fixed_cents`, `enter a monthly price, e.g. ${toMajorInput(900, currency)}`)
    return {
      id: s.id.trim(),
      name: s.name.trim(),
      cpu: Number(s.cpu) || 0,
      ram_gb: Number(s.ram_gb) || 0,
      disk_gb: Number(s.disk_gb) || 0,
      ...(fixed ? { fixed_cents: fixed } : {}),
    }
  })
  const tiers = d.tiers.map((t, i) => {
    const p = parsePct(t.pct)
    if (Number.isNaN(p)) throw invalid(`tiers[${i}]`, 'enter the discount as a percentage, e.g. 10')
    return { kind: t.kind, threshold: Number(t.threshold) || 0, pct_bps: p }
  })
  return { rule: { mode: d.mode, margin_bps: Number.isNaN(margin) ? 0 : margin, ipv4_cents: ipv4, standby_cents: standby, qsfs_cents: qsfs, sizes }, tiers }
}

function fieldsOf(d: Draft): string[] {
  const out = ['rule.mode', 'rule.margin_bps', 'rule.ipv4_cents', 'rule.standby_cents', 'rule.qsfs_cents', 'rule.sizes']
  d.sizes.forEach((_, i) => {
    const f = `rule.sizes[${i}]`
    out.push(f, `${f}.id`, `${f}.name`, `${f}.ram_gb`, `${f}.disk_gb`, `${f}.fixed_cents`)
  })
  d.tiers.forEach((_, i) => out.push(`tiers[${i}]`, `tiers[${i}].threshold`, `tiers[${i}].pct_bps`))
  return out
}

// ——— Small pieces ———

function Mini({
  label,
  name,
  value,
  onChange,
  form,
  disabled,
  prefix,
  suffix,
  inputMode,
  className,
  errorOf,
  quiet = false,
}: {
  label: string
  name: string
  value: string
  onChange: (v: string) => void
  form: FormState
  disabled: boolean
  prefix?: string
  suffix?: string
  inputMode?: 'numeric' | 'decimal' | 'text'
  className?: string
  /** The field whose error marks this input (default: its own name). */
  errorOf?: string
  /** The row shows the message below it (narrow columns), not this input. */
  quiet?: boolean
}) {
  const id = useId()
  const err = form.fieldError(errorOf ?? name)
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-xs font-medium text-muted">
        {label}
      </label>
      <div className="relative">
        {prefix ? (
          <span className="pointer-events-none absolute inset-y-0 left-0 flex items-center pl-3 text-sm text-muted">{prefix}</span>
        ) : null}
        <input
          id={id}
          name={name}
          value={value}
          disabled={disabled}
          inputMode={inputMode}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={err ? true : undefined}
          aria-describedby={err && !quiet ? `${id}-e` : undefined}
          className={inputClass(!!err, cx('h-9', prefix && 'pl-7', suffix && 'pr-9'))}
        />
        {suffix ? (
          <span className="pointer-events-none absolute inset-y-0 right-0 flex items-center pr-3 text-sm text-muted">{suffix}</span>
        ) : null}
      </div>
      {!quiet ? (
        <FieldError id={`${id}-e`} name={name}>
          {err}
        </FieldError>
      ) : null}
    </div>
  )
}

/** RowError shows the first server message about any input of an editor row, below the row. */
function RowError({ form, names, id }: { form: FormState; names: string[]; id: string }) {
  const name = names.find((n) => form.fieldError(n))
  if (!name) return null
  return (
    <FieldError id={id} name={name}>
      {form.fieldError(name)}
    </FieldError>
  )
}

function Row({ children, onRemove, canRemove, label }: { children: ReactNode; onRemove: () => void; canRemove: boolean; label: string }) {
  return (
    <div className="flex items-start gap-2 px-4 py-4 sm:px-5">
      <div className="min-w-0 flex-1">{children}</div>
      {canRemove ? (
        <Button variant="danger-ghost" size="sm" className="mt-5 size-9 px-0!" onClick={onRemove} aria-label={label}>
          <TrashIcon className="size-4" />
        </Button>
      ) : null}
    </div>
  )
}

// ——— Preview ———

/** trimDecimal drops trailing zeros of a decimal string: "405.0000000" → "405". */
const trimDecimal = (v: string) => (v.includes('.') ? v.replace(/\.?0+$/, '') : v)

interface PreviewRow {
  id: string
  name: string
  quote?: Quote
  error?: unknown
}

function Preview({ currency, sizes, nonce }: { currency: string; sizes: PricingData['rule']['sizes']; nonce: number }) {
  const [ipv4, setIpv4] = useState(false)
  const [backup, setBackup] = useState<'none' | 'vm' | 'qsfs'>('none')
  const [rows, setRows] = useState<PreviewRow[] | null>(null)

  useEffect(() => {
    let live = true
    setRows(null)
    Promise.all(
      sizes.map((s) =>
        api.post<Quote>('/api/quote', { size: s.id, months: 1, ipv4, backup }, { auth: 'quiet' }).then(
          (quote): PreviewRow => ({ id: s.id, name: s.name, quote }),
          (error: unknown): PreviewRow => ({ id: s.id, name: s.name, error }),
        ),
      ),
    ).then((r) => live && setRows(r))
    return () => {
      live = false
    }
  }, [sizes, ipv4, backup, nonce])

  const forbidden = rows?.some((r) => isApiError(r.error) && (r.error.status === 403 || r.error.status === 404))
  const m = (c: number | undefined) => (c === undefined ? '—' : money(c, currency))
  const columns: Column<PreviewRow>[] = [
    {
      header: 'Size',
      primary: true,
      cell: (r) => (
        <span>
          <span className="font-medium text-fg">{r.name}</span>
          {r.quote ? <span className="block text-xs text-muted">{specLine(r.quote.spec)}</span> : null}
        </span>
      ),
    },
    {
      header: 'Customer price',
      cell: (r) =>
        r.error ? (
          <span className="text-red-700 dark:text-red-400">{isApiError(r.error) ? sentence(r.error.message) : 'Not available'}</span>
        ) : (
          <span className="font-semibold text-fg" data-testid="preview-price">
            {m(r.quote?.monthly_cents)}
          </span>
        ),
    },
    {
      header: 'Price lines',
      cell: (r) =>
        r.quote?.lines ? (
          <span className="block space-y-0.5 text-xs" data-testid="preview-lines">
            {r.quote.lines.map((l) => (
              <span key={l.kind ?? l.label} className="flex justify-between gap-3" data-testid={`preview-line-${l.kind}`}>
                <span className="text-muted">{l.kind === 'vm' ? 'VM' : l.kind === 'ipv4' ? 'IPv4' : l.kind === 'standby' ? 'Standby VM' : 'QSFS swarm'}</span>
                <span className="text-fg">{money(l.cents, currency)}</span>
              </span>
            ))}
          </span>
        ) : (
          '—'
        ),
    },
    {
      header: 'Grid cost',
      cell: (r) =>
        r.quote?.breakdown ? (
          <span>
            {money(r.quote.breakdown.grid_usd_month_cents, 'usd')}
            <span className="block text-xs text-muted">{trimDecimal(r.quote.breakdown.tft_month)} TFT</span>
          </span>
        ) : (
          '—'
        ),
    },
    { header: 'Stripe fee', cell: (r) => m(r.quote?.breakdown?.stripe_fee_cents) },
    { header: 'Platform fee', cell: (r) => m(r.quote?.breakdown?.platform_fee_cents) },
    {
      header: 'Your margin',
      cell: (r) => {
        const c = r.quote?.breakdown?.margin_cents
        if (c === undefined) return '—'
        return (
          <span className={cx('font-semibold', c < 0 ? 'text-red-700 dark:text-red-400' : 'text-emerald-700 dark:text-emerald-300')} data-testid="preview-margin">
            {money(c, currency)}
          </span>
        )
      },
    },
  ]

  return (
    <Panel
      title="Preview"
      description="What a customer pays per month for each saved size, and what it is made of. Grid cost is at list price, before your staking discount."
      data-testid="pricing-preview"
      actions={
        forbidden ? null : (
        <span className="flex flex-wrap items-center gap-4">
        <label className="inline-flex items-center gap-2 text-sm text-fg">
          <input
            type="checkbox"
            checked={ipv4}
            onChange={(e) => setIpv4(e.target.checked)}
            className="size-4 accent-[var(--fd-primary)]"
          />
          With a public IPv4
        </label>
        <label className="inline-flex items-center gap-2 text-sm text-fg">
          Backup
          <select
            value={backup}
            onChange={(e) => setBackup(e.target.value as 'none' | 'vm' | 'qsfs')}
            className="rounded-md border border-border bg-surface px-2 py-1 text-sm"
            data-testid="preview-backup"
          >
            <option value="none">None</option>
            <option value="vm">Standby VM</option>
            <option value="qsfs">QSFS swarm</option>
          </select>
        </label>
        </span>
        )
      }
    >
      {forbidden ? (
        <div className="p-4 sm:p-5">
          <Alert tone="info">The price preview is available to owners and admins.</Alert>
        </div>
      ) : (
        <DataTable
          caption="Price preview per size"
          columns={columns}
          rows={rows ?? []}
          rowKey={(r) => r.id}
          rowProps={(r) => ({ 'data-testid': 'preview-row', 'data-size': r.id })}
          loading={!rows}
          empty={<p className="p-5 text-sm text-muted">Add a size to see its price.</p>}
        />
      )}
    </Panel>
  )
}

// ——— Coupons ———

function CouponForm({ onClose, onDone }: { onClose: () => void; onDone: (c: Coupon) => void }) {
  const form = useForm(['code', 'pct_bps', 'max_redemptions', 'expires_at'])
  const [code, setCode] = useState('')
  const [percent, setPercent] = useState('')
  const [max, setMax] = useState('')
  const [expires, setExpires] = useState('')

  return (
    <form
      ref={form.formRef}
      noValidate
      onSubmit={form.submit(async () => {
        const p = parsePct(percent)
        if (Number.isNaN(p)) throw invalid('pct_bps', 'enter the discount as a percentage, e.g. 10')
        const body: Record<string, unknown> = { code: code.trim(), pct_bps: p }
        if (max.trim()) body.max_redemptions = Number(max) || 0
        if (expires) body.expires_at = new Date(`${expires}T23:59:59`).toISOString()
        onDone(await api.post<Coupon>('/api/admin/pricing/coupons', body))
      })}
    >
      <div className="space-y-4">
        <FormError form={form} />
        <TextField
          label="Code"
          name="code"
          value={code}
          onChange={(e) => setCode(e.target.value.toUpperCase())}
          hint="3–32 letters, digits, - or _. Customers type it at checkout."
          error={form.fieldError('code')}
          autoFocus
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label="Discount (%)"
          name="pct_bps"
          inputMode="decimal"
          value={percent}
          onChange={(e) => setPercent(e.target.value)}
          hint="Off the price after any period discount, e.g. 10."
          error={form.fieldError('pct_bps')}
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Uses"
            name="max_redemptions"
            optional
            inputMode="numeric"
            value={max}
            onChange={(e) => setMax(e.target.value)}
            hint="Empty for no limit."
            error={form.fieldError('max_redemptions')}
          />
          <TextField
            label="Expires"
            name="expires_at"
            optional
            type="date"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            hint="At the end of that day."
            error={form.fieldError('expires_at')}
          />
        </div>
      </div>
      <DialogActions>
        <Button variant="secondary" onClick={onClose} disabled={form.busy}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="coupon-submit">
          Add coupon
        </SubmitButton>
      </DialogActions>
    </form>
  )
}

function Coupons({ coupons, manage, onChange }: { coupons: Coupon[]; manage: boolean; onChange: () => void }) {
  const [adding, setAdding] = useState(false)
  const [deleting, setDeleting] = useState<Coupon | null>(null)
  const now = Date.now()

  const columns: Column<Coupon>[] = [
    {
      header: 'Code',
      primary: true,
      cell: (c) => <span className="font-mono font-semibold text-fg">{c.code}</span>,
    },
    { header: 'Discount', cell: (c) => pct(c.pct_bps) },
    {
      header: 'Used',
      cell: (c) => (c.max_redemptions ? `${c.redeemed} of ${c.max_redemptions}` : `${c.redeemed} · no limit`),
    },
    {
      header: 'Expires',
      cell: (c) => (c.expires_at ? <Time iso={c.expires_at} relative={false} /> : <span className="text-muted">Never</span>),
    },
    {
      header: 'Status',
      cell: (c) =>
        c.expires_at && new Date(c.expires_at).getTime() < now ? (
          <Badge>Expired</Badge>
        ) : c.max_redemptions && c.redeemed >= c.max_redemptions ? (
          <Badge>Used up</Badge>
        ) : (
          <Badge tone="success" dot>
            Active
          </Badge>
        ),
    },
    ...(manage
      ? [
          {
            header: '',
            actions: true,
            cell: (c: Coupon) => (
              <Button size="sm" variant="danger-ghost" onClick={() => setDeleting(c)} aria-label={`Delete coupon ${c.code}`}>
                Delete
              </Button>
            ),
          },
        ]
      : []),
  ]

  const addButton = manage ? (
    <Button size="sm" variant="secondary" onClick={() => setAdding(true)} data-testid="add-coupon">
      <PlusIcon className="size-4" />
      Add coupon
    </Button>
  ) : null

  return (
    <Panel title="Coupons" description="Codes customers enter at checkout for a percentage off." actions={addButton} data-testid="coupons">
      <DataTable
        caption="Coupons"
        columns={columns}
        rows={coupons}
        rowKey={(c) => c.id}
        rowProps={(c) => ({ 'data-testid': 'coupon-row', 'data-code': c.code })}
        empty={
          <EmptyState icon={TagIcon} title="No coupons" action={addButton}>
            Give a launch discount or thank a community with a code.
          </EmptyState>
        }
      />
      <Dialog open={adding} onClose={() => setAdding(false)} flush title="Add a coupon" testId="coupon-dialog">
        <CouponForm
          onClose={() => setAdding(false)}
          onDone={() => {
            setAdding(false)
            onChange()
          }}
        />
      </Dialog>
      <ConfirmDialog
        open={!!deleting}
        onClose={() => setDeleting(null)}
        title={`Delete coupon ${deleting?.code ?? ''}?`}
        confirmLabel="Delete coupon"
        onConfirm={async () => {
          if (!deleting) return
          await api.del(`/api/admin/pricing/coupons/${deleting.id}`)
          onChange()
        }}
      >
        <p>Customers can no longer use it. Orders already paid with it keep their discount.</p>
      </ConfirmDialog>
    </Panel>
  )
}

// ——— The page ———

export function AdminPricing() {
  usePageTitle('Pricing')
  const { me } = useSession()
  const manage = canManageTenant(me)
  const loaded = useApi<PricingData>('/api/admin/pricing')
  const [saved, setSaved] = useState<PricingData | null>(null)
  const pricing = saved ?? loaded.data
  const [draft, setDraft] = useState<Draft | null>(null)
  const [notice, setNotice] = useState('')
  const [nonce, setNonce] = useState(0)

  useEffect(() => {
    if (pricing && !draft) setDraft(toDraft(pricing))
  }, [pricing, draft])

  const form = useForm(draft ? fieldsOf(draft) : [])
  const currency = pricing?.currency ?? 'usd'
  const sym = currencySymbol(currency)
  const dirty = useMemo(() => !!(draft && pricing && comparable(draft) !== comparable(toDraft(pricing))), [draft, pricing])
  const savedSizes = useMemo(() => pricing?.rule.sizes ?? [], [pricing])

  if (loaded.error)
    return (
      <div className="space-y-8">
        <PageHeader title="Pricing" icon={TagIcon} />
        <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
      </div>
    )
  if (!pricing || !draft) return <Loading />

  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch })
  const setSize = (i: number, patch: Partial<SizeDraft>) =>
    set({ sizes: draft.sizes.map((s, j) => (j === i ? { ...s, ...patch } : s)) })
  const setTier = (i: number, patch: Partial<TierDraft>) =>
    set({ tiers: draft.tiers.map((t, j) => (j === i ? { ...t, ...patch } : t)) })
  const ro = !manage
  const fixed = draft.mode === 'fixed'

  const save = form.submit(async () => {
    setNotice('')
    const out = await api.put<PricingData>('/api/admin/pricing', toPayload(draft, currency))
    setSaved(out)
    setDraft(toDraft(out))
    setNonce((n) => n + 1)
    setNotice('Prices saved. Customers see them from now on.')
  })

  const modeError = form.fieldError('rule.mode')

  return (
    <div className="space-y-8" data-testid="admin-pricing">
      <PageHeader
        title="Pricing"
        icon={TagIcon}
        description="What customers pay: your price rule, discounts for paying ahead, and coupons. Prices are in your storefront's currency."
      />
      {!manage ? <Alert tone="info">Your support role can see prices but not change them.</Alert> : null}
      {notice ? (
        <Alert tone="success" data-testid="pricing-notice">
          {notice}
        </Alert>
      ) : null}

      <form ref={form.formRef} noValidate onSubmit={save} className="space-y-8">
        <FormError form={form} />

        <Panel title="Price rule" description="How the monthly price of each size is set.">
          <div className="space-y-5 p-4 sm:p-5">
            <fieldset>
              <legend className="sr-only">Price rule</legend>
              <div className="grid gap-3 sm:grid-cols-2">
                {(
                  [
                    ['margin', 'Margin on grid cost', 'The grid’s list cost of each machine plus your margin. Custom sizes are on offer.'],
                    ['fixed', 'Fixed prices', 'A monthly price you set per size, whatever the grid costs. Only your sizes are on offer.'],
                  ] as const
                ).map(([mode, title, body]) => (
                  <label
                    key={mode}
                    className={cx(
                      'flex cursor-pointer gap-3 rounded-fd border p-4 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-primary',
                      draft.mode === mode ? 'border-primary ring-1 ring-primary' : 'border-border',
                      ro && 'cursor-default',
                    )}
                  >
                    <input
                      type="radio"
                      name="rule.mode"
                      value={mode}
                      checked={draft.mode === mode}
                      disabled={ro}
                      onChange={() => set({ mode })}
                      className="mt-0.5 size-4 shrink-0 accent-[var(--fd-primary)]"
                      data-testid={`mode-${mode}`}
                    />
                    <span>
                      <span className="block text-sm font-semibold text-fg">{title}</span>
                      <span className="mt-0.5 block text-sm text-muted">{body}</span>
                    </span>
                  </label>
                ))}
              </div>
              <FieldError id="mode-error" name="rule.mode">
                {modeError}
              </FieldError>
            </fieldset>
            <div className="grid gap-4 sm:grid-cols-2 lg:max-w-xl">
              {!fixed ? (
                <Mini
                  label="Margin on grid cost"
                  name="rule.margin_bps"
                  value={draft.margin}
                  onChange={(v) => set({ margin: v })}
                  form={form}
                  disabled={ro}
                  suffix="%"
                  inputMode="decimal"
                />
              ) : (
                <Mini
                  label="Public IPv4, per month"
                  name="rule.ipv4_cents"
                  value={draft.ipv4}
                  onChange={(v) => set({ ipv4: v })}
                  form={form}
                  disabled={ro}
                  prefix={sym}
                  inputMode="decimal"
                />
              )}
              <Mini
                label={fixed ? 'Backup VM (standby), per month — empty: the size’s price' : 'Backup VM (standby), per month — empty: grid cost + margin'}
                name="rule.standby_cents"
                value={draft.standby}
                onChange={(v) => set({ standby: v })}
                form={form}
                disabled={ro}
                prefix={sym}
                inputMode="decimal"
              />
              <Mini
                label={fixed ? 'QSFS backup swarm, per month (required to sell it)' : 'QSFS backup swarm, per month — empty: grid cost + margin'}
                name="rule.qsfs_cents"
                value={draft.qsfs}
                onChange={(v) => set({ qsfs: v })}
                form={form}
                disabled={ro}
                prefix={sym}
                inputMode="decimal"
              />
            </div>
          </div>
        </Panel>

        <Panel
          title="Sizes"
          description={fixed ? 'The machines you sell and their monthly prices.' : 'The machines you sell; each is priced from its grid cost plus your margin.'}
          data-testid="sizes-editor"
          actions={
            manage ? (
              <Button
                size="sm"
                variant="secondary"
                disabled={draft.sizes.length >= 12}
                onClick={() =>
                  set({
                    sizes: [
                      ...draft.sizes,
                      { key: nextKey(), id: '', name: '', cpu: '2', ram_gb: '4', disk_gb: '50', fixed: '' },
                    ],
                  })
                }
                data-testid="add-size"
              >
                <PlusIcon className="size-4" />
                Add size
              </Button>
            ) : null
          }
        >
          <div className="divide-y divide-border">
            {draft.sizes.map((s, i) => {
              const f = `rule.sizes[${i}]`
              return (
                <Row key={s.key} canRemove={manage && draft.sizes.length > 1} onRemove={() => set({ sizes: draft.sizes.filter((_, j) => j !== i) })} label={`Remove size ${s.name || i + 1}`}>
                  <div className={cx('grid grid-cols-2 gap-3', fixed ? 'sm:grid-cols-6' : 'sm:grid-cols-5')} data-testid="size-row">
                    <Mini quiet label="ID" name={`${f}.id`} value={s.id} onChange={(v) => setSize(i, { id: v })} form={form} disabled={ro} />
                    <Mini quiet label="Name" name={`${f}.name`} value={s.name} onChange={(v) => setSize(i, { name: v })} form={form} disabled={ro} />
                    <Mini quiet label="vCPU" name={f} errorOf={f} value={s.cpu} onChange={(v) => setSize(i, { cpu: v })} form={form} disabled={ro} inputMode="numeric" />
                    <Mini quiet label="Memory" name={`${f}.ram_gb`} errorOf={f} value={s.ram_gb} onChange={(v) => setSize(i, { ram_gb: v })} form={form} disabled={ro} inputMode="numeric" suffix="GB" />
                    <Mini quiet label="Disk" name={`${f}.disk_gb`} errorOf={f} value={s.disk_gb} onChange={(v) => setSize(i, { disk_gb: v })} form={form} disabled={ro} inputMode="numeric" suffix="GB" />
                    {fixed ? (
                      <Mini quiet label="Per month" name={`${f}.fixed_cents`} value={s.fixed} onChange={(v) => setSize(i, { fixed: v })} form={form} disabled={ro} prefix={sym} inputMode="decimal" />
                    ) : null}
                  </div>
                  <RowError form={form} names={[f, `${f}.id`, `${f}.name`, `${f}.fixed_cents`]} id={`size-${i}-error`} />
                </Row>
              )
            })}
          </div>
          <div className="px-4 pb-4 sm:px-5">
            <FieldError id="sizes-error" name="rule.sizes">
              {form.fieldError('rule.sizes')}
            </FieldError>
          </div>
        </Panel>

        <Panel
          title="Discount tiers"
          description="Automatic discounts: for paying several months ahead, or for customers running many VMs. The best tier of each kind applies."
          data-testid="tiers-editor"
          actions={
            manage ? (
              <Button
                size="sm"
                variant="secondary"
                onClick={() => set({ tiers: [...draft.tiers, { key: nextKey(), kind: 'prepaid_months', threshold: '', pct: '' }] })}
                data-testid="add-tier"
              >
                <PlusIcon className="size-4" />
                Add tier
              </Button>
            ) : null
          }
        >
          {draft.tiers.length === 0 ? (
            <EmptyState icon={PercentIcon} title="No discount tiers">
              Reward customers who pay for 3, 6 or 12 months at once.
            </EmptyState>
          ) : (
            <div className="divide-y divide-border">
              {draft.tiers.map((t, i) => {
                const f = `tiers[${i}]`
                return (
                  <Row key={t.key} canRemove={manage} onRemove={() => set({ tiers: draft.tiers.filter((_, j) => j !== i) })} label={`Remove tier ${i + 1}`}>
                    <div className="grid grid-cols-2 gap-3 sm:grid-cols-[minmax(0,2fr)_1fr_1fr]" data-testid="tier-row">
                      <SelectField
                        label={<span className="text-xs text-muted">Kind</span>}
                        name={f}
                        value={t.kind}
                        disabled={ro}
                        onChange={(e) => setTier(i, { kind: e.target.value as TierKind })}
                        wrapperClassName="col-span-2 sm:col-span-1 [&_label]:text-xs"
                        className="h-9"
                      >
                        <option value="prepaid_months">Months paid ahead</option>
                        <option value="active_deployments">Active VMs of the customer</option>
                      </SelectField>
                      <Mini
                        quiet
                        label={t.kind === 'prepaid_months' ? 'From (months)' : 'From (VMs)'}
                        name={`${f}.threshold`}
                        errorOf={f}
                        value={t.threshold}
                        onChange={(v) => setTier(i, { threshold: v })}
                        form={form}
                        disabled={ro}
                        inputMode="numeric"
                      />
                      <Mini quiet label="Discount" name={`${f}.pct_bps`} errorOf={f} value={t.pct} onChange={(v) => setTier(i, { pct: v })} form={form} disabled={ro} inputMode="decimal" suffix="%" />
                    </div>
                    <FieldError id={`tier-${i}-error`} name={f}>
                      {form.fieldError(f)}
                    </FieldError>
                  </Row>
                )
              })}
            </div>
          )}
        </Panel>

        {manage ? (
          <div
            className={cx(
              'z-10 -mx-4 flex flex-col-reverse gap-2 border-t border-border bg-bg/95 px-4 py-3 backdrop-blur sm:mx-0 sm:flex-row sm:items-center sm:justify-end sm:rounded-fd sm:border',
              dirty && 'sticky bottom-0 shadow-lg',
            )}
          >
            {dirty ? <p className="mr-auto text-sm text-muted">You have unsaved changes.</p> : null}
            <Button variant="secondary" disabled={!dirty || form.busy} onClick={() => { setDraft(toDraft(pricing)); form.clear() }}>
              Discard
            </Button>
            <SubmitButton form={form} disabled={!dirty || form.retryIn > 0} data-testid="save-pricing">
              Save prices
            </SubmitButton>
          </div>
        ) : null}
      </form>

      <Preview currency={currency} sizes={savedSizes} nonce={nonce} />

      <Coupons
        coupons={pricing.coupons ?? []}
        manage={manage}
        onChange={() => {
          setSaved(null)
          loaded.reload()
        }}
      />
    </div>
  )
}
