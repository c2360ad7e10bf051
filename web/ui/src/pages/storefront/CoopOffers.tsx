import { AppMark, appName, orderPath, type App } from '../../apps'
import { money, type Catalog } from '../../billing'
import { capabilityOf, type Capability, type Offer } from '../../coop'
import { useApi } from '../../components/data'
import { ArrowRightIcon, DiskIcon, GlobeIcon, ShieldCheckIcon, CpuIcon, type Icon } from '../../components/icons'
import { ButtonLink, Card, Container } from '../../components/ui'

const capabilityIcon: Record<Capability, Icon> = { gpu: CpuIcon, hdd: DiskIcon, bandwidth: GlobeIcon, certified: ShieldCheckIcon }

/**
 * CoopOffers shows a co-op storefront's published offers — machines on the pool nodes with
 * one capability — each opening the deploy form restricted to those nodes. Nothing renders
 * when the storefront has none.
 */
export function CoopOffers() {
  const offers = useApi<{ items: Offer[] }>('/api/offers')
  const catalog = useApi<Catalog>('/api/catalog')
  const items = offers.data?.items ?? []
  // An offer of an app starts at the app's price, not at the smallest VM's.
  const apps = useApi<{ apps: App[] }>(items.some((o) => o.app) ? '/api/apps' : null)
  if (items.length === 0) return null
  const from = (o: Offer) => {
    if (o.app) {
      const a = apps.data?.apps.find((x) => x.key === o.app)
      return a ? money(a.from_monthly_cents, a.currency) : null
    }
    const sizes = (catalog.data?.sizes ?? []).filter((s) => o.sizes.length === 0 || o.sizes.includes(s.id))
    const cheapest = Math.min(...sizes.map((s) => s.monthly_cents ?? Infinity))
    return Number.isFinite(cheapest) && catalog.data ? money(cheapest, catalog.data.currency) : null
  }
  return (
    <section id="offers" aria-labelledby="coop-offers-title" className="scroll-mt-20 border-b border-border py-20 sm:py-24">
      <Container>
        <div className="mx-auto max-w-2xl text-center">
          <p className="text-sm font-semibold text-primary">Specialised offers</p>
          <h2 id="coop-offers-title" className="mt-2 text-3xl font-bold tracking-tight text-fg sm:text-4xl">
            Built on what our members’ nodes do best
          </h2>
          <p className="mt-4 text-base leading-7 text-muted">
            Each offer runs only on the nodes of our pool that have what it promises.
          </p>
        </div>
        <div className="mt-14 flex flex-wrap justify-center gap-6" data-testid="coop-offers">
          {items.map((o) => {
            const cap = capabilityOf(o.capability)
            const IconC = capabilityIcon[o.capability] ?? CpuIcon
            const price = from(o)
            return (
              <Card
                key={o.id}
                className="flex w-full flex-col p-6 sm:p-7 md:w-[calc(50%-0.75rem)] lg:w-[calc(33.333%-1rem)]"
                data-testid="coop-offer"
                data-name={o.name}
              >
                <div className="flex items-center gap-3">
                  {o.app ? (
                    <AppMark app={o.app} className="size-10" />
                  ) : (
                    <span className="flex size-10 items-center justify-center rounded-fd-sm bg-primary/10 text-primary">
                      <IconC className="size-5" />
                    </span>
                  )}
                  {o.app ? (
                    <span className="rounded-full border border-border px-2.5 py-0.5 text-xs font-medium text-fg" data-testid="coop-offer-app">
                      {appName(o.app)}
                    </span>
                  ) : null}
                  <span className="rounded-full border border-border px-2.5 py-0.5 text-xs font-medium text-muted">{cap?.short ?? o.capability}</span>
                </div>
                <h3 className="mt-5 text-lg font-semibold text-fg">{o.name}</h3>
                <p className="mt-1.5 flex-1 text-sm leading-6 text-muted">{o.description || cap?.description}</p>
                <div className="mt-6 border-t border-border pt-5 text-sm">
                  {price ? (
                    <p className="text-fg">
                      <span className="text-muted">From </span>
                      <span className="text-2xl font-bold tracking-tight">{price}</span>
                      <span className="text-muted"> / month</span>
                    </p>
                  ) : null}
                  <p className="mt-0.5 text-xs text-muted">
                    {o.available_nodes > 0
                      ? `${o.available_nodes} ${o.available_nodes === 1 ? 'node' : 'nodes'} available now`
                      : 'All nodes busy right now'}
                  </p>
                </div>
                <ButtonLink to={orderPath(o.app || 'vm', o.id)} className="mt-6 w-full" aria-label={`Deploy ${o.name}`} data-testid="coop-offer-deploy">
                  Deploy
                  <ArrowRightIcon className="size-4" />
                </ButtonLink>
              </Card>
            )
          })}
        </div>
      </Container>
    </section>
  )
}
