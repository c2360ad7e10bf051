// The signed-in account, shared by every component: loaded once from GET /api/me,
// replaced after login, refresh and 2FA changes, cleared on logout.

import { useSyncExternalStore } from 'react'
import { api, isApiError, setApiHandlers, type Me } from './api'
import { config } from './config'

export type Session =
  | { status: 'loading'; me: null }
  /** loggedOut: the user logged out here (as opposed to never having signed in). */
  | { status: 'signed-out'; me: null; loggedOut?: boolean }
  | { status: 'signed-in'; me: Me }

let state: Session = { status: 'loading', me: null }
const listeners = new Set<() => void>()

function emit(next: Session) {
  state = next
  for (const l of listeners) l()
}

export function setMe(me: Me | null) {
  emit(me ? { status: 'signed-in', me } : { status: 'signed-out', me: null })
}

/**
 * signedOut forgets the account after a logout. Guarded pages then send the user to the
 * login page with "You have been logged out" instead of a ?next= back to where they were.
 */
export function signedOut() {
  emit({ status: 'signed-out', me: null, loggedOut: true })
}

let loading: Promise<Me | null> | null = null

/** loadMe asks the server who is signed in; concurrent callers share one request. */
export function loadMe(): Promise<Me | null> {
  if (!loading) {
    loading = api
      .get<Me>('/api/me', { auth: 'quiet' })
      .then(
        (me) => {
          setMe(me)
          return me
        },
        (err: unknown) => {
          if (isApiError(err) && (err.status === 401 || err.status === 403)) {
            setMe(null)
            return null
          }
          // The server is unreachable: keep whatever we knew, but stop "loading".
          if (state.status === 'loading') setMe(null)
          throw err
        },
      )
      .finally(() => {
        loading = null
      })
  }
  return loading
}

export function useSession(): Session {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    () => state,
  )
}

setApiHandlers({
  onSession: (me) => setMe(me),
})

// ——— Roles ———

export const staffRoles = ['owner', 'admin', 'support'] as const

export const roleLabels: Record<string, string> = {
  super_admin: 'Super-admin',
  node_operator: 'Node operator',
  owner: 'Owner',
  admin: 'Admin',
  support: 'Support',
  customer: 'Customer',
}

export function roleLabel(role: string): string {
  return roleLabels[role] ?? role.replace(/_/g, ' ')
}

/** rolesHere lists the roles the account holds in the realm this host serves. */
export function rolesHere(me: Me): string[] {
  const platform = config.realm === 'platform'
  const out = new Set<string>()
  for (const g of me.roles ?? []) {
    if (platform ? g.domain === 'platform' : g.domain !== 'platform') out.add(g.role)
  }
  return [...out]
}

export function hasRole(me: Me | null, ...roles: string[]): boolean {
  if (!me) return false
  const mine = rolesHere(me)
  return roles.some((r) => mine.includes(r))
}

export function isStaff(me: Me | null): boolean {
  return hasRole(me, ...staffRoles)
}

/** canManageTenant: owners and admins may change things; support only reads. */
export function canManageTenant(me: Me | null): boolean {
  return hasRole(me, 'owner', 'admin')
}

/** mustEnrolMfa: the role requires 2FA and the account has not set it up. */
export function mustEnrolMfa(me: Me | null): boolean {
  return !!me && me.mfa.required && !me.mfa.enabled
}

/**
 * mustStepUp: 2FA is set up, the role needs it, but this session began without it
 * (2FA was turned on in another browser): only a new login with a code opens admin pages.
 */
export function mustStepUp(me: Me | null): boolean {
  return !!me && me.mfa.required && me.mfa.enabled && me.mfa.session === false
}

/** homeFor is where a freshly signed-in account lands when no ?next= says otherwise. */
export function homeFor(me: Me): string {
  if (config.realm === 'platform') {
    if (hasRole(me, 'super_admin')) return '/'
    if (hasRole(me, 'node_operator')) return '/dashboards'
    return '/account'
  }
  if (isStaff(me)) return '/admin'
  return '/deployments'
}

/** enrolPath is the 2FA page that explains why it is needed and where it goes next. */
export function enrolPath(next: string): string {
  return `/account/two-factor?required=1&next=${encodeURIComponent(next)}`
}
