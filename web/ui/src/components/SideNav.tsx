import { useEffect, useRef, type ReactNode } from 'react'
import { NavLink, useLocation } from 'react-router'
import type { Icon } from './icons'
import { Container, cx } from './ui'

export interface SideNavItem {
  to: string
  label: string
  icon: Icon
  /** Match the path exactly (an index page). */
  end?: boolean
  /** A section that is not built yet: listed, but marked. */
  soon?: boolean
  testId?: string
}

export interface SideNavGroup {
  heading?: string
  items: SideNavItem[]
}

/**
 * SideNavLayout is the frame of a settings-like area (account, tenant admin): a sticky
 * side menu on wide screens and a scrollable tab strip on phones.
 */
export function SideNavLayout({
  label,
  heading,
  groups,
  children,
}: {
  /** The nav landmark's accessible name. */
  label: string
  heading: ReactNode
  groups: SideNavGroup[]
  children: ReactNode
}) {
  const all = groups.flatMap((g) => g.items)
  const strip = useRef<HTMLUListElement>(null)
  const { pathname } = useLocation()

  // On phones the tab strip scrolls sideways: keep the current tab in view.
  useEffect(() => {
    const reveal = () => {
      const box = strip.current
      const el = box?.querySelector<HTMLElement>('[aria-current="page"]')
      if (!box || !el || box.clientWidth === 0) return
      const left = el.offsetLeft // the strip is the tab's offset parent
      if (left < box.scrollLeft || left + el.offsetWidth > box.scrollLeft + box.clientWidth) {
        box.scrollLeft = Math.max(0, left - 16)
      }
    }
    reveal()
    window.addEventListener('resize', reveal)
    return () => window.removeEventListener('resize', reveal)
  }, [pathname])

  return (
    <Container className="py-8 sm:py-10">
      <div className="lg:grid lg:grid-cols-[14.5rem_minmax(0,1fr)] lg:gap-10">
        <aside className="lg:sticky lg:top-24 lg:self-start">
          <div className="mb-4 lg:mb-6">{heading}</div>

          {/* Phones and tablets: one scrollable row of tabs. */}
          <nav aria-label={label} className="-mx-4 border-b border-border px-4 sm:-mx-6 sm:px-6 lg:hidden">
            <ul ref={strip} className="relative -mb-px flex gap-1 overflow-x-auto [scrollbar-width:none]">
              {all.map((item) => (
                <li key={item.to} className="shrink-0">
                  <NavLink
                    to={item.to}
                    end={item.end}
                    className={({ isActive }) =>
                      cx(
                        'flex items-center gap-2 border-b-2 px-3 py-2.5 text-sm font-medium whitespace-nowrap',
                        isActive ? 'border-primary text-primary' : 'border-transparent text-muted hover:text-fg',
                      )
                    }
                  >
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>

          {/* Wide screens: grouped side menu. */}
          <nav aria-label={label} className="hidden lg:block">
            {groups.map((g, gi) => (
              <div key={gi} className={cx(gi > 0 && 'mt-6')}>
                {g.heading ? (
                  <h2 className="mb-2 px-3 text-xs font-semibold tracking-wide text-muted uppercase">{g.heading}</h2>
                ) : null}
                <ul className="space-y-0.5">
                  {g.items.map((item) => {
                    const I = item.icon
                    return (
                      <li key={item.to}>
                        <NavLink
                          to={item.to}
                          end={item.end}
                          data-testid={item.testId}
                          className={({ isActive }) =>
                            cx(
                              'flex items-center gap-3 rounded-fd-sm px-3 py-2 text-sm font-medium transition-colors',
                              isActive ? 'bg-primary/10 text-primary' : 'text-fg hover:bg-primary/5',
                            )
                          }
                        >
                          {({ isActive }) => (
                            <>
                              <I className={cx('size-4.5', isActive ? 'text-primary' : 'text-muted')} />
                              <span className="flex-1">{item.label}</span>
                              {item.soon ? (
                                <span className="rounded-full bg-slate-100 px-1.5 py-px text-[0.65rem] font-semibold tracking-wide text-slate-500 uppercase dark:bg-slate-400/15 dark:text-slate-300">
                                  Soon
                                </span>
                              ) : null}
                            </>
                          )}
                        </NavLink>
                      </li>
                    )
                  })}
                </ul>
              </div>
            ))}
          </nav>
        </aside>

        <div className="mt-8 min-w-0 lg:mt-0">{children}</div>
      </div>
    </Container>
  )
}
