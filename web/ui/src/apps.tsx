// One-click apps (APPS.md §3): the storefront's catalog (GET /api/apps), each app's form,
// the access panel of a running app, and the admin's choice of apps and margins. The
// server owns every rule: a form's fields, their bounds and the price come from it; the
// helpers here only turn form text into the app_config the server validates.

import type { ReactNode } from 'react'
import { ServerIcon } from './components/icons'
import type { Schema } from './schema'

export type App = Schema<'CatalogApp'>
export type AppField = Schema<'AppField'>
export type AdminApp = Schema<'AdminApp'>
export type AppsDomain = Schema<'AppsDomain'>
export type AppAccess = Schema<'AppAccess'>
export type AppWorker = Schema<'K8sWorker'>
export type AppKey = App['key']

/** The apps of the catalog that are not the plain VM, in the catalog's order. */
export const oneClick = (apps: App[]) => apps.filter((a) => a.key !== 'vm')

/** A form's values as the inputs hold them: text for text and number fields, booleans for switches. */
export type FormValues = Record<string, string | boolean>

/** initialValues starts a form from each field's default. */
export function initialValues(fields: AppField[]): FormValues {
  const out: FormValues = {}
  for (const f of fields) {
    const d = f.default
    if (f.kind === 'bool') out[f.key] = d === true || d === 'true'
    else if (d === null || d === undefined) out[f.key] = f.kind === 'select' ? (f.options?.[0]?.value ?? '') : ''
    else out[f.key] = String(d)
  }
  return out
}

/** appConfig is the request's app_config: numbers as numbers, empty optional fields left out. */
export function appConfig(fields: AppField[], values: FormValues): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const f of fields) {
    const v = values[f.key]
    if (f.kind === 'bool') {
      out[f.key] = v === true
      continue
    }
    const s = typeof v === 'string' ? v.trim() : ''
    if (!s) continue
    out[f.key] = f.kind === 'number' && /^-?\d+$/.test(s) ? Number(s) : s
  }
  return out
}

/** fieldProblem is what is wrong with one value before asking the server, or ''. */
export function fieldProblem(f: AppField, v: string | boolean | undefined): string {
  if (f.kind === 'bool') return ''
  const s = typeof v === 'string' ? v.trim() : ''
  if (!s) return f.required ? 'Required.' : ''
  if (f.kind === 'number') {
    if (!/^-?\d+$/.test(s)) return `${f.label} must be a whole number.`
    const n = Number(s)
    if (f.min !== null && f.min !== undefined && n < f.min) return `At least ${f.min}.`
    if (f.max !== null && f.max !== undefined && n > f.max) return `At most ${f.max}.`
  }
  if (f.kind === 'select' && f.options?.length && !f.options.some((o) => o.value === s)) return 'Pick one of the choices.'
  return ''
}

/** configProblem is the first field the customer still has to fix, or ''. */
export function configProblem(fields: AppField[], values: FormValues): string {
  for (const f of fields) {
    const p = fieldProblem(f, values[f.key])
    if (p) return p === 'Required.' ? `Fill in ${f.label.toLowerCase()}.` : `Fix ${f.label.toLowerCase()}.`
  }
  return ''
}

/** What a requirement means to a customer. */
export const requirement: Record<string, { label: string; description: string }> = {
  gpu: { label: 'GPU', description: 'Runs on a GPU node rented whole for you; the rent is its own line of the price.' },
  bandwidth: { label: 'High bandwidth', description: 'Runs on nodes with public IPv4 and bandwidth for media.' },
}

export const appNames: Record<string, string> = {
  vm: 'Virtual machine',
  kubernetes: 'Kubernetes',
  nextcloud: 'Nextcloud',
  openwebui: 'Open WebUI',
  livekit: 'LiveKit',
}

export const appName = (key: string | undefined) => appNames[key ?? 'vm'] ?? key ?? 'Virtual machine'

/** The order page of an app: the VM keeps its own create-server flow. */
export const orderPath = (key: string, offer?: string) =>
  (key === 'vm' ? '/deploy' : `/deploy/app/${encodeURIComponent(key)}`) + (offer ? `?offer=${encodeURIComponent(offer)}` : '')

/** isApp: the deployment runs a one-click app, not a plain VM. */
export const isApp = (key: string | undefined | null) => !!key && key !== 'vm'

// ——— Marks: a tinted square with a simple drawing, as the image cards have ———

const art: Record<string, { tint: string; mark: ReactNode }> = {
  kubernetes: {
    tint: 'bg-[#326CE5]',
    mark: (
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true" fill="none" stroke="#fff" strokeWidth="1.8" strokeLinecap="round">
        <path d="M12 3.2l7 3.4 1.7 7.6-4.8 6.1H8.1l-4.8-6.1L5 6.6z" strokeLinejoin="round" />
        <circle cx="12" cy="12" r="2.3" />
        <path d="M12 6.3v3.4M12 14.3v3.4M6.8 9.9l3 1.2M14.2 12.9l3 1.2M17.2 9.9l-3 1.2M9.8 12.9l-3 1.2" />
      </svg>
    ),
  },
  nextcloud: {
    tint: 'bg-[#0082C9]',
    mark: (
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true" fill="none" stroke="#fff" strokeWidth="2">
        <circle cx="12" cy="12" r="3.6" />
        <circle cx="4.6" cy="12" r="2" />
        <circle cx="19.4" cy="12" r="2" />
      </svg>
    ),
  },
  openwebui: {
    tint: 'bg-[#171717]',
    mark: (
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true" fill="none" stroke="#fff" strokeWidth="1.9" strokeLinejoin="round" strokeLinecap="round">
        <path d="M4.5 6.5a2 2 0 0 1 2-2h11a2 2 0 0 1 2 2v7.5a2 2 0 0 1-2 2H11l-4.2 3.4V16H6.5a2 2 0 0 1-2-2z" />
        <path d="M8.5 10.2h7M8.5 13h4" />
      </svg>
    ),
  },
  livekit: {
    tint: 'bg-[#E0245E]',
    mark: (
      <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true" fill="none" stroke="#fff" strokeWidth="1.9" strokeLinejoin="round" strokeLinecap="round">
        <rect x="3.5" y="6.5" width="11.5" height="11" rx="2" />
        <path d="M15 10.5l5.5-3v9l-5.5-3z" />
      </svg>
    ),
  },
}

export function AppMark({ app, className = 'size-11' }: { app: string; className?: string }) {
  const a = art[app] ?? { tint: 'bg-slate-600', mark: <ServerIcon className="size-5 text-white" /> }
  return (
    <span className={`inline-flex shrink-0 items-center justify-center rounded-fd-sm ${a.tint} ${className}`} aria-hidden="true">
      {a.mark}
    </span>
  )
}
