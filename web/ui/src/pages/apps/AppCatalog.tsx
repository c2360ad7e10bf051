import { money } from '../../billing'
import { AppMark, orderPath, requirement, type App } from '../../apps'
import { Badge, EmptyState, Loading, useApi } from '../../components/data'
import { ErrorPanel } from '../../components/forms'
import { ArrowRightIcon, LayersIcon } from '../../components/icons'
import { ButtonLink, Card, Container, usePageTitle } from '../../components/ui'

/**
 * AppCatalog is the storefront's Apps page: one card per app the storefront sells (GET
 * /api/apps, the plain VM first), with what it is, what it needs and the monthly price it
 * starts from. Each card opens the app's order form.
 */
export function AppCatalog() {
  usePageTitle('Apps')
  const apps = useApi<{ apps: App[] }>('/api/apps')
  const list = apps.data?.apps ?? []
  return (
    <Container className="py-8 sm:py-12">
      <div className="max-w-3xl">
        <h1 className="text-3xl font-bold tracking-tight text-fg">Apps</h1>
        <p className="mt-2 text-base leading-7 text-muted">
          Ready-to-use software on your own servers: pick an app, fill in a few fields, pay by card, and it is running a few
          minutes later with its own HTTPS address.
        </p>
      </div>
      {apps.error ? (
        <div className="mt-8">
          <ErrorPanel error={apps.error} onRetry={apps.reload} />
        </div>
      ) : !apps.data ? (
        <Loading label="Loading the apps…" />
      ) : list.length === 0 ? (
        <Card className="mt-8">
          <EmptyState icon={LayersIcon} title="No apps on this store yet" action={<ButtonLink to="/deploy">Deploy a VM</ButtonLink>}>
            This store sells virtual machines for now.
          </EmptyState>
        </Card>
      ) : (
        <ul className="mt-8 grid gap-5 sm:grid-cols-2 lg:grid-cols-3" data-testid="app-catalog">
          {list.map((a) => (
            <li key={a.key}>
              <AppCard app={a} />
            </li>
          ))}
        </ul>
      )}
    </Container>
  )
}

function AppCard({ app }: { app: App }) {
  const need = requirement[app.requires]
  return (
    <Card className="flex h-full flex-col p-5 sm:p-6" data-testid="app-card" data-app={app.key}>
      <div className="flex items-start justify-between gap-3">
        <AppMark app={app.key} />
        {need ? (
          <Badge tone="primary" title={need.description} data-testid="app-requires">
            {need.label}
          </Badge>
        ) : null}
      </div>
      <h2 className="mt-4 text-lg font-semibold text-fg">{app.name}</h2>
      <p className="mt-1 flex-1 text-sm leading-6 text-muted">{app.summary}</p>
      <div className="mt-5 flex items-end justify-between gap-3 border-t border-border pt-4">
        {app.from_monthly_cents > 0 ? (
          <p className="text-sm text-fg" data-testid="app-from">
            <span className="text-muted">From </span>
            <span className="text-xl font-bold tracking-tight">{money(app.from_monthly_cents, app.currency)}</span>
            <span className="text-muted"> / month</span>
          </p>
        ) : (
          <p className="text-sm text-muted" data-testid="app-from">
            {app.requires === 'gpu' ? 'No GPU node free right now' : 'Priced on the form'}
          </p>
        )}
        <ButtonLink to={orderPath(app.key)} size="sm" aria-label={`Deploy ${app.name}`} data-testid="app-deploy">
          Deploy
          <ArrowRightIcon className="size-4" />
        </ButtonLink>
      </div>
    </Card>
  )
}
