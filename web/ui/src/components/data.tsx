import { useCallback, useEffect, useState, type ComponentProps, type ReactNode } from 'react'
import { api, type Page } from '../api'
import { ErrorPanel } from './forms'
import { CheckIcon, ChevronLeftIcon, ChevronRightIcon, CopyIcon, type Icon } from './icons'
import { Button, Card, IconBadge, Spinner, cx } from './ui'

// ——— Loading data ———

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  reload: () => void
}

/** useApi GETs path (when not null) and reloads when the path changes or reload is called. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(path !== null)
  const [nonce, setNonce] = useState(0)

  useEffect(() => {
    if (path === null) return
    let live = true
    setLoading(true)
    setError(null)
    api.get<T>(path).then(
      (d) => {
        if (!live) return
        setData(d)
        setLoading(false)
      },
      (err: unknown) => {
        if (!live) return
        setError(err)
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [path, nonce])

  return { data, error, loading, reload: useCallback(() => setNonce((n) => n + 1), []) }
}

export interface Paged<T> extends Loaded<Page<T>> {
  items: T[]
  page: number
  hasNext: boolean
  hasPrev: boolean
  next: () => void
  prev: () => void
  /** Back to the first page (after the filter changed). */
  reset: () => void
}

/**
 * usePaged walks a cursor-paginated list page by page. It remembers the cursor of every
 * page it has shown, so "Previous" works even though the API only hands out next_cursor.
 */
export function usePaged<T>(path: string): Paged<T> {
  // The cursor stack belongs to one path: a new filter starts again at page one.
  const [stack, setStack] = useState<{ path: string; cursors: string[] }>({ path, cursors: [''] })
  const cursors = stack.path === path ? stack.cursors : ['']
  const cursor = cursors[cursors.length - 1] ?? ''
  const full = cursor ? path + (path.includes('?') ? '&' : '?') + 'cursor=' + encodeURIComponent(cursor) : path
  const loaded = useApi<Page<T>>(full)
  const nextCursor = loaded.data?.next_cursor ?? ''

  return {
    ...loaded,
    items: loaded.data?.items ?? [],
    page: cursors.length,
    hasNext: !!nextCursor,
    hasPrev: cursors.length > 1,
    next: () => {
      if (nextCursor) setStack({ path, cursors: [...cursors, nextCursor] })
    },
    prev: () => setStack({ path, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors }),
    reset: () => setStack({ path, cursors: [''] }),
  }
}

// ——— Presentation ———

export function PageHeader({
  title,
  description,
  actions,
  icon: IconC,
}: {
  title: ReactNode
  description?: ReactNode
  actions?: ReactNode
  icon?: Icon
}) {
  return (
    <div className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
      <div className="flex min-w-0 items-start gap-4">
        {IconC ? (
          <span className="hidden sm:block">
            <IconBadge>
              <IconC />
            </IconBadge>
          </span>
        ) : null}
        <div className="min-w-0">
          <h1 className="text-2xl font-bold tracking-tight text-fg">{title}</h1>
          {description ? <p className="mt-1 max-w-2xl text-sm leading-6 text-muted">{description}</p> : null}
        </div>
      </div>
      {actions ? <div className="flex shrink-0 flex-wrap gap-2">{actions}</div> : null}
    </div>
  )
}

export type BadgeTone = 'neutral' | 'success' | 'warning' | 'danger' | 'primary'

const badgeTones: Record<BadgeTone, string> = {
  neutral: 'bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-slate-400/15 dark:text-slate-300 dark:ring-slate-400/25',
  success: 'bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/25',
  warning: 'bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/25',
  danger: 'bg-red-50 text-red-700 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/25',
  primary: 'bg-primary/10 text-primary ring-primary/20',
}

export function Badge({
  tone = 'neutral',
  dot = false,
  className,
  children,
  ...rest
}: { tone?: BadgeTone; dot?: boolean } & ComponentProps<'span'>) {
  return (
    <span
      className={cx(
        'inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-semibold whitespace-nowrap ring-1 ring-inset',
        badgeTones[tone],
        className,
      )}
      {...rest}
    >
      {dot ? <span className="size-1.5 rounded-full bg-current opacity-80" aria-hidden="true" /> : null}
      {children}
    </span>
  )
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const rel = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : dateFmt.format(d)
}

export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never'
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return iso
  const secs = Math.round((t - now) / 1000)
  const abs = Math.abs(secs)
  if (abs < 45) return 'just now'
  if (abs < 3600) return rel.format(Math.round(secs / 60), 'minute')
  if (abs < 86400) return rel.format(Math.round(secs / 3600), 'hour')
  if (abs < 86400 * 30) return rel.format(Math.round(secs / 86400), 'day')
  return formatDate(iso)
}

/** Time shows a relative time with the exact one on hover and for assistive tech. */
export function Time({ iso, relative = true }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span className="text-muted">—</span>
  return (
    <time dateTime={iso} title={formatDate(iso)}>
      {relative ? timeAgo(iso) : formatDate(iso)}
    </time>
  )
}

export function EmptyState({
  icon: IconC,
  title,
  children,
  action,
  className,
  ...rest
}: {
  icon: Icon
  title: ReactNode
  children?: ReactNode
  action?: ReactNode
  className?: string
} & Omit<ComponentProps<'div'>, 'title'>) {
  return (
    <div
      className={cx('flex flex-col items-center px-6 py-12 text-center sm:py-16', className)}
      data-testid="empty-state"
      {...rest}
    >
      <IconBadge className="size-12">
        <IconC className="size-6" />
      </IconBadge>
      <h3 className="mt-4 text-base font-semibold text-fg">{title}</h3>
      {children ? <div className="mt-1.5 max-w-md text-sm leading-6 text-muted">{children}</div> : null}
      {action ? <div className="mt-6">{action}</div> : null}
    </div>
  )
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="flex items-center justify-center gap-3 py-16 text-sm text-muted" role="status">
      <Spinner className="size-5 text-primary" />
      {label}
    </div>
  )
}

export interface Column<T> {
  header: ReactNode
  cell: (row: T) => ReactNode
  /** Extra classes for the <th>/<td> on wide screens. */
  className?: string
  /** On phones, rows become cards; a column marked primary is their title line. */
  primary?: boolean
  /** Leave out of the phone card (e.g. an actions column shown separately). */
  hideOnPhone?: boolean
  /** The actions column: right-aligned on wide screens, at the bottom of phone cards. */
  actions?: boolean
}

/**
 * DataTable is a table on wide screens and a list of cards on phones, so nothing scrolls
 * sideways at 375 px. It also draws the loading, error and empty states.
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  loading,
  error,
  onRetry,
  empty,
  caption,
  rowProps,
}: {
  columns: Column<T>[]
  rows: T[]
  rowKey: (row: T) => string
  loading?: boolean
  error?: unknown
  onRetry?: () => void
  empty: ReactNode
  caption: string
  rowProps?: (row: T) => Record<string, string | undefined>
}) {
  if (error)
    return (
      <div className="p-4 sm:p-5">
        <ErrorPanel error={error} onRetry={onRetry} />
      </div>
    )
  if (loading && rows.length === 0) return <Loading />
  if (rows.length === 0) return <>{empty}</>

  const primary = columns.find((c) => c.primary)
  const actions = columns.find((c) => c.actions)
  const rest = columns.filter((c) => !c.primary && !c.actions && !c.hideOnPhone)

  return (
    <div className={cx('relative', loading && 'opacity-60 transition-opacity')} aria-busy={loading || undefined}>
      <table className="hidden w-full text-left text-sm md:table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr className="border-b border-border">
            {columns.map((c, i) => (
              <th
                key={i}
                scope="col"
                className={cx(
                  'px-5 py-3 text-xs font-semibold tracking-wide text-muted uppercase',
                  c.actions && 'text-right',
                  c.className,
                )}
              >
                {c.actions && !c.header ? <span className="sr-only">Actions</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-border">
          {rows.map((r) => (
            <tr key={rowKey(r)} className="align-middle hover:bg-primary/[0.025]" {...rowProps?.(r)}>
              {columns.map((c, i) => (
                <td key={i} className={cx('px-5 py-3.5 text-fg', c.actions && 'text-right', c.className)}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>

      <ul className="divide-y divide-border md:hidden" aria-label={caption}>
        {rows.map((r) => (
          <li key={rowKey(r)} className="px-4 py-4" {...rowProps?.(r)}>
            {primary ? <div className="min-w-0 font-medium break-words text-fg">{primary.cell(r)}</div> : null}
            {rest.length ? (
              <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
                {rest.map((c, i) => (
                  <div key={i} className="contents">
                    <dt className="text-muted">{c.header}</dt>
                    <dd className="min-w-0 break-words text-fg">{c.cell(r)}</dd>
                  </div>
                ))}
              </dl>
            ) : null}
            {actions ? <div className="mt-3 flex flex-wrap gap-2">{actions.cell(r)}</div> : null}
          </li>
        ))}
      </ul>
    </div>
  )
}

export function Pager({ paged, noun = 'entries' }: { paged: Paged<unknown>; noun?: string }) {
  if (!paged.hasPrev && !paged.hasNext) return null
  return (
    <nav
      aria-label={`Pages of ${noun}`}
      className="flex items-center justify-between gap-3 border-t border-border px-4 py-3 sm:px-5"
    >
      <p className="text-sm text-muted">Page {paged.page}</p>
      <div className="flex gap-2">
        <Button size="sm" variant="secondary" onClick={paged.prev} disabled={!paged.hasPrev || paged.loading}>
          <ChevronLeftIcon className="size-4" />
          Previous
        </Button>
        <Button
          size="sm"
          variant="secondary"
          onClick={paged.next}
          disabled={!paged.hasNext || paged.loading}
          data-testid="pager-next"
        >
          Next
          <ChevronRightIcon className="size-4" />
        </Button>
      </div>
    </nav>
  )
}

/** Panel is a card with an optional header row, the frame of every table. */
export function Panel({
  title,
  description,
  actions,
  children,
  className,
  ...rest
}: {
  title?: ReactNode
  description?: ReactNode
  actions?: ReactNode
  children: ReactNode
  className?: string
} & Omit<ComponentProps<'section'>, 'title'>) {
  return (
    <Card className={cx('overflow-hidden', className)}>
      <section {...rest}>
        {title || actions ? (
          <div className="flex flex-col gap-3 border-b border-border px-4 py-4 sm:flex-row sm:items-center sm:justify-between sm:px-5">
            <div className="min-w-0">
              {title ? <h2 className="text-base font-semibold text-fg">{title}</h2> : null}
              {description ? <p className="mt-0.5 text-sm text-muted">{description}</p> : null}
            </div>
            {actions ? <div className="flex shrink-0 flex-wrap gap-2">{actions}</div> : null}
          </div>
        ) : null}
        {children}
      </section>
    </Card>
  )
}

// ——— Clipboard ———

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // Fall through to the selection-based copy.
  }
  // Plain-http development hosts have no async clipboard API.
  const ta = document.createElement('textarea')
  ta.value = text
  ta.setAttribute('readonly', '')
  ta.style.position = 'fixed'
  ta.style.opacity = '0'
  document.body.appendChild(ta)
  ta.select()
  let ok = false
  try {
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  ta.remove()
  return ok
}

export function CopyButton({
  text,
  label = 'Copy',
  size = 'sm',
  variant = 'secondary',
  className,
  ...rest
}: {
  text: string
  label?: string
  size?: 'sm' | 'md'
  variant?: 'secondary' | 'ghost' | 'primary'
  className?: string
} & Omit<ComponentProps<'button'>, 'onClick'>) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  useEffect(() => {
    if (state === 'idle') return
    const t = setTimeout(() => setState('idle'), 2000)
    return () => clearTimeout(t)
  }, [state])
  return (
    <Button
      size={size}
      variant={variant}
      className={className}
      onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}
      {...rest}
    >
      {state === 'copied' ? <CheckIcon className="size-4 text-emerald-600" /> : <CopyIcon className="size-4" />}
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : label}</span>
    </Button>
  )
}

export function downloadText(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
