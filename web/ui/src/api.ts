// The one client for the JSON API. It sends the CSRF header on every write, turns every
// failure into an ApiError (the server's {"error":{code,message,field,request_id}}), and
// keeps the browser session alive: a 401 triggers one POST /api/auth/refresh (shared by
// every request that hit it at the same time, because refresh tokens rotate and a reused
// one revokes the whole family) and one retry; when that fails the session is gone and
// the user is sent to /login?next=… .

export type ErrorCode =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal'

export class ApiError extends Error {
  readonly status: number
  readonly code: ErrorCode | string
  /** The input at fault, when the server named one. */
  readonly field: string
  readonly requestId: string
  /** Seconds to wait before trying again (429 Retry-After), 0 when not given. */
  readonly retryAfter: number

  constructor(init: {
    status: number
    code: string
    message: string
    field?: string
    requestId?: string
    retryAfter?: number
  }) {
    super(init.message)
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.field = init.field ?? ''
    this.requestId = init.requestId ?? ''
    this.retryAfter = init.retryAfter ?? 0
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError
}

/** errorMessage is what to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return sentence(err.message)
  if (err instanceof Error && err.message) return sentence(err.message)
  return 'Something went wrong. Try again.'
}

/** sentence capitalises a server message ("password is too short") for display. */
export function sentence(msg: string): string {
  const s = msg.trim()
  if (!s) return s
  const first = s.charAt(0)
  return first.toUpperCase() + s.slice(1)
}

// ——— Shapes the server answers with ———

export type RealmKind = 'tenant' | 'platform'
export type RoleName = 'super_admin' | 'node_operator' | 'owner' | 'admin' | 'support' | 'customer'

export interface RoleGrant {
  domain: string
  domain_name: string
  role: RoleName | string
}

export interface Me {
  account: { id: string; email: string; email_verified: boolean }
  realm: { kind: RealmKind; tenant_slug?: string }
  roles: RoleGrant[]
  /** session: this session passed two-factor authentication (absent on older servers). */
  mfa: { enabled: boolean; required: boolean; session?: boolean }
}

export interface Page<T> {
  items: T[]
  next_cursor?: string | null
}

// ——— Hooks the app installs (navigation lives in React Router) ———

interface Handlers {
  /** The session ended and could not be refreshed: go to the login page. */
  onSignedOut: (next: string) => void
  /** The server refused because the account must enrol in 2FA first. */
  onMfaRequired: (next: string) => void
  /** A refresh returned a fresh Me. */
  onSession: (me: Me) => void
}

let handlers: Handlers = {
  onSignedOut: (next) => window.location.assign(`/login?next=${encodeURIComponent(next)}`),
  onMfaRequired: (next) =>
    window.location.assign(`/account/two-factor?required=1&next=${encodeURIComponent(next)}`),
  onSession: () => {},
}

export function setApiHandlers(h: Partial<Handlers>) {
  handlers = { ...handlers, ...h }
}

function currentPath(): string {
  return window.location.pathname + window.location.search
}

// ——— Transport ———

export function csrfToken(): string {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === 'fd_csrf') {
      try {
        return decodeURIComponent(v.join('='))
      } catch {
        return v.join('=')
      }
    }
  }
  return ''
}

function parseRetryAfter(h: string | null): number {
  if (!h) return 0
  const secs = Number(h)
  if (Number.isFinite(secs)) return Math.max(0, Math.ceil(secs))
  const when = Date.parse(h)
  return Number.isNaN(when) ? 0 : Math.max(0, Math.ceil((when - Date.now()) / 1000))
}

const statusCodes: Record<number, ErrorCode> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'invalid',
  429: 'too_many_requests',
  503: 'unavailable',
}

const fallbackMessages: Record<string, string> = {
  unauthorized: 'Your session has ended. Log in again.',
  forbidden: 'You do not have access to this.',
  not_found: 'Not found.',
  too_many_requests: 'Too many attempts. Wait a moment and try again.',
  unavailable: 'The service is temporarily unavailable. Try again in a moment.',
  internal: 'Something went wrong on our side. Try again.',
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    // Not JSON (a proxy's error page, for example): fall back on the status.
  }
  const e =
    body && typeof body === 'object' && 'error' in body && body.error && typeof body.error === 'object'
      ? (body.error as Record<string, unknown>)
      : {}
  const code =
    typeof e.code === 'string' && e.code ? e.code : (statusCodes[res.status] ?? (res.status >= 500 ? 'internal' : 'invalid'))
  const message =
    typeof e.message === 'string' && e.message
      ? e.message
      : res.status === 413
        ? 'The upload is too large.'
        : (fallbackMessages[code] ?? `The request failed (HTTP ${res.status}).`)
  return new ApiError({
    status: res.status,
    code,
    message,
    field: typeof e.field === 'string' ? e.field : '',
    requestId: typeof e.request_id === 'string' ? e.request_id : (res.headers.get('X-Request-Id') ?? ''),
    retryAfter: parseRetryAfter(res.headers.get('Retry-After')),
  })
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken()
  let payload: BodyInit | undefined
  if (body instanceof Blob) {
    // A file upload: the bytes as they are, typed by the file (image/png, image/svg+xml).
    headers['Content-Type'] = body.type || 'application/octet-stream'
    payload = body
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  try {
    return await fetch(path, { method, headers, body: payload, credentials: 'same-origin' })
  } catch {
    throw new ApiError({
      status: 0,
      code: 'unavailable',
      message: 'Could not reach the server. Check your connection and try again.',
    })
  }
}

async function decode<T>(res: Response): Promise<T> {
  if (res.status === 204 || res.status === 202) {
    // 202 may carry a body; read it when it is JSON, otherwise there is nothing to return.
    const text = res.status === 202 ? await res.text() : ''
    if (!text) return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      return undefined as T
    }
  }
  const text = await res.text()
  if (!text) return undefined as T
  return JSON.parse(text) as T
}

let refreshing: Promise<boolean> | null = null

/**
 * refreshSession exchanges the refresh cookie for a new access cookie. Concurrent
 * callers share one request: the refresh token rotates on every use, and presenting the
 * old one twice would look like theft to the server.
 */
export function refreshSession(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await send('POST', '/api/auth/refresh')
        if (!res.ok) return false
        const data = await decode<{ me?: Me }>(res).catch(() => undefined)
        if (data?.me) handlers.onSession(data.me)
        return true
      } catch {
        return false
      }
    })().finally(() => {
      // Let requests that started during this refresh reuse its answer, then forget it.
      setTimeout(() => {
        refreshing = null
      }, 0)
    })
  }
  return refreshing
}

/**
 * How a request treats a 401:
 *  - 'redirect' (default): refresh and retry once, then send the user to log in;
 *  - 'quiet': refresh and retry once, then just throw (used to probe /api/me);
 *  - 'none': throw at once (the auth endpoints themselves).
 */
export type AuthMode = 'redirect' | 'quiet' | 'none'

export interface RequestOptions {
  auth?: AuthMode
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const mode = opts.auth ?? 'redirect'
  let res = await send(method, path, body)
  if (res.status === 401 && mode !== 'none') {
    // The readable fd_csrf cookie lives as long as the refresh token: without it there is
    // no session to refresh, so a visitor's probe of /api/me costs one request, not two.
    if (csrfToken() && (await refreshSession())) res = await send(method, path, body)
    if (res.status === 401 && mode === 'redirect') {
      const err = await toApiError(res)
      handlers.onSignedOut(currentPath())
      throw err
    }
  }
  if (!res.ok) {
    const err = await toApiError(res)
    if (err.status === 403 && err.field === 'mfa' && mode === 'redirect') handlers.onMfaRequired(currentPath())
    throw err
  }
  return decode<T>(res)
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, body ?? {}, opts),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body ?? {}, opts),
  del: <T = void>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, undefined, opts),
  /** upload PUTs a file as the raw request body, typed by the file. */
  upload: <T>(path: string, file: Blob, opts?: RequestOptions) => request<T>('PUT', path, file, opts),
}

/** withQuery appends query parameters, skipping empty ones. */
export function withQuery(path: string, params: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v)
  const s = q.toString()
  if (!s) return path
  return path + (path.includes('?') ? '&' : '?') + s
}

/** safeNext keeps a ?next= target on this site (a path, never //host or a scheme). */
export function safeNext(next: string | null | undefined, fallback: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback
  return next
}
