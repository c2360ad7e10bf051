import { Link } from 'react-router'
import { useApi } from '../components/data'
import { ActivityIcon, ArrowRightIcon, FileTextIcon, FingerprintIcon, HandshakeIcon, KeyIcon, StoreIcon, UserIcon } from '../components/icons'
import { ButtonLink, Card, Container, IconBadge, usePageTitle } from '../components/ui'
import { visibleSections } from '../sections'
import { enrolPath, hasRole, mustEnrolMfa, mustStepUp, roleLabel, rolesHere, useSession } from '../session'
import type { Application } from '../tenancy'
import { CoopInvitations } from './console/CoopInvitations'

/** PendingApplications tells a super-admin how many storefront applications wait for a decision. */
function PendingApplications() {
  const pending = useApi<{ items: Application[] }>('/api/console/applications?status=pending&limit=100')
  const n = pending.data?.items.length ?? 0
  if (n === 0) return null
  return (
    <Card
      className="mb-8 flex flex-col gap-4 border-amber-300 bg-amber-50/60 p-5 sm:flex-row sm:items-center sm:justify-between"
      data-testid="pending-applications"
    >
      <div className="flex items-start gap-4">
        <IconBadge className="bg-amber-100 text-amber-800 ring-amber-600/20">
          <FileTextIcon />
        </IconBadge>
        <div>
          <h2 className="font-semibold text-fg">
            {n === 1 ? 'One storefront application is' : `${n >= 100 ? '100+' : n} storefront applications are`} waiting
          </h2>
          <p className="mt-0.5 text-sm text-muted">Would-be operators and co-ops asked for a storefront. Approve or reject them.</p>
        </div>
      </div>
      <ButtonLink to="/tenants/applications" className="shrink-0">
        Review applications
      </ButtonLink>
    </Card>
  )
}

// Served by the Go server itself, outside the single-page app, so these are plain links.
const serviceEndpoints = [
  { label: 'Liveness', href: '/healthz' },
  { label: 'Readiness', href: '/readyz' },
  { label: 'Metrics', href: '/metrics' },
  { label: 'API description', href: '/api/openapi.json' },
]

export function ConsoleHome() {
  usePageTitle()
  const session = useSession()
  const me = session.me
  const sections = visibleSections('platform', me)
  const operatorOnly = !!me && !hasRole(me, 'super_admin')

  return (
    <div data-testid="console-home">
      <section className="fd-hero-wash relative isolate overflow-hidden border-b border-border">
        <div className="fd-grid pointer-events-none absolute inset-0 -z-10" />
        <Container className="py-14 sm:py-16">
          <p className="text-sm font-semibold text-primary">Operations</p>
          <h1 data-testid="hero-title" className="mt-2 text-3xl font-bold tracking-tight text-fg sm:text-4xl">
            Platform console
          </h1>
          <p className="mt-3 max-w-2xl text-base leading-7 text-muted">
            {operatorOnly
              ? 'Supply capacity to the storefronts on this platform: join their node pools, expose your nodes and follow what they earn.'
              : 'Run the platform: the storefronts and their health, the node operators who supply capacity, accounts, and the background work that deploys and renews every VM.'}
          </p>
          {session.status === 'signed-out' ? (
            <div className="mt-8">
              <p className="text-sm font-medium text-fg">Want a cloud storefront of your own?</p>
              <div className="mt-3 flex flex-col gap-3 sm:flex-row">
                <ButtonLink to="/apply?kind=operator" size="lg" data-testid="apply-operator">
                  <StoreIcon className="size-4.5" />
                  Become an operator
                </ButtonLink>
                <ButtonLink to="/apply?kind=coop" size="lg" variant="secondary" data-testid="apply-coop">
                  <HandshakeIcon className="size-4.5" />
                  Register a co-op
                </ButtonLink>
              </div>
            </div>
          ) : null}
        </Container>
      </section>

      <Container className="py-12">
        {session.status === 'signed-out' ? (
          <Card className="mb-8 flex flex-col gap-4 p-5 sm:flex-row sm:items-center sm:justify-between">
            <div className="flex items-start gap-4">
              <IconBadge>
                <KeyIcon />
              </IconBadge>
              <div>
                <h2 className="font-semibold text-fg">Sign in to see live figures</h2>
                <p className="mt-0.5 text-sm text-muted">
                  Super-admins and node operators see their pages here after signing in.
                </p>
              </div>
            </div>
            <div className="flex shrink-0 flex-col gap-2 sm:flex-row">
              <ButtonLink to="/signup" variant="secondary">
                Register as a node operator
              </ButtonLink>
              <ButtonLink to="/login">Log in</ButtonLink>
            </div>
          </Card>
        ) : me && mustEnrolMfa(me) ? (
          <Card className="mb-8 flex flex-col gap-4 border-amber-300 bg-amber-50/60 p-5 sm:flex-row sm:items-center sm:justify-between">
            <div className="flex items-start gap-4">
              <IconBadge className="bg-amber-100 text-amber-800 ring-amber-600/20">
                <FingerprintIcon />
              </IconBadge>
              <div>
                <h2 className="font-semibold text-fg">Set up two-factor authentication</h2>
                <p className="mt-0.5 text-sm text-muted">Your role requires it before the console pages open.</p>
              </div>
            </div>
            <ButtonLink to={enrolPath('/')} className="shrink-0">
              Set it up
            </ButtonLink>
          </Card>
        ) : me ? (
          <>
            {hasRole(me, 'super_admin') && !mustStepUp(me) ? <PendingApplications /> : null}
            <CoopInvitations />
            <Card className="mb-8 flex flex-col gap-4 p-5 sm:flex-row sm:items-center sm:justify-between" data-testid="console-signed-in">
              <div className="flex min-w-0 items-start gap-4">
                <IconBadge>
                  <UserIcon />
                </IconBadge>
                <div className="min-w-0">
                  <h2 className="truncate font-semibold text-fg">Signed in as {me.account.email}</h2>
                  <p className="mt-0.5 text-sm text-muted">{rolesHere(me).map(roleLabel).join(', ') || 'Platform account'}</p>
                </div>
              </div>
              <ButtonLink to="/account" variant="secondary" className="shrink-0">
                Account settings
              </ButtonLink>
            </Card>
          </>
        ) : null}

        <h2 className="sr-only">Sections</h2>
        <ul className="grid gap-5 sm:grid-cols-2 lg:grid-cols-3">
          {sections.map((s) => {
            const Icon = s.icon
            return (
              <li key={s.path}>
                <Link
                  to={s.path}
                  className="group flex h-full flex-col rounded-fd border border-border bg-surface p-6 shadow-xs transition hover:-translate-y-0.5 hover:border-primary/40 hover:shadow-md"
                >
                  <IconBadge>
                    <Icon />
                  </IconBadge>
                  <h3 className="mt-5 text-base font-semibold text-fg">{s.label}</h3>
                  <p className="mt-1.5 flex-1 text-sm leading-6 text-muted">{s.summary}</p>
                  <span className="mt-5 inline-flex items-center gap-1.5 text-sm font-semibold text-primary">
                    Open {s.label.toLowerCase()}
                    <ArrowRightIcon className="size-4 transition-transform group-hover:translate-x-0.5" />
                  </span>
                </Link>
              </li>
            )
          })}
          {operatorOnly ? null : (
          <li>
            <Card className="flex h-full flex-col p-6">
              <IconBadge>
                <ActivityIcon />
              </IconBadge>
              <h3 className="mt-5 text-base font-semibold text-fg">Service endpoints</h3>
              <p className="mt-1.5 text-sm leading-6 text-muted">Probes and machine-readable views of this server.</p>
              <ul className="mt-4 divide-y divide-border rounded-fd-sm border border-border text-sm">
                {serviceEndpoints.map((e) => (
                  <li key={e.href}>
                    <a
                      href={e.href}
                      className="flex items-center justify-between gap-3 px-3 py-2 hover:bg-primary/5 hover:text-primary"
                    >
                      <span className="font-medium">{e.label}</span>
                      <code className="font-mono text-xs text-muted">{e.href}</code>
                    </a>
                  </li>
                ))}
              </ul>
            </Card>
          </li>
          )}
        </ul>
      </Container>
    </div>
  )
}
