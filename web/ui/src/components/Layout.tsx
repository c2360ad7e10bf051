import { useEffect, useId, useRef, useState } from 'react'
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import { api, setApiHandlers, type Me } from '../api'
import { config, isStorefront, isTestMode, useBrand } from '../config'
import { visibleSections } from '../sections'
import { enrolPath, isStaff, loadMe, roleLabel, rolesHere, setMe, signedOut, useSession } from '../session'
import { BrandMark } from './Brand'
import {
  ChevronDownIcon,
  CloseIcon,
  FlaskIcon,
  GaugeIcon,
  HomeIcon,
  LayoutIcon,
  LogOutIcon,
  MenuIcon,
  UserIcon,
  type Icon,
} from './icons'
import { ButtonLink, Container, cx } from './ui'

interface NavItem {
  path: string
  label: string
  icon: Icon
}

// The storefront lists Home explicitly; the console's home is its brand link (and
// "Overview" in the mobile menu). The console shows only what the signed-in role may open.
function navItemsFor(me: Me | null): NavItem[] {
  return [...(isStorefront ? [{ path: '/', label: 'Home', icon: HomeIcon }] : []), ...visibleSections(config.realm, me)]
}

function TestModeBadge() {
  return (
    <span
      data-testid="test-mode"
      title="Payments are simulated in test mode: no card is charged."
      className="inline-flex shrink-0 items-center gap-1.5 rounded-full border border-amber-300 bg-amber-50 px-2 py-1 text-xs font-semibold whitespace-nowrap text-amber-800 sm:px-2.5 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-300"
    >
      <FlaskIcon className="size-3.5" />
      <span>Test mode</span>
      <span className="sr-only">: payments are simulated and no card is charged</span>
    </span>
  )
}

function navLinkClass({ isActive }: { isActive: boolean }) {
  return cx(
    'rounded-fd-sm px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors',
    isActive ? 'bg-primary/10 text-primary' : 'text-muted hover:bg-primary/5 hover:text-fg',
  )
}

// An app's order form lives under /deploy/app/ but belongs to the Apps section, not Deploy.
function sectionActive(path: string, pathname: string, isActive: boolean): boolean {
  const appForm = pathname.startsWith('/deploy/app/')
  if (path === '/deploy') return isActive && !appForm
  if (path === '/apps') return isActive || appForm
  return isActive
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

function useLogout() {
  const navigate = useNavigate()
  return async () => {
    try {
      await api.post('/api/auth/logout', undefined, { auth: 'none' })
    } catch {
      // The cookies may already be gone; signing out locally is what matters.
    }
    signedOut()
    navigate('/login', { replace: true, state: { loggedOut: true } })
  }
}

function Avatar({ email, className }: { email: string; className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cx(
        'inline-flex size-8 shrink-0 items-center justify-center rounded-full bg-primary/12 text-sm font-semibold text-primary ring-1 ring-primary/20 ring-inset',
        className,
      )}
    >
      {(Array.from(email)[0] ?? '?').toUpperCase()}
    </span>
  )
}

function rolesLine(me: Me): string {
  const roles = rolesHere(me).filter((r) => isStorefront || r !== 'customer')
  return roles.length ? roles.map(roleLabel).join(', ') : isStorefront ? 'Customer' : 'Platform account'
}

interface MenuLink {
  to: string
  label: string
  icon: Icon
  testId: string
}

function userLinks(me: Me): MenuLink[] {
  const links: MenuLink[] = [{ to: '/account', label: 'Account', icon: UserIcon, testId: 'menu-account' }]
  if (isStorefront && isStaff(me)) links.push({ to: '/admin', label: 'Admin', icon: GaugeIcon, testId: 'menu-admin' })
  return links
}

/** UserMenu is the signed-in account's disclosure menu in the header. */
function UserMenu({ me, compact }: { me: Me; compact: boolean }) {
  const [open, setOpen] = useState(false)
  const ref = useRef<HTMLDivElement>(null)
  const buttonRef = useRef<HTMLButtonElement>(null)
  const location = useLocation()
  const menuId = useId()
  const logout = useLogout()

  useEffect(() => setOpen(false), [location.pathname])
  useEffect(() => {
    if (!open) return
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false)
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false)
        buttonRef.current?.focus()
      }
    }
    document.addEventListener('mousedown', onDown)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('mousedown', onDown)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  const email = me.account.email
  return (
    <div ref={ref} className="relative">
      <button
        ref={buttonRef}
        type="button"
        data-testid="user-menu-button"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={`Account menu for ${email}`}
        onClick={() => setOpen((v) => !v)}
        className="flex items-center gap-2 rounded-full border border-border bg-surface py-1 pr-2.5 pl-1 text-sm text-fg shadow-xs hover:border-primary/40 hover:bg-primary/5"
      >
        <Avatar email={email} className="size-7" />
        {/* A long nav leaves no room for the address; the open menu shows it. */}
        <span className={cx('hidden max-w-44 truncate font-medium', !compact && 'xl:inline')}>{email}</span>
        <ChevronDownIcon className={cx('size-4 text-muted transition-transform', open && 'rotate-180')} />
      </button>
      <div
        id={menuId}
        hidden={!open}
        data-testid="user-menu"
        className="absolute right-0 z-50 mt-2 w-64 overflow-hidden rounded-fd border border-border bg-surface shadow-xl shadow-slate-900/10"
      >
        <div className="border-b border-border px-4 py-3">
          <p data-testid="user-email" className="truncate text-sm font-semibold text-fg">
            {email}
          </p>
          <p className="mt-0.5 truncate text-xs text-muted">{rolesLine(me)}</p>
        </div>
        <ul className="p-1.5">
          {userLinks(me).map((l) => {
            const I = l.icon
            return (
              <li key={l.to}>
                <Link
                  to={l.to}
                  data-testid={l.testId}
                  className="flex items-center gap-3 rounded-fd-sm px-2.5 py-2 text-sm font-medium text-fg hover:bg-primary/5"
                >
                  <I className="size-4.5 text-muted" />
                  {l.label}
                </Link>
              </li>
            )
          })}
          <li className="mt-1 border-t border-border pt-1">
            <button
              type="button"
              data-testid="menu-logout"
              onClick={logout}
              className="flex w-full items-center gap-3 rounded-fd-sm px-2.5 py-2 text-left text-sm font-medium text-fg hover:bg-primary/5"
            >
              <LogOutIcon className="size-4.5 text-muted" />
              Log out
            </button>
          </li>
        </ul>
      </div>
    </div>
  )
}

function MobileUserSection({ me }: { me: Me }) {
  const logout = useLogout()
  return (
    <div className="flex flex-col gap-1">
      <div className="flex items-center gap-3 px-3 py-2">
        <Avatar email={me.account.email} />
        <div className="min-w-0">
          <p className="truncate text-sm font-semibold text-fg">{me.account.email}</p>
          <p className="truncate text-xs text-muted">{rolesLine(me)}</p>
        </div>
      </div>
      {userLinks(me).map((l) => {
        const I = l.icon
        return (
          <NavLink key={l.to} to={l.to} className={mobileNavLinkClass}>
            <I className="size-5 text-muted" />
            {l.label}
          </NavLink>
        )
      })}
      <button
        type="button"
        onClick={logout}
        className="flex items-center gap-3 rounded-fd-sm px-3 py-2.5 text-left text-base font-medium text-fg hover:bg-primary/5"
      >
        <LogOutIcon className="size-5 text-muted" />
        Log out
      </button>
    </div>
  )
}

function Header() {
  const [open, setOpen] = useState(false)
  const location = useLocation()
  const menuId = useId()
  const session = useSession()
  const brand = useBrand()
  const navItems = navItemsFor(session.me)
  // A super-admin's console nav is long: fold it into the menu until the screen is wide.
  const wide = navItems.length > 6

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
          aria-label={`${brand.name}, home`}
        >
          <BrandMark />
          <span data-testid="brand-name" className="truncate text-[0.95rem] font-semibold tracking-tight text-fg">
            {brand.name}
          </span>
        </Link>

        <nav aria-label="Main" className={cx('ml-4 hidden items-center gap-1', wide ? 'xl:flex' : 'lg:flex')}>
          {navItems.map((s) => (
            <NavLink
              key={s.path}
              to={s.path}
              end={s.path === '/'}
              className={({ isActive }) => navLinkClass({ isActive: sectionActive(s.path, location.pathname, isActive) })}
            >
              {s.label}
            </NavLink>
          ))}
        </nav>

        <div className="ml-auto flex shrink-0 items-center gap-2 sm:gap-3">
          {isTestMode ? <TestModeBadge /> : null}
          {session.status === 'signed-in' ? (
            <div className="hidden lg:block">
              <UserMenu me={session.me} compact={wide} />
            </div>
          ) : session.status === 'signed-out' ? (
            <div className="hidden lg:block">
              <AuthActions />
            </div>
          ) : (
            <span className="hidden h-10 w-24 lg:block" aria-hidden="true" />
          )}
          <button
            type="button"
            className={cx(
              'inline-flex size-10 items-center justify-center rounded-fd-sm border border-border bg-surface text-fg hover:bg-primary/5',
              wide ? 'xl:hidden' : 'lg:hidden',
            )}
            aria-expanded={open}
            aria-controls={menuId}
            aria-label={open ? 'Close menu' : 'Open menu'}
            onClick={() => setOpen((v) => !v)}
          >
            {open ? <CloseIcon /> : <MenuIcon />}
          </button>
        </div>
      </Container>

      <div id={menuId} hidden={!open} className={cx('border-t border-border bg-surface', wide ? 'xl:hidden' : 'lg:hidden')}>
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
                <NavLink
                  key={s.path}
                  to={s.path}
                  end={s.path === '/'}
                  className={({ isActive }) => mobileNavLinkClass({ isActive: sectionActive(s.path, location.pathname, isActive) })}
                >
                  <Icon className="size-5 text-muted" />
                  {s.label}
                </NavLink>
              )
            })}
          </nav>
          {session.status === 'signed-in' ? (
            <div className="mt-3 border-t border-border pt-3 lg:hidden">
              <MobileUserSection me={session.me} />
            </div>
          ) : session.status === 'signed-out' ? (
            <div className="mt-3 border-t border-border pt-3">
              <AuthActions stacked />
            </div>
          ) : null}
        </Container>
      </div>
    </header>
  )
}

function Footer() {
  const year = new Date().getFullYear()
  const { name, pitch } = useBrand()
  const session = useSession()

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
        { to: '/apps', label: 'Apps' },
        { to: '/deployments', label: 'Deployments' },
        { to: '/#plans', label: 'Sizes' },
      ],
    },
    {
      heading: 'Account',
      links: [
        { to: '/billing', label: 'Billing' },
        { to: '/account', label: 'Account' },
        ...(session.status === 'signed-in'
          ? []
          : [
              { to: '/login', label: 'Log in' },
              { to: '/signup', label: 'Sign up' },
            ]),
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

/** useSessionWiring loads the session once and lets the API client navigate. */
function useSessionWiring() {
  const navigate = useNavigate()
  useEffect(() => {
    setApiHandlers({
      onSignedOut: (next) => {
        setMe(null)
        navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true })
      },
      onMfaRequired: (next) => {
        // The account may have changed since it was loaded (2FA turned off elsewhere).
        void loadMe().catch(() => {})
        navigate(enrolPath(next), { replace: true })
      },
    })
    void loadMe().catch(() => {})
  }, [navigate])
}

export function Layout() {
  const location = useLocation()
  useSessionWiring()

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
