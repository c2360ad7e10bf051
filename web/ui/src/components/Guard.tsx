import type { ReactNode } from 'react'
import { Navigate, useLocation, useNavigate } from 'react-router'
import { api } from '../api'
import { NotFound } from '../pages/NotFound'
import { enrolPath, hasRole, mustEnrolMfa, mustStepUp, setMe, useSession, type Session } from '../session'
import { Loading } from './data'
import { FingerprintIcon } from './icons'
import { Button, Card, Container, IconBadge } from './ui'

function useHere() {
  const loc = useLocation()
  return loc.pathname + loc.search
}

function ToLogin({ session, here }: { session: Session; here: string }) {
  if (session.status === 'signed-out' && session.loggedOut) return <Navigate to="/login" replace state={{ loggedOut: true }} />
  return <Navigate to={`/login?next=${encodeURIComponent(here)}`} replace />
}

/** RequireAuth shows its children to a signed-in account and sends anyone else to log in. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession()
  const here = useHere()
  if (session.status === 'loading') return <Loading label="Checking your session…" />
  if (session.status === 'signed-out') return <ToLogin session={session} here={here} />
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
  if (session.status === 'signed-out') return <ToLogin session={session} here={here} />
  const me = session.me
  if (!hasRole(me, ...roles)) return <NotFound />
  if (mustEnrolMfa(me)) return <Navigate to={enrolPath(here)} replace />
  if (mustStepUp(me)) return <StepUp next={here} />
  return <>{children}</>
}

/** StepUp asks for a fresh login when this session has not passed two-factor authentication. */
function StepUp({ next }: { next: string }) {
  const navigate = useNavigate()
  return (
    <Container className="py-16">
      <Card className="mx-auto max-w-lg p-6 text-center sm:p-8" data-testid="mfa-step-up">
        <IconBadge className="size-12">
          <FingerprintIcon className="size-6" />
        </IconBadge>
        <h1 className="mt-4 text-xl font-semibold text-fg">Log in again with your code</h1>
        <p className="mt-2 text-sm leading-6 text-muted">
          Two-factor authentication was turned on after this session started. Log in again and enter a code from your
          authenticator app to open this page.
        </p>
        <Button
          className="mt-6"
          onClick={async () => {
            await api.post('/api/auth/logout', undefined, { auth: 'none' }).catch(() => {})
            setMe(null)
            navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true })
          }}
        >
          Log in again
        </Button>
      </Card>
    </Container>
  )
}
