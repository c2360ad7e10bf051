import { useEffect, useId, useState } from 'react'
import { Link, NavLink, Outlet, useLocation } from 'react-router'
import { config, isStorefront, isTestMode } from '../config'
import { sectionsFor } from '../sections'
import { BrandMark } from './Brand'
import { CloseIcon, FlaskIcon, HomeIcon, LayoutIcon, MenuIcon, type Icon } from './icons'
import { ButtonLink, Container, cx } from './ui'

interface NavItem {
  path: string
  label: string
  icon: Icon
}

// The storefront lists Home explicitly; the console's home is its brand link (and
// "Overview" in the mobile menu).
const navItems: NavItem[] = [
  ...(isStorefront ? [{ path: '/', label: 'Home', icon: HomeIcon }] : []),
  ...sectionsFor(config.realm).filter((s) => s.inNav),
]

function TestModeBadge() {
  return (
    <span
      data-testid="test-mode"
      title="Payments are simulated in test mode: no card is charged."
      className="inline-flex shrink-0 items-center gap-1.5 rounded-full border border-amber-300 bg-amber-50 px-2 py-1 text-xs font-semibold whitespace-nowrap text-amber-800 sm:px-2.5"
    >
      <FlaskIcon className="size-3.5" />
      <span>Test mode</span>
      <span className="sr-only">: payments are simulated and no card is charged</span>
    </span>
  )
}

function navLinkClass({ isActive }: { isActive: boolean }) {
  return cx(
    'rounded-fd-sm px-3 py-2 text-sm font-medium transition-colors',
    isActive ? 'bg-primary/10 text-primary' : 'text-muted hover:bg-primary/5 hover:text-fg',
  )
}

function mobileNavLinkClass({ isActive }: { isActive: boolean }) {
  return cx(
    'flex items-center gap-3 rounded-fd-sm px-3 py-2.5 text-base font-medium',
    isActive ? 'bg-primary/10 text-primary' : 'text-fg hover:bg-primary/5',
  )
}

function AuthActions({ stacked = false }: { stacked?: boolean }) {
  return (
    <div className={cx('flex gap-2', stacked && 'flex-col')}>
      <ButtonLink
        to="/login"
        variant={stacked || !isStorefront ? 'secondary' : 'ghost'}
        className={cx(stacked && 'w-full')}
      >
        Log in
      </ButtonLink>
      {isStorefront ? (
        <ButtonLink to="/signup" variant="primary" size="md" className={cx(stacked && 'w-full')}>
          Sign up
        </ButtonLink>
      ) : null}
    </div>
  )
}

function Header() {
  const [open, setOpen] = useState(false)
  const location = useLocation()
  const menuId = useId()

  // Close the mobile menu after navigating, and on Escape.
  useEffect(() => setOpen(false), [location.pathname])
  useEffect(() => {
    if (!open) return
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [open])

  return (
    <header className="sticky top-0 z-40 border-b border-border bg-surface/85 backdrop-blur supports-[backdrop-filter]:bg-surface/75">
      <Container className="flex h-16 items-center gap-4">
        <Link
          to="/"
          className="-mx-1 flex min-w-0 items-center gap-2.5 rounded-fd-sm px-1 py-1"
          aria-label={`${config.tenant.name}, home`}
        >
          <BrandMark />
          <span data-testid="brand-name" className="truncate text-[0.95rem] font-semibold tracking-tight text-fg">
            {config.tenant.name}
          </span>
        </Link>

        <nav aria-label="Main" className="ml-4 hidden items-center gap-1 lg:flex">
          {navItems.map((s) => (
            <NavLink key={s.path} to={s.path} end={s.path === '/'} className={navLinkClass}>
              {s.label}
            </NavLink>
          ))}
        </nav>

        <div className="ml-auto flex shrink-0 items-center gap-2 sm:gap-3">
          {isTestMode ? <TestModeBadge /> : null}
          <div className="hidden lg:block">
            <AuthActions />
          </div>
          <button
            type="button"
            className="inline-flex size-10 items-center justify-center rounded-fd-sm border border-border bg-surface text-fg hover:bg-primary/5 lg:hidden"
            aria-expanded={open}
            aria-controls={menuId}
            aria-label={open ? 'Close menu' : 'Open menu'}
            onClick={() => setOpen((v) => !v)}
          >
            {open ? <CloseIcon /> : <MenuIcon />}
          </button>
        </div>
      </Container>

      <div id={menuId} hidden={!open} className="border-t border-border bg-surface lg:hidden">
        <Container className="py-3">
          <nav aria-label="Main" className="flex flex-col gap-1">
            {isStorefront ? null : (
              <NavLink to="/" end className={mobileNavLinkClass}>
                <LayoutIcon className="size-5 text-muted" />
                Overview
              </NavLink>
            )}
            {navItems.map((s) => {
              const Icon = s.icon
              return (
                <NavLink key={s.path} to={s.path} end={s.path === '/'} className={mobileNavLinkClass}>
                  <Icon className="size-5 text-muted" />
                  {s.label}
                </NavLink>
              )
            })}
          </nav>
          <div className="mt-3 border-t border-border pt-3">
            <AuthActions stacked />
          </div>
        </Container>
      </div>
    </header>
  )
}

function Footer() {
  const year = new Date().getFullYear()
  const { name, pitch } = config.tenant

  if (!isStorefront) {
    return (
      <footer className="border-t border-border bg-surface">
        <Container className="flex flex-col gap-2 py-6 text-sm text-muted sm:flex-row sm:items-center sm:justify-between">
          <p>{name}</p>
          <p>
            Version <span className="font-mono text-fg">{config.version}</span>
          </p>
        </Container>
      </footer>
    )
  }

  const columns = [
    {
      heading: 'Servers',
      links: [
        { to: '/deploy', label: 'Deploy a VM' },
        { to: '/deployments', label: 'Deployments' },
        { to: '/#plans', label: 'Sizes' },
      ],
    },
    {
      heading: 'Account',
      links: [
        { to: '/billing', label: 'Billing' },
        { to: '/account', label: 'Account' },
        { to: '/login', label: 'Log in' },
        { to: '/signup', label: 'Sign up' },
      ],
    },
  ]

  return (
    <footer className="border-t border-border bg-surface">
      <Container className="grid grid-cols-2 gap-x-6 gap-y-10 py-12 lg:grid-cols-4">
        <div className="col-span-2">
          <Link to="/" className="inline-flex items-center gap-2.5 rounded-fd-sm" aria-label={`${name}, home`}>
            <BrandMark />
            <span className="font-semibold tracking-tight text-fg">{name}</span>
          </Link>
          {pitch ? <p className="mt-3 max-w-sm text-sm leading-6 text-muted">{pitch}</p> : null}
        </div>
        {columns.map((col) => (
          <nav key={col.heading} aria-label={col.heading}>
            <h2 className="text-sm font-semibold text-fg">{col.heading}</h2>
            <ul className="mt-3 space-y-2">
              {col.links.map((l) => (
                <li key={l.label}>
                  <Link to={l.to} className="rounded-sm text-sm text-muted hover:text-primary">
                    {l.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ))}
      </Container>
      <div className="border-t border-border">
        <Container className="flex flex-col gap-1 py-5 text-xs text-muted sm:flex-row sm:justify-between">
          <p>
            © {year} {name}. All rights reserved.
          </p>
          <p>Prices are per month and billed to your card.</p>
        </Container>
      </div>
    </footer>
  )
}

export function Layout() {
  const location = useLocation()

  // Single-page navigation keeps the scroll position; start each page at the top
  // unless the link targets an anchor on it.
  useEffect(() => {
    if (location.hash) {
      document.getElementById(location.hash.slice(1))?.scrollIntoView()
    } else {
      window.scrollTo(0, 0)
    }
  }, [location.pathname, location.hash])

  return (
    <div className="flex min-h-dvh flex-col bg-bg text-fg">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50 focus:rounded-fd-sm focus:bg-surface focus:px-4 focus:py-2 focus:text-sm focus:font-semibold focus:text-fg focus:shadow-lg"
      >
        Skip to content
      </a>
      <Header />
      <main id="main" tabIndex={-1} className="flex-1 focus:outline-none">
        <Outlet />
      </main>
      <Footer />
    </div>
  )
}
