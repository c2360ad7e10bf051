// The one definition of revenue (billing.Revenue on the server): gross, Stripe fees, platform
// fees, refunds, credits, disputes and net, each labelled with its definition, the same on the
// admin overview, the admin billing page and the console.
import { money } from '../billing'

export interface RevenueFigures {
  currency: string
  from: string
  to: string
  gross_cents: number
  stripe_fees_cents: number
  platform_fees_cents: number
  refunds_cents: number
  credits_cents: number
  disputes_cents: number
  net_cents: number
}

export const figureOrder: { key: string; label: string; field: keyof RevenueFigures; minus?: boolean }[] = [
  { key: 'gross', label: 'Gross', field: 'gross_cents' },
  { key: 'stripe_fees', label: 'Stripe fees', field: 'stripe_fees_cents', minus: true },
  { key: 'platform_fees', label: 'Platform fees', field: 'platform_fees_cents', minus: true },
  { key: 'refunds', label: 'Refunds', field: 'refunds_cents', minus: true },
  { key: 'credits', label: 'Credits', field: 'credits_cents', minus: true },
  { key: 'disputes', label: 'Disputes', field: 'disputes_cents', minus: true },
  { key: 'net', label: 'Net', field: 'net_cents' },
]

/** RevenueGrid shows a period's figures, each with its definition. */
export function RevenueGrid({ figures, definitions }: { figures: RevenueFigures; definitions: Record<string, string> }) {
  return (
    <dl className="grid grid-cols-2 gap-px bg-border sm:grid-cols-4 xl:grid-cols-7" data-testid="revenue-figures">
      {figureOrder.map((f) => {
        const v = figures[f.field] as number
        return (
          <div key={f.key} className="bg-surface px-4 py-3" data-testid={`figure-${f.key}`} data-cents={v}>
            <dt className="text-sm font-medium text-fg">{f.label}</dt>
            <dd className={f.key === 'net' ? 'mt-1 text-lg font-bold text-primary' : 'mt-1 text-lg font-bold text-fg'}>
              {f.minus && v ? '−' : ''}
              {money(v, figures.currency)}
            </dd>
            <dd className="mt-0.5 text-xs leading-5 text-muted">{definitions[f.key]}</dd>
          </div>
        )
      })}
    </dl>
  )
}
