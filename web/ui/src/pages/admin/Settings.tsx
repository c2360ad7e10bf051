import { useState } from 'react'
import { api } from '../../api'
import { Badge, Loading, PageHeader, formatDate } from '../../components/data'
import { Alert, ErrorPanel, FieldError, FormError, SelectField, SubmitButton, TextArea, TextField, useForm } from '../../components/forms'
import { SettingsIcon } from '../../components/icons'
import { Button, Card, cx, usePageTitle } from '../../components/ui'
import { updateBrand, useBrand } from '../../config'
import { canManageTenant, useSession } from '../../session'
import { currencies, kindLabels, statusLabels, statusTone, type TenantRecord } from '../../tenancy'
import { useAdmin } from './AdminLayout'

interface SettingsValues {
  name: string
  pitch: string
  base_currency: string
  support_email: string
  legal_name: string
  legal_address: string
  tax_id: string
  on_cancel: 'credit' | 'refund'
}

const fields: Array<keyof SettingsValues> = [
  'name',
  'pitch',
  'base_currency',
  'support_email',
  'legal_name',
  'legal_address',
  'tax_id',
  'on_cancel',
]

function valuesOf(t: TenantRecord): SettingsValues {
  return {
    name: t.name,
    pitch: t.pitch ?? '',
    base_currency: t.base_currency || 'usd',
    support_email: t.support_email ?? '',
    legal_name: t.legal_name ?? '',
    legal_address: t.legal_address ?? '',
    tax_id: t.tax_id ?? '',
    on_cancel: t.on_cancel === 'refund' ? 'refund' : 'credit',
  }
}

/** platformAddress is the storefront's own <slug>.<base domain> host, when this page is served on it. */
function platformAddress(slug: string): string {
  const host = window.location.host
  return host.startsWith(`${slug}.`) ? host : slug
}

export function Settings() {
  usePageTitle('Settings')
  const { tenant } = useAdmin()

  return (
    <div className="space-y-8">
      <PageHeader
        title="Settings"
        icon={SettingsIcon}
        description="Your storefront’s name and pitch, the currency it charges in, and the details printed on receipts and invoices."
      />
      {tenant.error && !tenant.data ? (
        <ErrorPanel error={tenant.error} onRetry={tenant.reload} />
      ) : !tenant.data ? (
        <Loading />
      ) : (
        <SettingsForm key={tenant.data.id} tenant={tenant.data} />
      )}
    </div>
  )
}

function SettingsForm({ tenant }: { tenant: TenantRecord }) {
  const { me } = useSession()
  const manage = canManageTenant(me)
  const { setTenant } = useAdmin()
  const brand = useBrand()
  const [saved, setSaved] = useState<SettingsValues>(() => valuesOf(tenant))
  const [v, setV] = useState<SettingsValues>(saved)
  const [notice, setNotice] = useState('')
  const form = useForm(fields)
  const dirty = fields.some((k) => v[k] !== saved[k])
  const set = (k: keyof SettingsValues) => (e: { target: { value: string } }) => {
    setNotice('')
    setV((cur) => ({ ...cur, [k]: e.target.value }))
  }
  const pitchLength = [...v.pitch].length

  return (
    <form
      ref={form.formRef}
      noValidate
      data-testid="settings-form"
      className="space-y-6"
      onSubmit={form.submit(async () => {
        const body: SettingsValues = {
          name: v.name.trim(),
          pitch: v.pitch.trim(),
          base_currency: v.base_currency,
          support_email: v.support_email.trim(),
          legal_name: v.legal_name.trim(),
          legal_address: v.legal_address.trim(),
          tax_id: v.tax_id.trim(),
          on_cancel: v.on_cancel,
        }
        const t = await api.put<TenantRecord>('/api/admin/settings', body)
        const next = valuesOf(t)
        // The header shows the product name from Branding when one is set; otherwise this name.
        if (brand.name === saved.name) updateBrand({ name: t.name })
        updateBrand({ pitch: t.pitch })
        setTenant(t)
        setSaved(next)
        setV(next)
        setNotice('Settings saved.')
      })}
    >
      {!manage ? <Alert tone="info">Your support role can see these settings but not change them.</Alert> : null}
      <FormError form={form} />

      <Card className="p-5 sm:p-6">
        <h2 className="text-base font-semibold text-fg">Storefront</h2>
        <p className="mt-0.5 text-sm text-muted">What visitors see on the home page and in the browser tab.</p>
        <div className="mt-5 space-y-5">
          <TextField
            label="Name"
            name="name"
            autoComplete="organization"
            maxLength={100}
            value={v.name}
            onChange={set('name')}
            disabled={!manage}
            hint="Your storefront’s name, as customers know it."
            error={form.fieldError('name')}
          />
          <TextArea
            label="Pitch"
            name="pitch"
            optional
            rows={2}
            value={v.pitch}
            onChange={set('pitch')}
            disabled={!manage}
            placeholder="e.g. Fast, private virtual machines in Europe — paid by card, running in minutes."
            hint={
              <>
                One line under your name on the home page.{' '}
                <span className={pitchLength > 200 ? 'font-medium text-red-700 dark:text-red-400' : undefined}>{pitchLength}/200</span>
              </>
            }
            error={form.fieldError('pitch')}
          />
        </div>
      </Card>

      <Card className="p-5 sm:p-6">
        <h2 className="text-base font-semibold text-fg">Billing, receipts and invoices</h2>
        <p className="mt-0.5 text-sm text-muted">
          How you charge customers and what their receipts and invoices say. Every payment gets an invoice with its own number,
          in sequence.
        </p>
        <div className="mt-5 grid gap-5 sm:grid-cols-2">
          <SelectField
            label="Base currency"
            name="base_currency"
            value={v.base_currency}
            onChange={set('base_currency')}
            disabled={!manage}
            hint="Prices, charges and receipts are in this currency."
            error={form.fieldError('base_currency')}
          >
            {currencies.map((c) => (
              <option key={c.code} value={c.code}>
                {c.label}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Support e-mail"
            name="support_email"
            type="email"
            inputMode="email"
            autoComplete="email"
            optional
            placeholder="support@example.com"
            value={v.support_email}
            onChange={set('support_email')}
            disabled={!manage}
            hint="Where customers can write to you; shown on receipts."
            error={form.fieldError('support_email')}
          />
          <TextField
            label="Legal name"
            name="legal_name"
            optional
            autoComplete="organization"
            maxLength={200}
            placeholder="e.g. Demo Cloud BV"
            value={v.legal_name}
            onChange={set('legal_name')}
            disabled={!manage}
            wrapperClassName="sm:col-span-2"
            hint="The company printed on receipts and invoices. Leave it empty to use the storefront’s name."
            error={form.fieldError('legal_name')}
          />
          <TextArea
            label="Legal address"
            name="legal_address"
            optional
            rows={3}
            autoComplete="street-address"
            maxLength={500}
            placeholder={'e.g. Keizersgracht 1\n1015 CJ Amsterdam\nNetherlands'}
            value={v.legal_address}
            onChange={set('legal_address')}
            disabled={!manage}
            wrapperClassName="sm:col-span-2"
            hint="Printed under the legal name on invoices; up to 6 lines."
            error={form.fieldError('legal_address')}
          />
          <TextField
            label="Tax ID"
            name="tax_id"
            optional
            maxLength={32}
            autoComplete="off"
            placeholder="e.g. NL123456789B01"
            value={v.tax_id}
            onChange={set('tax_id')}
            disabled={!manage}
            hint="Your VAT or tax number, printed on invoices. It needs the legal name above."
            error={form.fieldError('tax_id')}
          />
          <fieldset className="sm:col-span-2" data-testid="on-cancel">
            <legend className="text-sm font-medium text-fg">When a customer cancels a server</legend>
            <p className="mt-0.5 text-sm text-muted">What they get back for the unused part of the period they paid for.</p>
            <div className="mt-2 grid gap-2 sm:grid-cols-2">
              {(
                [
                  ['credit', 'Account credit', 'Kept on their account and used before their card on the next order. The money stays with you.'],
                  ['refund', 'Prorated refund to the card', 'Refunded to the card that paid, by the hour of unused time. Stripe keeps its fee.'],
                ] as const
              ).map(([value, label, description]) => (
                <label
                  key={value}
                  className={cx(
                    'flex cursor-pointer gap-3 rounded-fd-sm border p-3 text-sm focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-primary',
                    v.on_cancel === value ? 'border-primary bg-primary/5 ring-1 ring-primary' : 'border-border hover:border-primary/40',
                    !manage && 'cursor-default opacity-80',
                  )}
                >
                  <input
                    type="radio"
                    name="on_cancel"
                    value={value}
                    checked={v.on_cancel === value}
                    disabled={!manage}
                    onChange={set('on_cancel')}
                    data-testid={`on-cancel-${value}`}
                    className="mt-0.5 size-4 shrink-0 accent-[var(--fd-primary)]"
                  />
                  <span>
                    <span className="block font-semibold text-fg">{label}</span>
                    <span className="mt-0.5 block text-muted">{description}</span>
                  </span>
                </label>
              ))}
            </div>
            <FieldError id="on-cancel-error" name="on_cancel">
              {form.fieldError('on_cancel')}
            </FieldError>
          </fieldset>
        </div>
      </Card>

      <Card className="p-5 sm:p-6">
        <h2 className="text-base font-semibold text-fg">About this storefront</h2>
        <dl className="mt-4 grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[10rem_minmax(0,1fr)]">
          <dt className="text-muted">Address</dt>
          <dd className="font-mono break-all text-fg">{platformAddress(tenant.slug)}</dd>
          <dt className="text-muted">Type</dt>
          <dd className="text-fg">{kindLabels[tenant.kind] ?? tenant.kind}</dd>
          <dt className="text-muted">Status</dt>
          <dd>
            <Badge tone={statusTone(tenant.status)} dot>
              {statusLabels[tenant.status] ?? tenant.status}
            </Badge>
          </dd>
          <dt className="text-muted">Opened</dt>
          <dd className="text-fg">{formatDate(tenant.created_at)}</dd>
        </dl>
        <p className="mt-4 text-sm text-muted">The address and type are set by the platform; ask its operators to change them.</p>
      </Card>

      {notice && !dirty ? (
        <Alert tone="success" data-testid="settings-saved">
          {notice}
        </Alert>
      ) : null}

      {manage ? (
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:items-center sm:justify-end">
          {dirty ? (
            <Button
              variant="ghost"
              onClick={() => {
                setV(saved)
                form.clear()
              }}
            >
              Discard changes
            </Button>
          ) : null}
          <SubmitButton form={form} disabled={!dirty || form.retryIn > 0} data-testid="settings-save">
            Save settings
          </SubmitButton>
        </div>
      ) : null}
    </form>
  )
}
