import { useEffect, useId, useState, type ChangeEvent, type ReactNode } from 'react'
import { useBlocker } from 'react-router'
import { api, errorMessage, sentence } from '../../api'
import { BrandMark } from '../../components/Brand'
import { ConfirmDialog, Dialog } from '../../components/Dialog'
import { Badge, Loading, PageHeader, useApi } from '../../components/data'
import { Alert, ErrorPanel, FieldError, FormError, SubmitButton, TextField, inputClass, useForm } from '../../components/forms'
import {
  AlertCircleIcon,
  CheckIcon,
  ContrastIcon,
  CpuIcon,
  DiskIcon,
  ExternalLinkIcon,
  ImageIcon,
  MemoryIcon,
  MoonIcon,
  PaletteIcon,
  SunIcon,
  TrashIcon,
  TriangleAlertIcon,
  UploadIcon,
} from '../../components/icons'
import { Button, Card, buttonClass, cx, usePageTitle } from '../../components/ui'
import { updateBrand, useBrand } from '../../config'
import { canManageTenant, useSession } from '../../session'
import {
  AA,
  applyTheme,
  colorTokens,
  contrast,
  contrastPairs,
  cssVars,
  fontLabels,
  fontStack,
  formatRatio,
  fullHex,
  isHex,
  sameTokens,
  type ColorToken,
  type ContrastPair,
  type Preset,
  type Theme,
  type ThemeMode,
} from '../../theme'
import { useAdmin } from './AdminLayout'

interface BrandingResponse {
  theme: Theme
  presets: Preset[]
  fonts: string[]
}

/** The tokens this page edits; the logo and favicon are uploaded on their own. */
type Draft = Pick<Theme, ColorToken | 'radius' | 'font' | 'mode'> & { product_name: string }

const draftKeys: Array<keyof Draft> = ['product_name', ...colorTokens, 'radius', 'font', 'mode']

function draftOf(t: Theme): Draft {
  return {
    product_name: t.product_name ?? '',
    primary: t.primary,
    primary_contrast: t.primary_contrast,
    accent: t.accent,
    background: t.background,
    surface: t.surface,
    text: t.text,
    muted: t.muted,
    border: t.border,
    radius: t.radius,
    font: t.font,
    mode: t.mode,
  }
}

/** normalHex lets people type "1d4ed8" or "#1D4ED8"; anything else goes to the server as typed. */
function normalHex(v: string): string {
  const s = v.trim()
  if (/^[0-9a-f]{3}([0-9a-f]{3})?$/i.test(s)) return `#${s.toLowerCase()}`
  return isHex(s) ? s.toLowerCase() : s
}

function sameDraft(a: Draft, b: Draft): boolean {
  return draftKeys.every((k) => (colorTokens.includes(k as ColorToken) ? normalHex(a[k]) === normalHex(b[k]) : a[k] === b[k]))
}

const colorInfo: Record<ColorToken, { label: string; hint: string }> = {
  primary: { label: 'Primary', hint: 'Buttons, links and highlights.' },
  primary_contrast: { label: 'Button text', hint: 'Text and icons on primary buttons.' },
  accent: { label: 'Accent', hint: 'Small touches, such as the glow behind the home page’s title.' },
  background: { label: 'Background', hint: 'Behind every page.' },
  surface: { label: 'Surface', hint: 'Cards, the header and panels.' },
  text: { label: 'Text', hint: 'Headings and body text.' },
  muted: { label: 'Secondary text', hint: 'Descriptions, hints and labels.' },
  border: { label: 'Borders', hint: 'Lines around cards and inputs.' },
}

const colorGroups: Array<{ title: string; tokens: ColorToken[] }> = [
  { title: 'Brand', tokens: ['primary', 'primary_contrast', 'accent'] },
  { title: 'Page', tokens: ['background', 'surface', 'text', 'muted', 'border'] },
]

/** The contrast pairs shown under a colour's input, each said from that colour's side. */
const pairsFor: Partial<Record<ColorToken, Array<{ id: string; label: string }>>> = {
  primary: [{ id: 'button', label: 'with button text' }],
  primary_contrast: [{ id: 'button', label: 'on primary' }],
  background: [{ id: 'text-background', label: 'with text' }],
  surface: [{ id: 'text-surface', label: 'with text' }],
  text: [
    { id: 'text-background', label: 'on background' },
    { id: 'text-surface', label: 'on surface' },
  ],
  muted: [{ id: 'muted-surface', label: 'on surface' }],
}

const radii = [
  { value: '0', label: 'Square' },
  { value: '0.25rem', label: 'Subtle' },
  { value: '0.375rem', label: 'Soft' },
  { value: '0.75rem', label: 'Rounded' },
  { value: '1.25rem', label: 'Round' },
]

export function Branding() {
  usePageTitle('Branding')
  const loaded = useApi<BrandingResponse>('/api/admin/branding')

  return (
    <div className="space-y-8">
      <PageHeader
        title="Branding"
        icon={PaletteIcon}
        description="Your storefront’s name, logo, colours and type. The preview shows your changes before you save them; visitors see them from their next page load."
        actions={
          <a href="/" target="_blank" rel="noopener" className={buttonClass('secondary', 'md')}>
            View storefront
            <ExternalLinkIcon className="size-4" />
            <span className="sr-only">(opens in a new tab)</span>
          </a>
        }
      />
      {loaded.error && !loaded.data ? (
        <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
      ) : !loaded.data ? (
        <Loading />
      ) : (
        <BrandingEditor data={loaded.data} />
      )}
    </div>
  )
}

function BrandingEditor({ data }: { data: BrandingResponse }) {
  const { me } = useSession()
  const manage = canManageTenant(me)
  const { tenant } = useAdmin()
  const brand = useBrand()
  const tenantName = tenant.data?.name ?? brand.name

  const [saved, setSaved] = useState<Theme>(data.theme)
  const [draft, setDraft] = useState<Draft>(() => draftOf(data.theme))
  const [assets, setAssets] = useState({ logo_url: data.theme.logo_url ?? '', favicon_url: data.theme.favicon_url ?? '' })
  const [notice, setNotice] = useState('')
  const form = useForm(draftKeys)
  const dirty = !sameDraft(draft, draftOf(saved))

  // While typing a colour, the preview keeps the last saved value of a half-typed one.
  const preview: Theme = { ...saved, ...draft }
  const checked: Draft = { ...draft }
  for (const k of colorTokens) {
    const v = normalHex(draft[k])
    checked[k] = v
    preview[k] = isHex(v) ? v : saved[k]
  }
  const previewName = draft.product_name.trim() || tenantName

  const set = <K extends keyof Draft>(k: K, value: Draft[K]) => {
    setNotice('')
    setDraft((d) => ({ ...d, [k]: value }))
  }

  const leaveDialog = useUnsavedGuard(dirty && !form.busy)

  const fonts = data.fonts.length ? data.fonts : Object.keys(fontLabels)
  const radiusChoices = radii.some((r) => r.value === draft.radius) ? radii : [...radii, { value: draft.radius, label: 'Custom' }]

  const save = form.submit(async () => {
    const body: Record<string, string> = { ...checked, product_name: draft.product_name.trim() }
    const res = await api.put<{ theme: Theme }>('/api/admin/branding', body)
    setSaved(res.theme)
    setDraft(draftOf(res.theme))
    applyTheme(res.theme)
    updateBrand({ name: res.theme.product_name?.trim() || tenantName, mode: res.theme.mode })
    setNotice('Branding saved. This page uses it already; visitors see it from their next page load.')
  })

  return (
    <div className="grid gap-8 xl:grid-cols-[minmax(0,1fr)_22rem]">
      <form
        ref={form.formRef}
        noValidate
        onSubmit={save}
        data-testid="branding-form"
        // A field focused after an error stays clear of the sticky header and save bar.
        className="min-w-0 space-y-6 [&_input]:scroll-mt-24 [&_input]:scroll-mb-32"
      >
        {!manage ? <Alert tone="info">Your support role can see the branding but not change it.</Alert> : null}
        <FormError form={form} />

        <Card className="p-5 sm:p-6">
          <h2 className="text-base font-semibold text-fg">Start from a preset</h2>
          <p className="mt-0.5 text-sm text-muted">Each one passes the readability check. Pick one, then adjust anything below.</p>
          <div className="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-3">
            {data.presets.map((p) => {
              const active = sameTokens(checked as Theme, p.theme)
              return (
                <button
                  key={p.name}
                  type="button"
                  disabled={!manage}
                  aria-pressed={active}
                  data-testid={`preset-${p.name}`}
                  onClick={() => {
                    setNotice('')
                    form.clear()
                    setDraft((d) => ({ ...draftOf(p.theme), product_name: d.product_name }))
                  }}
                  className={cx(
                    'group rounded-fd-sm border p-2 text-left transition-colors disabled:cursor-not-allowed disabled:opacity-60',
                    active ? 'border-primary ring-1 ring-primary' : 'border-border hover:border-primary/40',
                  )}
                >
                  <PresetSwatch theme={p.theme} />
                  <span className="mt-2 flex items-center justify-between gap-2 px-0.5 text-sm font-medium text-fg">
                    {p.label}
                    {active ? <CheckIcon className="size-4 text-primary" /> : null}
                  </span>
                </button>
              )
            })}
          </div>
        </Card>

        <Card className="space-y-6 p-5 sm:p-6">
          <div>
            <h2 className="text-base font-semibold text-fg">Name and logo</h2>
            <p className="mt-0.5 text-sm text-muted">Uploads are saved at once; the name is saved with the colours.</p>
          </div>
          <TextField
            label="Product name"
            name="product_name"
            optional
            maxLength={60}
            value={draft.product_name}
            onChange={(e) => set('product_name', e.target.value)}
            disabled={!manage}
            placeholder={tenantName}
            hint={`Shown in the header and the browser tab. Leave it empty to use “${tenantName}”.`}
            error={form.fieldError('product_name')}
          />
          <AssetField
            kind="logo"
            label="Logo"
            hint="PNG or SVG, up to 256 KB. It is shown at 32 × 32 px beside the name, so a square mark works best."
            url={assets.logo_url}
            manage={manage}
            onChange={(t) => {
              setAssets((a) => ({ ...a, logo_url: t.logo_url ?? '' }))
              setSaved((s) => ({ ...s, logo_url: t.logo_url }))
              updateBrand({ logo_url: t.logo_url ?? '' })
            }}
          />
          <AssetField
            kind="favicon"
            label="Favicon"
            hint="The icon in browser tabs and bookmarks: a square PNG (at least 32 × 32 px) or SVG."
            url={assets.favicon_url}
            manage={manage}
            onChange={(t) => {
              setAssets((a) => ({ ...a, favicon_url: t.favicon_url ?? '' }))
              setSaved((s) => ({ ...s, favicon_url: t.favicon_url }))
              setFavicon(t.favicon_url ?? '')
              updateBrand({ favicon_url: t.favicon_url ?? '' })
            }}
          />
        </Card>

        <Card className="@container p-5 sm:p-6">
          <h2 className="text-base font-semibold text-fg">Colours</h2>
          <p className="mt-0.5 text-sm text-muted">
            Text must reach a contrast of {AA}:1 against what it sits on (WCAG AA), so everyone can read it.
          </p>
          {colorGroups.map((g) => (
            <fieldset key={g.title} className="mt-6">
              <legend className="text-xs font-semibold tracking-wide text-muted uppercase">{g.title}</legend>
              <div className="mt-3 grid gap-5 @lg:grid-cols-2">
                {g.tokens.map((k) => (
                  <ColorField
                    key={k}
                    token={k}
                    value={draft[k]}
                    onChange={(v) => set(k, v)}
                    disabled={!manage}
                    error={form.fieldError(k)}
                  >
                    {(pairsFor[k] ?? []).map(({ id, label }) => {
                      const pair = contrastPairs.find((p) => p.id === id)
                      return pair ? <RatioChip key={id} pair={pair} theme={checked} label={label} /> : null
                    })}
                  </ColorField>
                ))}
              </div>
            </fieldset>
          ))}
        </Card>

        <Card className="@container space-y-6 p-5 sm:p-6">
          <h2 className="text-base font-semibold text-fg">Shape and type</h2>
          <ChoiceGroup legend="Corners" name="radius" error={form.fieldError('radius')}>
            <div className="grid grid-cols-3 gap-2 @md:grid-cols-5">
              {radiusChoices.map((r) => (
                <RadioCard
                  key={r.value}
                  name="radius"
                  value={r.value}
                  checked={draft.radius === r.value}
                  disabled={!manage}
                  onChange={() => set('radius', r.value)}
                >
                  <span
                    aria-hidden="true"
                    className="block size-8 border-2 border-primary/70 bg-primary/10"
                    style={{ borderRadius: r.value === '0' ? 0 : `calc(${r.value} * 0.75)` }}
                  />
                  <span className="text-xs font-medium">{r.label}</span>
                </RadioCard>
              ))}
            </div>
          </ChoiceGroup>

          <ChoiceGroup legend="Font" name="font" error={form.fieldError('font')}>
            <div className="grid grid-cols-2 gap-2 @md:grid-cols-3 @xl:grid-cols-5">
              {fonts.map((f) => (
                <RadioCard
                  key={f}
                  name="font"
                  value={f}
                  checked={draft.font === f}
                  disabled={!manage}
                  onChange={() => set('font', f)}
                >
                  <span aria-hidden="true" className="text-2xl leading-none font-semibold" style={{ fontFamily: fontStack(f) }}>
                    Aa
                  </span>
                  <span className="text-xs font-medium">{fontLabels[f] ?? f}</span>
                </RadioCard>
              ))}
            </div>
          </ChoiceGroup>

          <ChoiceGroup
            legend="Colour scheme"
            name="mode"
            error={form.fieldError('mode')}
            hint="Tells browsers whether your colours are light or dark, for scrollbars and form controls. The Midnight preset is a dark one."
          >
            <div className="grid grid-cols-2 gap-2">
              {(['light', 'dark'] as ThemeMode[]).map((m) => {
                const I = m === 'light' ? SunIcon : MoonIcon
                return (
                  <RadioCard
                    key={m}
                    name="mode"
                    value={m}
                    checked={draft.mode === m}
                    disabled={!manage}
                    onChange={() => set('mode', m)}
                    horizontal
                  >
                    <I className="size-4.5 text-muted" />
                    <span className="text-sm font-medium">{m === 'light' ? 'Light' : 'Dark'}</span>
                  </RadioCard>
                )
              })}
            </div>
          </ChoiceGroup>
        </Card>

        {notice && !dirty ? (
          <Alert tone="success" data-testid="branding-saved">
            {notice}
          </Alert>
        ) : null}

        {manage ? (
          <div
            className={cx(
              'z-10 border-border bg-surface/95 py-3 backdrop-blur sm:rounded-fd sm:border sm:px-5',
              dirty ? 'sticky bottom-0 -mx-4 border-t px-4 sm:mx-0 sm:shadow-lg' : 'sm:shadow-xs',
            )}
          >
            <div className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
              <p className="text-sm text-muted" aria-live="polite">
                {dirty ? (
                  <span className="inline-flex items-center gap-2 font-medium text-fg">
                    <span className="size-2 rounded-full bg-amber-500" aria-hidden="true" />
                    Unsaved changes
                  </span>
                ) : (
                  'No unsaved changes'
                )}
              </p>
              <div className="flex flex-col-reverse gap-2 sm:flex-row">
                {dirty ? (
                  <Button
                    variant="ghost"
                    onClick={() => {
                      setDraft(draftOf(saved))
                      form.clear()
                    }}
                    data-testid="branding-discard"
                  >
                    Discard
                  </Button>
                ) : null}
                <SubmitButton form={form} disabled={!dirty || form.retryIn > 0} data-testid="branding-save">
                  Save branding
                </SubmitButton>
              </div>
            </div>
          </div>
        ) : null}
      </form>

      <aside className="order-first min-w-0 xl:order-none xl:sticky xl:top-24 xl:self-start" aria-labelledby="preview-title">
        <div className="mb-3 flex items-center justify-between gap-3">
          <h2 id="preview-title" className="text-sm font-semibold text-fg">
            Preview
          </h2>
          {dirty ? (
            <Badge tone="warning" dot>
              Not saved yet
            </Badge>
          ) : (
            <Badge tone="success" dot>
              Live
            </Badge>
          )}
        </div>
        <StorefrontPreview theme={preview} name={previewName} logoUrl={assets.logo_url} pitch={tenant.data?.pitch || brand.pitch} />
        <Readability theme={checked} />
      </aside>
      {leaveDialog}
    </div>
  )
}

// ——— Leaving with unsaved changes ———

function useUnsavedGuard(dirty: boolean) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname)
  useEffect(() => {
    if (!dirty) return
    const onUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault()
    }
    window.addEventListener('beforeunload', onUnload)
    return () => window.removeEventListener('beforeunload', onUnload)
  }, [dirty])
  return (
    <Dialog
      open={blocker.state === 'blocked'}
      onClose={() => blocker.reset?.()}
      title="Leave without saving?"
      description="Your branding changes are not saved. If you leave, they are lost."
      footer={
        <>
          <Button variant="secondary" onClick={() => blocker.reset?.()}>
            Stay on this page
          </Button>
          <Button variant="danger" onClick={() => blocker.proceed?.()}>
            Leave and discard
          </Button>
        </>
      }
    />
  )
}

// ——— Favicon of the open page ———

function setFavicon(url: string) {
  const links = document.querySelectorAll<HTMLLinkElement>('link[rel="icon"]')
  const last = links[links.length - 1]
  if (last) last.href = url || 'data:,'
  else if (url) {
    const l = document.createElement('link')
    l.rel = 'icon'
    l.href = url
    document.head.appendChild(l)
  }
}

// ——— Pieces ———

function PresetSwatch({ theme }: { theme: Theme }) {
  return (
    <span
      aria-hidden="true"
      className="flex h-14 flex-col justify-between overflow-hidden rounded-[0.375rem] border p-2"
      style={{ background: theme.background, borderColor: theme.border }}
    >
      <span className="flex items-center gap-1.5">
        <span className="size-2.5 rounded-full" style={{ background: theme.primary }} />
        <span className="h-1.5 w-10 rounded-full" style={{ background: theme.text, opacity: 0.8 }} />
      </span>
      <span className="flex items-center gap-1.5">
        <span className="h-3.5 w-9 rounded-[0.25rem]" style={{ background: theme.primary }} />
        <span className="h-3.5 w-6 rounded-[0.25rem] border" style={{ background: theme.surface, borderColor: theme.border }} />
        <span className="ml-auto size-2 rounded-full" style={{ background: theme.accent }} />
      </span>
    </span>
  )
}

function ColorField({
  token,
  value,
  onChange,
  disabled,
  error,
  children,
}: {
  token: ColorToken
  value: string
  onChange: (v: string) => void
  disabled: boolean
  error?: string
  children?: ReactNode
}) {
  const id = useId()
  const info = colorInfo[token]
  const valid = isHex(normalHex(value))
  const local = !valid && value.trim() !== '' ? 'Enter a hex colour such as #4f46e5.' : value.trim() === '' ? 'Enter a colour.' : ''
  const shown = error ?? ''
  const describedBy = [shown ? `${id}-error` : '', local && !shown ? `${id}-local` : '', `${id}-hint`].filter(Boolean).join(' ')
  return (
    <div
      data-testid={`color-${token}`}
      className="@min-[22rem]:grid @min-[22rem]:grid-cols-[minmax(0,1fr)_11rem] @min-[22rem]:items-start @min-[22rem]:gap-x-4"
    >
      <div>
        <label htmlFor={id} className="text-sm font-medium text-fg">
          {info.label}
        </label>
        <p id={`${id}-hint`} className="mt-0.5 text-xs text-muted">
          {info.hint}
        </p>
      </div>
      <div className="mt-2 flex gap-2 @min-[22rem]:mt-0">
        <input
          type="color"
          aria-label={`${info.label}: colour picker`}
          value={fullHex(normalHex(value)) ?? '#000000'}
          onChange={(e) => onChange(e.target.value)}
          disabled={disabled}
          className="h-10 w-12 shrink-0 cursor-pointer rounded-fd-sm border border-border bg-surface p-1 disabled:cursor-not-allowed disabled:opacity-60"
        />
        <input
          id={id}
          name={token}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onBlur={() => {
            const n = normalHex(value)
            if (n !== value) onChange(n)
          }}
          disabled={disabled}
          maxLength={7}
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          aria-invalid={shown || local ? true : undefined}
          aria-describedby={describedBy}
          className={inputClass(!!(shown || local), 'h-10 min-w-0 font-mono uppercase')}
        />
      </div>
      {local && !shown ? (
        <p id={`${id}-local`} className="mt-1.5 flex items-start gap-1.5 text-sm text-red-700 @min-[22rem]:col-span-2 dark:text-red-400">
          <AlertCircleIcon className="mt-0.5 size-4 shrink-0" />
          {local}
        </p>
      ) : null}
      <div className="@min-[22rem]:col-span-2">
        <FieldError id={`${id}-error`} name={token}>
          {shown}
        </FieldError>
      </div>
      {children ? <div className="mt-2 flex flex-wrap gap-1.5 @min-[22rem]:col-span-2">{children}</div> : null}
    </div>
  )
}

const chipTones = {
  neutral: 'bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-slate-400/15 dark:text-slate-300 dark:ring-slate-400/25',
  success: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25',
  danger: 'bg-red-50 text-red-800 ring-red-600/25 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/30',
  warning: 'bg-amber-50 text-amber-900 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25',
}

/** RatioChip shows one pair's contrast ratio, as the person edits it. */
function RatioChip({ pair, theme, label }: { pair: ContrastPair; theme: Draft; label: string }) {
  const r = contrast(theme[pair.fg], theme[pair.bg])
  const ok = r !== null && r >= AA
  const tone = r === null ? 'neutral' : ok ? 'success' : pair.enforced ? 'danger' : 'warning'
  const cls = chipTones[tone]
  const Icon = ok ? CheckIcon : TriangleAlertIcon
  return (
    <span
      data-testid={`contrast-${pair.id}`}
      data-pass={ok ? 'true' : 'false'}
      title={`${pair.label}: ${r === null ? 'not a colour yet' : formatRatio(r)}; ${pair.enforced ? 'needs' : 'should have'} at least ${AA}:1`}
      className={cx('inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset', cls)}
    >
      {r === null ? null : <Icon className="size-3.5" />}
      <span className="font-semibold tabular-nums">{r === null ? '—' : formatRatio(r)}</span>
      <span>{label}</span>
      <span className="sr-only">{ok ? ', readable' : pair.enforced ? ', too low: needs 4.5:1' : ', low'}</span>
    </span>
  )
}

function Readability({ theme }: { theme: Draft }) {
  const failing = contrastPairs.filter((p) => {
    const r = contrast(theme[p.fg], theme[p.bg])
    return p.enforced && r !== null && r < AA
  })
  return (
    <Card className="mt-4 p-4" data-testid="readability">
      <h3 className="flex items-center gap-2 text-sm font-semibold text-fg">
        <ContrastIcon className="size-4.5 text-muted" />
        Readability
      </h3>
      <ul className="mt-3 space-y-2">
        {contrastPairs.map((p) => {
          const r = contrast(theme[p.fg], theme[p.bg])
          const ok = r !== null && r >= AA
          return (
            <li key={p.id} className="flex items-center justify-between gap-3 text-sm">
              <span className="flex min-w-0 items-center gap-2">
                <span
                  aria-hidden="true"
                  className="inline-flex size-6 shrink-0 items-center justify-center rounded border border-border text-[0.7rem] font-bold"
                  style={{ background: fullHex(theme[p.bg]) ?? undefined, color: fullHex(theme[p.fg]) ?? undefined }}
                >
                  Aa
                </span>
                <span className="truncate text-fg">{p.label}</span>
              </span>
              <span
                data-testid={`readability-${p.id}`}
                className={cx(
                  'inline-flex shrink-0 items-center gap-1 rounded-full px-2 py-0.5 text-xs font-semibold tabular-nums ring-1 ring-inset',
                  chipTones[r === null ? 'neutral' : ok ? 'success' : p.enforced ? 'danger' : 'warning'],
                )}
              >
                {r === null ? null : ok ? <CheckIcon className="size-3.5" /> : <TriangleAlertIcon className="size-3.5" />}
                {r === null ? '—' : formatRatio(r)}
                <span className="sr-only">{r === null ? '' : ok ? ', readable' : p.enforced ? ', too low' : ', low (advice)'}</span>
              </span>
            </li>
          )
        })}
      </ul>
      {failing.length ? (
        <p className="mt-3 text-xs leading-5 text-red-700 dark:text-red-400" role="status">
          {failing.length === 1 ? 'One pair is' : `${failing.length} pairs are`} below {AA}:1: saving will be refused until{' '}
          {failing.length === 1 ? 'it reaches' : 'they reach'} it.
        </p>
      ) : (
        <p className="mt-3 text-xs leading-5 text-muted">Text and buttons reach {AA}:1 (WCAG AA).</p>
      )}
    </Card>
  )
}

function ChoiceGroup({
  legend,
  name,
  error,
  hint,
  children,
}: {
  legend: string
  name: string
  error?: string
  hint?: string
  children: ReactNode
}) {
  const id = useId()
  return (
    <fieldset aria-describedby={[error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined}>
      <legend className="mb-2 text-sm font-medium text-fg">{legend}</legend>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="mt-2 text-sm text-muted">
          {hint}
        </p>
      ) : null}
      <FieldError id={`${id}-error`} name={name}>
        {error}
      </FieldError>
    </fieldset>
  )
}

function RadioCard({
  name,
  value,
  checked,
  disabled,
  onChange,
  horizontal = false,
  children,
}: {
  name: string
  value: string
  checked: boolean
  disabled: boolean
  onChange: () => void
  horizontal?: boolean
  children: ReactNode
}) {
  return (
    <label
      className={cx(
        'flex cursor-pointer items-center gap-2 rounded-fd-sm border p-3 text-fg transition-colors',
        'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
        horizontal ? 'justify-center' : 'flex-col text-center',
        checked ? 'border-primary bg-primary/5 ring-1 ring-primary' : 'border-border hover:border-primary/40',
        disabled && 'cursor-not-allowed opacity-60',
      )}
    >
      <input type="radio" className="sr-only" name={name} value={value} checked={checked} disabled={disabled} onChange={onChange} />
      {children}
    </label>
  )
}

// ——— Logo and favicon ———

const maxBytes = 256 * 1024

function AssetField({
  kind,
  label,
  hint,
  url,
  manage,
  onChange,
}: {
  kind: 'logo' | 'favicon'
  label: string
  hint: string
  url: string
  manage: boolean
  onChange: (t: Theme) => void
}) {
  const id = useId()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const [done, setDone] = useState('')
  const [removing, setRemoving] = useState(false)

  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0]
    e.target.value = '' // choosing the same file again still fires change
    if (!file) return
    setError('')
    setDone('')
    const svg = file.type === 'image/svg+xml' || /\.svg$/i.test(file.name)
    const png = file.type === 'image/png' || /\.png$/i.test(file.name)
    if (!svg && !png) {
      setError('Upload a PNG or SVG image.')
      return
    }
    if (file.size > maxBytes) {
      setError(`The file is ${Math.ceil(file.size / 1024)} KB; the limit is 256 KB.`)
      return
    }
    setBusy(true)
    try {
      const typed = file.type ? file : new Blob([file], { type: svg ? 'image/svg+xml' : 'image/png' })
      const res = await api.upload<{ theme: Theme }>(`/api/admin/branding/${kind}`, typed)
      onChange(res.theme)
      setDone(`${label} uploaded.`)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div data-testid={`asset-${kind}`}>
      <div className="flex items-start gap-4">
        <div
          className={cx(
            'flex size-16 shrink-0 items-center justify-center overflow-hidden rounded-fd-sm border bg-bg',
            error ? 'border-red-500' : 'border-border',
          )}
        >
          {url ? (
            <img src={url} alt={`Current ${label.toLowerCase()}`} data-testid={`asset-${kind}-image`} className="max-h-12 max-w-12 object-contain" />
          ) : (
            <ImageIcon className="size-6 text-muted" />
          )}
        </div>
        <div className="min-w-0 flex-1">
          <p className="text-sm font-medium text-fg" id={`${id}-label`}>
            {label}
            {!url ? <span className="ml-1.5 font-normal text-muted">(none)</span> : null}
          </p>
          <p id={`${id}-hint`} className="mt-0.5 text-sm text-muted">
            {hint}
          </p>
          {manage ? (
            <div className="mt-3 flex flex-wrap gap-2">
              <label
                className={cx(
                  buttonClass('secondary', 'sm'),
                  'cursor-pointer has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
                  busy && 'pointer-events-none opacity-60',
                )}
              >
                <input
                  type="file"
                  name={kind}
                  accept="image/png,image/svg+xml,.png,.svg"
                  className="sr-only"
                  disabled={busy}
                  onChange={upload}
                  aria-describedby={[error ? `${id}-error` : '', `${id}-hint`].filter(Boolean).join(' ')}
                  data-testid={`asset-${kind}-input`}
                />
                <UploadIcon className="size-4" />
                {busy ? 'Uploading…' : url ? `Replace ${label.toLowerCase()}` : `Upload ${label.toLowerCase()}`}
              </label>
              {url ? (
                <Button size="sm" variant="danger-ghost" onClick={() => setRemoving(true)} disabled={busy}>
                  <TrashIcon className="size-4" />
                  Remove
                </Button>
              ) : null}
            </div>
          ) : null}
          <FieldError id={`${id}-error`} name={kind}>
            {error ? sentence(error) : undefined}
          </FieldError>
          {done && !error ? (
            <p className="mt-1.5 flex items-center gap-1.5 text-sm text-emerald-700 dark:text-emerald-400" role="status">
              <CheckIcon className="size-4" />
              {done}
            </p>
          ) : null}
        </div>
      </div>
      <ConfirmDialog
        open={removing}
        onClose={() => setRemoving(false)}
        title={`Remove the ${label.toLowerCase()}?`}
        confirmLabel={`Remove ${label.toLowerCase()}`}
        onConfirm={async () => {
          const res = await api.del<{ theme: Theme }>(`/api/admin/branding/${kind}`)
          onChange(res.theme)
          setError('')
          setDone(`${label} removed.`)
        }}
      >
        <p>
          {kind === 'logo'
            ? 'Your storefront shows your initials in the primary colour instead, from the next page load.'
            : 'Browsers show their default icon for your storefront instead.'}
        </p>
      </ConfirmDialog>
    </div>
  )
}

// ——— The live preview ———

function StorefrontPreview({ theme, name, logoUrl, pitch }: { theme: Theme; name: string; logoUrl: string; pitch: string }) {
  return (
    <div
      data-testid="branding-preview"
      style={cssVars(theme)}
      className="@container overflow-hidden rounded-fd-lg border border-border bg-bg font-sans text-fg shadow-sm"
    >
      {/* A picture of the storefront: nothing in it can be focused or clicked. */}
      <div inert aria-hidden="true">
        <div className="flex h-12 items-center gap-2 border-b border-border bg-surface px-3">
          <BrandMark logoUrl={logoUrl} name={name} className="size-6 text-[0.6rem]" />
          <span className="min-w-0 truncate text-sm font-semibold tracking-tight text-fg" data-testid="preview-name">
            {name}
          </span>
          <span className="ml-auto hidden text-xs font-medium text-muted @sm:inline">Deployments</span>
          <span className={buttonClass('primary', 'sm', 'ml-auto h-7 px-2.5 text-xs @sm:ml-2')}>Sign up</span>
        </div>
        <div className="fd-hero-wash border-b border-border px-4 py-6">
          <span className="inline-flex items-center gap-1.5 rounded-full border border-border bg-surface/80 px-2 py-0.5 text-[0.65rem] font-medium text-muted">
            <span className="size-1.5 rounded-full bg-accent" />
            Cloud VMs, billed monthly
          </span>
          <p className="mt-3 text-2xl leading-tight font-bold tracking-tight text-fg">{name}</p>
          <p className="mt-2 line-clamp-2 text-sm leading-6 text-muted">
            {pitch || 'Virtual machines in minutes, billed monthly by card.'}
          </p>
          <div className="mt-4 flex flex-wrap gap-2">
            <span className={buttonClass('primary', 'sm')} data-testid="preview-primary-button">
              Deploy a VM
            </span>
            <span className={buttonClass('secondary', 'sm')}>See sizes</span>
          </div>
        </div>
        <div className="p-4">
          <div className="rounded-fd border border-primary/60 bg-surface p-4 shadow-sm ring-1 ring-primary/40">
            <div className="flex items-center justify-between gap-2">
              <p className="font-semibold text-fg">Medium</p>
              <span className="rounded-full bg-primary px-2 py-0.5 text-[0.65rem] font-semibold text-primary-contrast">
                Recommended
              </span>
            </div>
            <p className="mt-1 text-xs leading-5 text-muted">Web apps, databases and CI runners.</p>
            <ul className="mt-3 space-y-1.5 text-xs text-fg">
              <li className="flex items-center gap-2">
                <CpuIcon className="size-3.5 text-muted" />2 vCPU
              </li>
              <li className="flex items-center gap-2">
                <MemoryIcon className="size-3.5 text-muted" />4 GB memory
              </li>
              <li className="flex items-center gap-2">
                <DiskIcon className="size-3.5 text-muted" />
                50 GB SSD
              </li>
            </ul>
            <div className="mt-3 flex items-baseline justify-between border-t border-border pt-3">
              <span className="text-xs text-muted">Billed monthly</span>
              <span className="text-sm font-semibold text-fg">
                $12.40 <span className="font-normal text-muted">/ month</span>
              </span>
            </div>
            <span className={buttonClass('primary', 'sm', 'mt-3 w-full')}>Deploy Medium</span>
          </div>
          <p className="mt-4 text-xs leading-5 text-muted">
            Questions? <span className="font-semibold text-primary underline underline-offset-2">Read the docs</span> or
            write to support.
          </p>
        </div>
      </div>
    </div>
  )
}
