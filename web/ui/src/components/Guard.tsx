import type { ReactNode } from 'react'
import { Navigate, useLocation } from 'react-router'
import { NotFound } from '../pages/NotFound'
import { enrolPath, hasRole, mustEnrolMfa, useSession } from '../session'
import { Loading } from './data'

function useHere() {
  const loc = useLocation()
  return loc.pathname + loc.search
}

/** RequireAuth shows its children to a signed-in account and sends anyone else to log in. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession()
  const here = useHere()
  if (session.status === 'loading') return <Loading label="Checking your session…" />
  if (session.status === 'signed-out') return <Navigate to={`/login?next=${encodeURIComponent(here)}`} replace />
  return <>{children}</>
}

/**
 * RequireRole guards a page of some roles. Signed out → log in; signed in without the
 * role → the ordinary 404 page (the page's existence is not confirmed); a role that
 * requires 2FA without it → the enrolment page, which explains why and comes back.
 */
export function RequireRole({ roles, children }: { roles: string[]; children: ReactNode }) {
  const session = useSession()
  const here = useHere()
  if (session.status === 'loading') return <Loading label="Checking your session…" />
  if (session.status === 'signed-out') return <Navigate to={`/login?next=${encodeURIComponent(here)}`} replace />
  const me = session.me
  if (!hasRole(me, ...roles)) return <NotFound />
  if (mustEnrolMfa(me)) return <Navigate to={enrolPath(here)} replace />
  return <>{children}</>
}
