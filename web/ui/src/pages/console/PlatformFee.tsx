import { useState } from 'react'
import { ApiError, api } from '../../api'
import { Loading, PageHeader, useApi } from '../../components/data'
import { Alert, ErrorPanel, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import { PercentIcon } from '../../components/icons'
import { Button, Card, usePageTitle } from '../../components/ui'

interface PlatformFee {
  platform_fee_bps: number
  platform_fee_fixed_cents: number
}

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })

/** percentText shows basis points as a percentage: 250 → "2.5". */
function percentText(bps: number): string {
  return String(bps / 100)
}

function amountText(cents: number): string {
  return (cents / 100).toFixed(2)
}

/** parseDecimal reads "2.5", "2,5" or "0.30" with at most two decimals; null when it is not such a number. */
function parseDecimal(s: string): number | null {
  const v = s.trim().replace(',', '.')
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(v)) return null
  return Number(v)
}

export function PlatformFeePage() {
  usePageTitle('Platform fee')
  const loaded = useApi<PlatformFee>('/api/console/settings')
  return (
    <div className="space-y-8">
      <PageHeader
        title="Platform fee"
        icon={PercentIcon}
        description="The platform’s cut of every card payment on every storefront: a percentage plus a fixed amount, taken as Stripe’s application fee. Changes apply from the next charge."
      />
      {loaded.error && !loaded.data ? (
        <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
      ) : !loaded.data ? (
        <Loading />
      ) : (
        <FeeForm initial={loaded.data} />
      )}
    </div>
  )
}

function FeeForm({ initial }: { initial: PlatformFee }) {
  const [saved, setSaved] = useState(initial)
  const [percent, setPercent] = useState(percentText(initial.platform_fee_bps))
  const [fixed, setFixed] = useState(amountText(initial.platform_fee_fixed_cents))
  const [notice, setNotice] = useState('')
  const form = useForm(['platform_fee_bps', 'platform_fee_fixed_cents'])

  const pct = parseDecimal(percent)
  const amt = parseDecimal(fixed)
  const bps = pct === null ? null : Math.round(pct * 100)
  const cents = amt === null ? null : Math.round(amt * 100)
  const dirty = bps !== saved.platform_fee_bps || cents !== saved.platform_fee_fixed_cents

  return (
    <div className="grid gap-8 lg:grid-cols-[minmax(0,1fr)_22rem]">
      <form
        ref={form.formRef}
        noValidate
        data-testid="fee-form"
        className="space-y-6"
        onSubmit={form.submit(async () => {
          if (bps === null)
            throw new ApiError({ status: 400, code: 'invalid', field: 'platform_fee_bps', message: 'enter a percentage such as 2.5' })
          if (cents === null)
            throw new ApiError({ status: 400, code: 'invalid', field: 'platform_fee_fixed_cents', message: 'enter an amount such as 0.30' })
          const f = await api.put<PlatformFee>('/api/console/settings', { platform_fee_bps: bps, platform_fee_fixed_cents: cents })
          setSaved(f)
          setPercent(percentText(f.platform_fee_bps))
          setFixed(amountText(f.platform_fee_fixed_cents))
          setNotice('Platform fee saved. It applies from the next charge.')
        })}
      >
        <FormError form={form} />
        <Card className="p-5 sm:p-6">
          <div className="grid gap-5 sm:grid-cols-2">
            <TextField
              label="Percentage of each payment"
              name="platform_fee_bps"
              inputMode="decimal"
              autoComplete="off"
              value={percent}
              onChange={(e) => {
                setNotice('')
                setPercent(e.target.value)
              }}
              trailing={<span className="pr-2.5 text-sm text-muted">%</span>}
              hint={bps === null ? 'Up to two decimals, e.g. 2.5' : `${bps} basis points; at most 50 %.`}
              error={form.fieldError('platform_fee_bps')}
              data-testid="fee-percent"
            />
            <TextField
              label="Fixed amount per payment"
              name="platform_fee_fixed_cents"
              inputMode="decimal"
              autoComplete="off"
              value={fixed}
              onChange={(e) => {
                setNotice('')
                setFixed(e.target.value)
              }}
              hint="In the currency of each charge: 0.30 is $0.30, €0.30 or £0.30."
              error={form.fieldError('platform_fee_fixed_cents')}
              data-testid="fee-fixed"
            />
          </div>
          <p className="mt-5 text-sm text-muted">
            A storefront’s own fee, when the platform agreed one with it, takes the place of this default.
          </p>
        </Card>

        {notice && !dirty ? (
          <Alert tone="success" data-testid="fee-saved">
            {notice}
          </Alert>
        ) : null}

        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          {dirty ? (
            <Button
              variant="ghost"
              onClick={() => {
                setPercent(percentText(saved.platform_fee_bps))
                setFixed(amountText(saved.platform_fee_fixed_cents))
                form.clear()
              }}
            >
              Discard changes
            </Button>
          ) : null}
          <SubmitButton form={form} disabled={!dirty || form.retryIn > 0} data-testid="fee-save">
            Save platform fee
          </SubmitButton>
        </div>
      </form>

      <Card className="h-fit p-5" data-testid="fee-examples">
        <h2 className="text-sm font-semibold text-fg">What the platform keeps</h2>
        <p className="mt-1 text-sm text-muted">
          {bps === null || cents === null
            ? 'Enter both parts of the fee to see examples.'
            : `${percentText(bps)} % + ${money.format(cents / 100)} of each payment:`}
        </p>
        {bps !== null && cents !== null ? (
          <table className="mt-4 w-full text-sm">
            <caption className="sr-only">Platform fee on example payments</caption>
            <thead>
              <tr className="border-b border-border text-left text-xs tracking-wide text-muted uppercase">
                <th scope="col" className="pb-2 font-semibold">
                  Payment
                </th>
                <th scope="col" className="pb-2 text-right font-semibold">
                  Platform fee
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-border">
              {[500, 2000, 10000].map((amount) => {
                const fee = Math.min(amount, Math.round((amount * bps) / 10000) + cents)
                return (
                  <tr key={amount}>
                    <td className="py-2 text-fg">{money.format(amount / 100)} / month</td>
                    <td className="py-2 text-right font-medium text-fg tabular-nums">{money.format(fee / 100)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        ) : null}
        <p className="mt-4 text-xs leading-5 text-muted">
          The tenant receives the payment minus this fee and Stripe’s own processing fee.
        </p>
      </Card>
    </div>
  )
}
