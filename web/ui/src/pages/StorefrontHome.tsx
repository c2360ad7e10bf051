import { money, type Catalog } from '../billing'
import { useApi } from '../components/data'
import { useBrand } from '../config'
import {
  ArrowRightIcon,
  CardIcon,
  CheckIcon,
  CpuIcon,
  DiskIcon,
  MemoryIcon,
  NetworkIcon,
  ShieldCheckIcon,
  TerminalIcon,
} from '../components/icons'
import { CoopOffers } from './storefront/CoopOffers'
import { HomeApps } from './storefront/HomeApps'
import { ButtonLink, Card, Container, IconBadge, cx, usePageTitle } from '../components/ui'

interface Plan {
  id: string
  name: string
  vcpu: number
  ramGB: number
  diskGB: number
  blurb: string
  recommended?: boolean
  /** The monthly price from /api/catalog, in the storefront's currency. */
  price?: string
}

// The default sizes, shown while /api/catalog loads (or if it cannot be reached); the
// storefront's own sizes and prices replace them.
const plans: Plan[] = [
  { id: 'small', name: 'Small', vcpu: 1, ramGB: 2, diskGB: 25, blurb: 'Personal projects, bots, small websites and VPN endpoints.' },
  { id: 'medium', name: 'Medium', vcpu: 2, ramGB: 4, diskGB: 50, blurb: 'Web apps, databases, CI runners and game servers.', recommended: true },
  { id: 'large', name: 'Large', vcpu: 4, ramGB: 8, diskGB: 100, blurb: 'Busy services, build machines and heavier workloads.' },
]

const blurbs: Record<string, string> = Object.fromEntries(plans.map((p) => [p.id, p.blurb]))

/** useOffers is the storefront's sizes with their real monthly prices from /api/catalog. */
function useOffers(): { offers: Plan[]; loading: boolean } {
  const catalog = useApi<Catalog>('/api/catalog')
  const c = catalog.data
  if (!c?.sizes.length) return { offers: plans, loading: catalog.loading }
  const middle = c.sizes.length >= 3 ? Math.floor((c.sizes.length - 1) / 2) : -1
  return {
    loading: false,
    offers: c.sizes.map((z, i) => ({
      id: z.id,
      name: z.name,
      vcpu: z.cpu,
      ramGB: z.ram_gb,
      diskGB: z.disk_gb,
      blurb: blurbs[z.id] ?? `${z.cpu} vCPU and ${z.ram_gb} GB of memory for your workloads.`,
      recommended: i === middle,
      price: money(z.monthly_cents ?? 0, c.currency),
    })),
  }
}

const included = ['Full root access over SSH', 'Mycelium networking', 'Optional public IPv4', 'Cancel any time']

const reasons = [
  {
    icon: NetworkIcon,
    title: 'Mycelium networking',
    body: 'Every VM gets an end-to-end encrypted IPv6 address on the Mycelium overlay network, reachable from anywhere without opening ports. Add a public IPv4 when you need one.',
  },
  {
    icon: ShieldCheckIcon,
    title: 'Backups that take over',
    body: 'Add a standby backup VM that takes over if yours goes down, or QSFS storage that keeps your data even when 8 of its 20 storage nodes fail.',
  },
  {
    icon: CardIcon,
    title: 'Pay by card',
    body: 'A fixed monthly price in dollars, charged to your card, with a receipt every month. No wallet to fund and nothing to install.',
  },
]

const steps = [
  { title: 'Pick a size and an image', body: 'Choose how much CPU, memory and disk you need and the operating system to start from.' },
  { title: 'Pay by card', body: 'See the monthly price before you confirm. Your card is charged once a month.' },
  { title: 'Connect over SSH', body: 'Follow the deployment live; when it is running, copy the ssh line and log in.' },
]

function ServerPreview() {
  const rows: Array<[string, string]> = [
    ['Image', 'Ubuntu 24.04'],
    ['Size', 'Medium · 2 vCPU · 4 GB'],
    ['Mycelium', '4a9:c1e2:7a51:9b0e::1'],
    ['Backup', 'Standby VM · healthy'],
    ['Renews', 'in 30 days'],
  ]
  return (
    <div aria-hidden="true" className="relative">
      <div className="absolute -inset-4 -z-10 rounded-[2rem] bg-primary/10 blur-2xl" />
      <div className="overflow-hidden rounded-fd-lg border border-border bg-surface shadow-xl shadow-primary/10">
        <div className="flex items-center gap-3 border-b border-border px-5 py-3.5">
          <div className="flex gap-1.5">
            <span className="size-2.5 rounded-full bg-border" />
            <span className="size-2.5 rounded-full bg-border" />
            <span className="size-2.5 rounded-full bg-border" />
          </div>
          <span className="font-mono text-sm font-medium text-fg">web-01</span>
          <span className="ml-auto inline-flex items-center gap-1.5 rounded-full bg-emerald-50 px-2.5 py-0.5 text-xs font-semibold text-emerald-700 ring-1 ring-emerald-600/20 ring-inset">
            <span className="size-1.5 rounded-full bg-emerald-500" />
            Running
          </span>
        </div>
        <dl className="divide-y divide-border px-5">
          {rows.map(([k, v]) => (
            <div key={k} className="flex items-center justify-between gap-4 py-3 text-sm">
              <dt className="text-muted">{k}</dt>
              <dd className={cx('truncate text-right font-medium text-fg', k === 'Mycelium' && 'font-mono text-[0.8rem]')}>{v}</dd>
            </div>
          ))}
        </dl>
        <div className="m-4 mt-1 flex items-center gap-2 overflow-hidden rounded-fd-sm bg-slate-900 px-4 py-3 font-mono text-[0.8rem] text-slate-100">
          <TerminalIcon className="size-4 shrink-0 text-slate-400" />
          <span className="truncate">
            <span className="text-slate-400">$</span> ssh root@4a9:c1e2:7a51:9b0e::1
          </span>
        </div>
      </div>
    </div>
  )
}

function Spec({ icon: Icon, label }: { icon: typeof CpuIcon; label: string }) {
  return (
    <li className="flex items-center gap-3 text-sm text-fg">
      <Icon className="size-4.5 shrink-0 text-muted" />
      {label}
    </li>
  )
}

export function StorefrontHome() {
  usePageTitle()
  const { name, pitch } = useBrand()
  const { offers, loading } = useOffers()

  return (
    <>
      <section className="fd-hero-wash relative isolate overflow-hidden border-b border-border">
        <div className="fd-grid pointer-events-none absolute inset-0 -z-10" />
        <Container className="grid items-center gap-12 py-16 sm:py-20 lg:grid-cols-[1.1fr_1fr] lg:gap-16 lg:py-28">
          <div>
            <p className="inline-flex items-center gap-2 rounded-full border border-border bg-surface/80 px-3 py-1 text-xs font-medium text-muted shadow-xs">
              <span className="size-1.5 rounded-full bg-primary" />
              Cloud VMs, billed monthly by card
            </p>
            <h1
              data-testid="hero-title"
              className="mt-6 text-4xl font-bold tracking-tight text-balance text-fg sm:text-5xl lg:text-6xl"
            >
              {name}
            </h1>
            {pitch ? (
              <p className="mt-5 max-w-xl text-lg leading-8 text-pretty text-muted sm:text-xl">{pitch}</p>
            ) : null}
            <div className="mt-9 flex flex-col gap-3 sm:flex-row">
              <ButtonLink to="/deploy" size="lg" data-testid="primary-cta">
                Deploy a VM
                <ArrowRightIcon className="size-4.5" />
              </ButtonLink>
              <ButtonLink to="/#plans" variant="secondary" size="lg">
                See sizes
              </ButtonLink>
            </div>
            <ul className="mt-8 flex flex-wrap gap-x-6 gap-y-2 text-sm text-muted">
              {['Running in minutes', 'Root access over SSH', 'Cancel any time'].map((t) => (
                <li key={t} className="flex items-center gap-1.5">
                  <CheckIcon className="size-4 text-primary" />
                  {t}
                </li>
              ))}
            </ul>
          </div>
          <ServerPreview />
        </Container>
      </section>

      <CoopOffers />

      <section id="plans" aria-labelledby="plans-title" className="scroll-mt-20 py-20 sm:py-24">
        <Container>
          <div className="mx-auto max-w-2xl text-center">
            <p className="text-sm font-semibold text-primary">Sizes</p>
            <h2 id="plans-title" className="mt-2 text-3xl font-bold tracking-tight text-fg sm:text-4xl">
              A server for every workload
            </h2>
            <p className="mt-4 text-base leading-7 text-muted">
              Virtual machines with SSD storage at a fixed monthly price. Start small and deploy a bigger one whenever you need it.
            </p>
          </div>

          <div
            className={cx('mt-14 grid gap-6', offers.length > 3 ? 'md:grid-cols-2 lg:grid-cols-4' : 'md:grid-cols-3')}
            data-testid="offers"
          >
            {offers.map((p) => (
              <Card
                key={p.id}
                className={cx(
                  'relative flex flex-col p-6 sm:p-7',
                  p.recommended && 'border-primary/60 shadow-lg shadow-primary/10 ring-1 ring-primary/40',
                )}
              >
                {p.recommended ? (
                  <span className="absolute -top-3 left-6 rounded-full bg-primary px-3 py-1 text-xs font-semibold text-primary-contrast shadow-sm">
                    Recommended
                  </span>
                ) : null}
                <h3 className="text-lg font-semibold text-fg">{p.name}</h3>
                <p className="mt-1.5 text-sm md:min-h-12 leading-6 text-muted">{p.blurb}</p>
                <ul className="mt-6 space-y-3">
                  <Spec icon={CpuIcon} label={`${p.vcpu} vCPU`} />
                  <Spec icon={MemoryIcon} label={`${p.ramGB} GB memory`} />
                  <Spec icon={DiskIcon} label={`${p.diskGB} GB SSD`} />
                </ul>
                <div className="mt-6 border-t border-border pt-5">
                  {p.price ? (
                    <p className="text-fg" data-testid="offer-price">
                      <span className="text-2xl font-bold tracking-tight">{p.price}</span>
                      <span className="text-sm text-muted"> / month</span>
                    </p>
                  ) : loading ? (
                    <p className="h-8 w-24 animate-pulse rounded-fd-sm bg-border/70" aria-label="Loading the price" />
                  ) : (
                    <p className="text-sm font-medium text-fg">Price on the deploy page</p>
                  )}
                  <p className="mt-0.5 text-xs text-muted">Billed monthly to your card</p>
                </div>
                <ButtonLink
                  to={`/deploy?size=${p.id}`}
                  variant={p.recommended ? 'primary' : 'secondary'}
                  className="mt-6 w-full"
                  aria-label={`Deploy a ${p.name} VM`}
                >
                  Deploy {p.name}
                </ButtonLink>
              </Card>
            ))}
          </div>

          <ul className="mx-auto mt-10 grid w-fit gap-3 text-sm text-muted sm:flex sm:w-auto sm:max-w-4xl sm:flex-wrap sm:justify-center sm:gap-x-8">
            {included.map((t) => (
              <li key={t} className="flex items-center gap-2">
                <CheckIcon className="size-4 text-primary" />
                {t}
              </li>
            ))}
          </ul>
        </Container>
      </section>

      <HomeApps />

      <section aria-labelledby="why-title" className="border-y border-border bg-surface py-20 sm:py-24">
        <Container>
          <div className="max-w-2xl">
            <p className="text-sm font-semibold text-primary">Why {name}</p>
            <h2 id="why-title" className="mt-2 text-3xl font-bold tracking-tight text-fg sm:text-4xl">
              Built to stay up, simple to pay for
            </h2>
          </div>
          <div className="mt-12 grid gap-10 md:grid-cols-3 md:gap-8">
            {reasons.map((r) => {
              const Icon = r.icon
              return (
                <div key={r.title}>
                  <IconBadge>
                    <Icon />
                  </IconBadge>
                  <h3 className="mt-5 text-base font-semibold text-fg">{r.title}</h3>
                  <p className="mt-2 text-sm leading-6 text-muted">{r.body}</p>
                </div>
              )
            })}
          </div>
        </Container>
      </section>

      <section aria-labelledby="how-title" className="py-20 sm:py-24">
        <Container>
          <div className="grid gap-12 lg:grid-cols-[1fr_1.4fr] lg:gap-16">
            <div>
              <p className="text-sm font-semibold text-primary">How it works</p>
              <h2 id="how-title" className="mt-2 text-3xl font-bold tracking-tight text-fg sm:text-4xl">
                From sign-up to SSH in three steps
              </h2>
              <p className="mt-4 text-base leading-7 text-muted">
                No quotas to request and no contract. You see the monthly price before you pay.
              </p>
            </div>
            <ol className="space-y-4">
              {steps.map((s, i) => (
                <li key={s.title}>
                  <Card className="flex gap-5 p-5 sm:p-6">
                    <span className="flex size-9 shrink-0 items-center justify-center rounded-full border border-primary/30 bg-primary/10 text-sm font-bold text-primary">
                      {i + 1}
                    </span>
                    <div>
                      <h3 className="font-semibold text-fg">{s.title}</h3>
                      <p className="mt-1 text-sm leading-6 text-muted">{s.body}</p>
                    </div>
                  </Card>
                </li>
              ))}
            </ol>
          </div>

          <div className="relative isolate mt-20 overflow-hidden rounded-fd-lg bg-primary px-6 py-12 text-primary-contrast sm:px-12 sm:py-14">
            <div className="absolute inset-0 -z-10 bg-[radial-gradient(40rem_20rem_at_100%_0%,rgb(255_255_255/0.18),transparent_70%)]" />
            <div className="flex flex-col gap-8 md:flex-row md:items-center md:justify-between">
              <div>
                <h2 className="text-2xl font-bold tracking-tight sm:text-3xl">Your next server is a few clicks away.</h2>
                <p className="mt-2 opacity-85">Pick a size, pay by card, and connect over SSH.</p>
              </div>
              <ButtonLink
                to="/deploy"
                size="lg"
                variant="inverse"
                className="shrink-0"
              >
                Deploy a VM
                <ArrowRightIcon className="size-4.5" />
              </ButtonLink>
            </div>
          </div>
        </Container>
      </section>
    </>
  )
}
