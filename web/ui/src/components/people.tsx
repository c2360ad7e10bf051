import type { ReactNode } from 'react'
import { useSession } from '../session'
import { Badge, DataTable, Time, type BadgeTone, type Column } from './data'

// The one table of people: storefront members, co-op members, super-admins, console
// accounts and node operators. Each page says which of the shared columns it shows
// (roles, two-factor, when added) and adds its own; the person column (e-mail, "You",
// disabled, a detail line), the row test ids and the phone layout are the same everywhere.

export interface Person {
  email: string
  created_at: string
  /** An account id: the signed-in person's row is marked "You". */
  id?: string
  disabled_at?: string | null
}

export interface RoleBadge {
  key: string
  label: ReactNode
  tone?: BadgeTone
  title?: string
}

export function PeopleTable<P extends Person>({
  caption,
  rows,
  rowKey,
  rowTestId,
  loading,
  error,
  onRetry,
  empty,
  personHeader = 'Account',
  detail,
  disabledTestId,
  roles,
  twoFactor,
  columns = [],
  added,
  actions,
}: {
  caption: string
  rows: P[]
  rowKey: (p: P) => string
  /** data-testid of every row (each row also carries data-email). */
  rowTestId: string
  loading?: boolean
  error?: unknown
  onRetry?: () => void
  empty: ReactNode
  /** The first column's header. */
  personHeader?: string
  /** A line under the e-mail address. */
  detail?: (p: P) => ReactNode
  /** data-testid of the "Disabled" badge shown when disabled_at is set. */
  disabledTestId?: string
  roles?: { header: string; of: (p: P) => RoleBadge[] }
  /** The two-factor column: on, or off in warning tone when warn says the person must have it. */
  twoFactor?: { header: string; on: (p: P) => boolean; warn: (p: P) => boolean; offLabel?: string; offTitle?: string }
  /** The page's own columns, after roles and two-factor. */
  columns?: Column<P>[]
  /** The date the person was added, under this header. */
  added?: { header: string; className?: string }
  actions?: (p: P) => ReactNode
}) {
  const { me } = useSession()
  const all: Column<P>[] = [
    {
      header: personHeader,
      primary: true,
      cell: (p) => {
        const line = (
          <span className="inline-flex flex-wrap items-center gap-2">
            <span className="font-medium break-words">{p.email}</span>
            {me && p.id && p.id === me.account.id ? <Badge>You</Badge> : null}
            {p.disabled_at ? (
              <Badge tone="danger" dot data-testid={disabledTestId}>
                Disabled
              </Badge>
            ) : null}
          </span>
        )
        const more = detail?.(p)
        return more ? (
          <span className="flex min-w-0 flex-col gap-1">
            {line}
            {more}
          </span>
        ) : (
          line
        )
      },
    },
  ]
  if (roles)
    all.push({
      header: roles.header,
      cell: (p) => {
        const badges = roles.of(p)
        return badges.length ? (
          <span className="inline-flex flex-wrap gap-1.5">
            {badges.map((b) => (
              <Badge key={b.key} tone={b.tone} title={b.title}>
                {b.label}
              </Badge>
            ))}
          </span>
        ) : (
          <span className="text-muted">No role</span>
        )
      },
    })
  if (twoFactor)
    all.push({
      header: twoFactor.header,
      cell: (p) =>
        twoFactor.on(p) ? (
          <Badge tone="success" dot>
            On
          </Badge>
        ) : (
          <Badge tone={twoFactor.warn(p) ? 'warning' : 'neutral'} dot title={twoFactor.offTitle}>
            {twoFactor.offLabel ?? 'Off'}
          </Badge>
        ),
    })
  all.push(...columns)
  if (added) all.push({ header: added.header, className: added.className, cell: (p) => <Time iso={p.created_at} /> })
  if (actions) all.push({ header: '', actions: true, cell: actions })

  return (
    <DataTable
      caption={caption}
      columns={all}
      rows={rows}
      rowKey={rowKey}
      rowProps={(p) => ({ 'data-testid': rowTestId, 'data-email': p.email })}
      loading={loading}
      error={error}
      onRetry={onRetry}
      empty={empty}
    />
  )
}
