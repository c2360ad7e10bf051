import type { ReactNode } from 'react'
import { NavLink } from 'react-router'
import { cx } from './ui'

export interface FilterTab<T extends string> {
  id: T
  label: string
  /** A small count after the label (e.g. pending items). */
  count?: number
}

/**
 * FilterTabs is a row of pill tabs that filter one list (by status, say). The list
 * below should be a role="tabpanel" labelled after the selected tab.
 */
export function FilterTabs<T extends string>({
  tabs,
  value,
  onChange,
  label,
  testIdPrefix = 'status-tab',
}: {
  tabs: FilterTab<T>[]
  value: T
  onChange: (id: T) => void
  label: string
  testIdPrefix?: string
}) {
  return (
    <div role="tablist" aria-label={label} className="flex flex-wrap gap-2">
      {tabs.map((t) => (
        <button
          key={t.id || 'all'}
          type="button"
          role="tab"
          aria-selected={value === t.id}
          data-testid={`${testIdPrefix}-${t.id || 'all'}`}
          onClick={() => onChange(t.id)}
          className={cx(
            'inline-flex items-center gap-1.5 rounded-full border px-3.5 py-1.5 text-sm font-medium transition-colors',
            value === t.id
              ? 'border-primary bg-primary text-primary-contrast'
              : 'border-border bg-surface text-fg hover:border-primary/40 hover:bg-primary/5',
          )}
        >
          {t.label}
          {t.count ? (
            <span
              className={cx(
                'min-w-5 rounded-full px-1.5 text-center text-xs font-semibold',
                value === t.id ? 'bg-primary-contrast/20' : 'bg-primary/10 text-primary',
              )}
            >
              {t.count}
            </span>
          ) : null}
        </button>
      ))}
    </div>
  )
}

export interface SubNavItem {
  to: string
  label: ReactNode
  end?: boolean
  testId?: string
}

/**
 * SubNav is the underlined tab strip of an area with a few pages (the console's
 * tenancy pages). It scrolls sideways on a phone instead of wrapping.
 */
export function SubNav({ label, items }: { label: string; items: SubNavItem[] }) {
  return (
    <nav aria-label={label} className="border-b border-border">
      <ul className="-mb-px flex gap-1 overflow-x-auto [scrollbar-width:none]">
        {items.map((item) => (
          <li key={item.to} className="shrink-0">
            <NavLink
              to={item.to}
              end={item.end}
              data-testid={item.testId}
              className={({ isActive }) =>
                cx(
                  'flex items-center gap-2 border-b-2 px-3 py-2.5 text-sm font-medium whitespace-nowrap transition-colors',
                  isActive ? 'border-primary text-primary' : 'border-transparent text-muted hover:border-border hover:text-fg',
                )
              }
            >
              {item.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  )
}
