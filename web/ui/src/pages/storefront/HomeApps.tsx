import { Link } from 'react-router'
import { AppMark, oneClick, orderPath, requirement, type App } from '../../apps'
import { money } from '../../billing'
import { useApi } from '../../components/data'
import { ArrowRightIcon } from '../../components/icons'
import { Container } from '../../components/ui'

/**
 * HomeApps shows the storefront's one-click apps on its home page, each opening its order
 * form; nothing renders when the storefront sells none.
 */
export function HomeApps() {
  const apps = oneClick(useApi<{ apps: App[] }>('/api/apps').data?.apps ?? [])
  if (apps.length === 0) return null
  return (
    <section id="apps" aria-labelledby="home-apps-title" className="scroll-mt-20 border-t border-border py-20 sm:py-24">
      <Container>
        <div className="mx-auto max-w-2xl text-center">
          <p className="text-sm font-semibold text-primary">Apps</p>
          <h2 id="home-apps-title" className="mt-2 text-3xl font-bold tracking-tight text-fg sm:text-4xl">
            Ready to use, not just a server
          </h2>
          <p className="mt-4 text-base leading-7 text-muted">
            Set up for you with their own HTTPS address: fill in a few fields, pay by card, sign in minutes later.
          </p>
        </div>
        <ul className="mt-14 grid gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="home-apps">
          {apps.map((a) => (
            <li key={a.key}>
              <Link
                to={orderPath(a.key)}
                className="group flex h-full flex-col rounded-fd border border-border bg-surface p-5 shadow-xs transition-colors hover:border-primary/40 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary"
                data-testid="home-app"
                data-app={a.key}
              >
                <span className="flex items-center justify-between gap-3">
                  <AppMark app={a.key} className="size-10" />
                  {requirement[a.requires] ? (
                    <span className="rounded-full border border-border px-2.5 py-0.5 text-xs font-medium text-muted">
                      {requirement[a.requires]?.label}
                    </span>
                  ) : null}
                </span>
                <span className="mt-4 text-base font-semibold text-fg group-hover:text-primary">{a.name}</span>
                <span className="mt-1 flex-1 text-sm leading-6 text-muted">{a.summary}</span>
                <span className="mt-4 text-sm text-fg">
                  {a.from_monthly_cents > 0 ? (
                    <>
                      <span className="text-muted">From </span>
                      <span className="font-bold">{money(a.from_monthly_cents, a.currency)}</span>
                      <span className="text-muted"> / month</span>
                    </>
                  ) : (
                    <span className="text-muted">Priced on the form</span>
                  )}
                </span>
              </Link>
            </li>
          ))}
        </ul>
        <p className="mt-8 text-center">
          <Link to="/apps" className="inline-flex items-center gap-1.5 text-sm font-semibold text-primary hover:underline">
            All apps
            <ArrowRightIcon className="size-4" />
          </Link>
        </p>
      </Container>
    </section>
  )
}
