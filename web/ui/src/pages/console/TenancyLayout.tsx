import { Outlet, useOutletContext } from 'react-router'
import { useApi } from '../../components/data'
import { RequireRole } from '../../components/Guard'
import { SubNav } from '../../components/tabs'
import { Container } from '../../components/ui'
import type { Application } from '../../tenancy'

export interface TenancyContext {
  /** Pending applications, for the tab's count; call after deciding one. */
  pendingApplications: number
  reloadPending: () => void
}

export function useTenancy(): TenancyContext {
  return useOutletContext<TenancyContext>()
}

/** TenancyLayout frames the console's storefront pages: tenants, applications, domains, fee. */
export function TenancyLayout() {
  return (
    <RequireRole roles={['super_admin']}>
      <Frame />
    </RequireRole>
  )
}

function Frame() {
  const pending = useApi<{ items: Application[] }>('/api/console/applications?status=pending&limit=100')
  const count = pending.data?.items.length ?? 0
  return (
    <Container className="space-y-8 py-8 sm:py-10">
      <SubNav
        label="Storefronts"
        items={[
          { to: '/tenants', label: 'Tenants', end: true, testId: 'tenancy-nav-tenants' },
          {
            to: '/tenants/applications',
            testId: 'tenancy-nav-applications',
            label: (
              <>
                Applications
                {count > 0 ? (
                  <span className="min-w-5 rounded-full bg-amber-100 px-1.5 text-center text-xs font-semibold text-amber-800">
                    {count >= 100 ? '99+' : count}
                    <span className="sr-only"> pending</span>
                  </span>
                ) : null}
              </>
            ),
          },
          { to: '/tenants/domains', label: 'Domains', testId: 'tenancy-nav-domains' },
          { to: '/tenants/platform-fee', label: 'Platform fee', testId: 'tenancy-nav-fee' },
        ]}
      />
      <Outlet context={{ pendingApplications: count, reloadPending: pending.reload } satisfies TenancyContext} />
    </Container>
  )
}
