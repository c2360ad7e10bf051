import { useState } from 'react'
import { api, errorMessage } from '../../api'
import { ConfirmDialog } from '../../components/Dialog'
import { Badge, CopyButton, EmptyState, Loading, PageHeader, Panel, Time, useApi } from '../../components/data'
import { Alert, ErrorPanel, FormError, SubmitButton, TextField, useForm } from '../../components/forms'
import {
  AlertCircleIcon,
  CheckCircleIcon,
  ChevronDownIcon,
  ClockIcon,
  ExternalLinkIcon,
  GlobeIcon,
  PlusIcon,
  RefreshIcon,
  TrashIcon,
} from '../../components/icons'
import { Button, cx, usePageTitle } from '../../components/ui'
import { canManageTenant, useSession } from '../../session'
import { statusLabels, statusTone, type Domain } from '../../tenancy'

export function Domains() {
  usePageTitle('Domains')
  const { me } = useSession()
  const manage = canManageTenant(me)
  const list = useApi<{ items: Domain[] }>('/api/admin/domains')
  // Rows answered by "Verify now" or "Add" replace the listed ones until the next reload.
  const [updated, setUpdated] = useState<Record<string, Domain>>({})
  const [removing, setRemoving] = useState<Domain | null>(null)
  const [notice, setNotice] = useState<{ tone: 'success' | 'info'; text: string } | null>(null)
  const items = (list.data?.items ?? []).map((d) => updated[d.id] ?? d)

  return (
    <div className="space-y-8">
      <PageHeader
        title="Domains"
        icon={GlobeIcon}
        description="Serve your storefront on your own domain. Add it here, create two DNS records at your DNS provider, and verify. HTTPS certificates are issued automatically."
      />

      {manage ? (
        <AddDomain
          onAdded={(d) => {
            setUpdated((u) => ({ ...u, [d.id]: d }))
            setNotice({ tone: 'info', text: `${d.domain} was added. Create the two DNS records below, then verify.` })
            list.reload()
          }}
        />
      ) : (
        <Alert tone="info">Your support role can see the domains but not change them.</Alert>
      )}

      {notice ? (
        <Alert tone={notice.tone} data-testid="domains-notice">
          {notice.text}
        </Alert>
      ) : null}

      <Panel title="Your domains" description="We check pending domains every 10 minutes; “Verify now” checks at once.">
        {list.error && !list.data ? (
          <div className="p-4 sm:p-5">
            <ErrorPanel error={list.error} onRetry={list.reload} />
          </div>
        ) : !list.data ? (
          <Loading />
        ) : items.length === 0 ? (
          <EmptyState icon={GlobeIcon} title="No custom domains yet">
            Your storefront already answers on its own address. Add a domain you own, such as cloud.example.com, to
            serve it there as well.
          </EmptyState>
        ) : (
          <ul className="divide-y divide-border" aria-label="Custom domains">
            {items.map((d) => (
              <DomainRow
                key={d.id}
                domain={d}
                manage={manage}
                onVerified={(nd) => {
                  setUpdated((u) => ({ ...u, [nd.id]: nd }))
                  setNotice(
                    nd.status === 'verified'
                      ? { tone: 'success', text: `${nd.domain} is verified. Your storefront answers on it now.` }
                      : null,
                  )
                }}
                onRemove={() => setRemoving(d)}
              />
            ))}
          </ul>
        )}
      </Panel>

      <HowItWorks />

      <ConfirmDialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        title={`Remove ${removing?.domain ?? 'this domain'}?`}
        confirmLabel="Remove domain"
        onConfirm={async () => {
          if (!removing) return
          await api.del(`/api/admin/domains/${encodeURIComponent(removing.id)}`)
          setNotice({ tone: 'success', text: `${removing.domain} was removed.` })
          list.reload()
        }}
      >
        <p>
          Your storefront stops answering on <strong className="text-fg">{removing?.domain}</strong> at once, and
          visitors who use it get an error. You can add it again later; it then needs a new TXT record.
        </p>
      </ConfirmDialog>
    </div>
  )
}

function AddDomain({ onAdded }: { onAdded: (d: Domain) => void }) {
  const [domain, setDomain] = useState('')
  const form = useForm(['domain'])
  return (
    <Panel title="Add a domain">
      <form
        ref={form.formRef}
        noValidate
        data-testid="add-domain-form"
        className="space-y-3 p-4 sm:p-5"
        onSubmit={form.submit(async () => {
          const d = await api.post<Domain>('/api/admin/domains', { domain: domain.trim() })
          setDomain('')
          onAdded(d)
        })}
      >
        <FormError form={form} />
        <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
          <TextField
            label="Domain"
            name="domain"
            inputMode="url"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            placeholder="cloud.example.com"
            value={domain}
            onChange={(e) => setDomain(e.target.value)}
            hint="A domain or subdomain you control, without https://."
            error={form.fieldError('domain')}
            wrapperClassName="min-w-0 flex-1"
          />
          <SubmitButton form={form} className="sm:mt-7" data-testid="add-domain-submit">
            <PlusIcon className="size-4" />
            Add domain
          </SubmitButton>
        </div>
      </form>
    </Panel>
  )
}

function DomainRow({
  domain: d,
  manage,
  onVerified,
  onRemove,
}: {
  domain: Domain
  manage: boolean
  onVerified: (d: Domain) => void
  onRemove: () => void
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const verified = d.status === 'verified'
  const [open, setOpen] = useState(!verified)
  const recordsId = `records-${d.id}`

  const verify = async () => {
    setBusy(true)
    setError('')
    try {
      const nd = await api.post<Domain>(`/api/admin/domains/${encodeURIComponent(d.id)}/verify`)
      onVerified(nd)
      if (nd.status === 'verified') setOpen(false)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <li className="px-4 py-5 sm:px-5" data-testid="domain-row" data-domain={d.domain} data-status={d.status}>
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="font-semibold break-all text-fg">{d.domain}</h3>
            <Badge tone={statusTone(d.status)} dot data-testid="domain-status">
              {statusLabels[d.status] ?? d.status}
            </Badge>
          </div>
          <p className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-muted">
            {verified ? (
              <span className="inline-flex items-center gap-1.5">
                <CheckCircleIcon className="size-4 text-emerald-600 dark:text-emerald-400" />
                Verified <Time iso={d.verified_at} />
              </span>
            ) : (
              <span className="inline-flex items-center gap-1.5">
                <ClockIcon className="size-4" />
                {d.last_checked_at ? (
                  <>
                    Last checked <Time iso={d.last_checked_at} />
                  </>
                ) : (
                  'Not checked yet'
                )}
              </span>
            )}
            {verified ? (
              <a
                href={`https://${d.domain}/`}
                target="_blank"
                rel="noopener"
                className="inline-flex items-center gap-1 rounded-sm font-medium text-primary hover:underline"
              >
                Open
                <ExternalLinkIcon className="size-3.5" />
                <span className="sr-only">{d.domain} (opens in a new tab)</span>
              </a>
            ) : null}
          </p>
        </div>
        {manage ? (
          <div className="flex shrink-0 flex-wrap gap-2">
            {!verified ? (
              <Button size="sm" onClick={verify} busy={busy} data-testid="domain-verify">
                {busy ? null : <RefreshIcon className="size-4" />}
                Verify now
              </Button>
            ) : null}
            <Button
              size="sm"
              variant="danger-ghost"
              onClick={onRemove}
              aria-label={`Remove ${d.domain}`}
              data-testid="domain-remove"
            >
              <TrashIcon className="size-4" />
              Remove
            </Button>
          </div>
        ) : null}
      </div>

      {!verified && d.last_error ? (
        <p
          className="mt-3 flex items-start gap-2 rounded-fd-sm border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-200"
          data-testid="domain-error"
        >
          <AlertCircleIcon className="mt-0.5 size-4 shrink-0" />
          <span>
            <span className="font-medium">Not verified yet:</span> {d.last_error}
          </span>
        </p>
      ) : null}
      {error ? (
        <Alert tone="error" className="mt-3">
          {error}
        </Alert>
      ) : null}

      {verified ? (
        <button
          type="button"
          onClick={() => setOpen((o) => !o)}
          aria-expanded={open}
          aria-controls={recordsId}
          className="mt-3 inline-flex items-center gap-1 rounded-sm text-sm font-medium text-muted hover:text-fg"
        >
          <ChevronDownIcon className={cx('size-4 transition-transform', open && 'rotate-180')} />
          {open ? 'Hide DNS records' : 'Show DNS records'}
        </button>
      ) : (
        <p className="mt-4 text-sm text-fg">Create these two records at your DNS provider:</p>
      )}
      <div id={recordsId} hidden={!open}>
        <Records domain={d} />
      </div>
    </li>
  )
}

function Records({ domain: d }: { domain: Domain }) {
  const rows = [
    {
      type: 'TXT',
      name: d.txt_name,
      value: d.txt_value,
      why: 'Proves you control the domain.',
      testId: 'record-txt',
    },
    {
      type: 'CNAME',
      name: d.domain,
      value: d.cname_target,
      why: 'Sends visitors to your storefront.',
      testId: 'record-cname',
    },
  ]
  return (
    <div className="mt-3 overflow-hidden rounded-fd-sm border border-border">
      <table className="hidden w-full text-left text-sm md:table">
        <caption className="sr-only">DNS records for {d.domain}</caption>
        <thead className="bg-bg">
          <tr>
            <th scope="col" className="w-20 px-3 py-2 text-xs font-semibold tracking-wide text-muted uppercase">
              Type
            </th>
            <th scope="col" className="px-3 py-2 text-xs font-semibold tracking-wide text-muted uppercase">
              Name
            </th>
            <th scope="col" className="px-3 py-2 text-xs font-semibold tracking-wide text-muted uppercase">
              Value
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-border">
          {rows.map((r) => (
            <tr key={r.type} data-testid={r.testId} className="align-top">
              <td className="px-3 py-3">
                <span className="rounded bg-primary/10 px-1.5 py-0.5 font-mono text-xs font-semibold text-primary">{r.type}</span>
              </td>
              <td className="px-3 py-3">
                <Copyable text={r.name} label={`Copy ${r.type} name`} testId={`${r.testId}-name`} />
              </td>
              <td className="px-3 py-3">
                <Copyable text={r.value} label={`Copy ${r.type} value`} testId={`${r.testId}-value`} />
                <p className="mt-1 text-xs text-muted">{r.why}</p>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <ul className="divide-y divide-border md:hidden" aria-label={`DNS records for ${d.domain}`}>
        {rows.map((r) => (
          <li key={r.type} className="space-y-2 p-3" data-testid={`${r.testId}-card`}>
            <p className="flex items-center gap-2 text-sm">
              <span className="rounded bg-primary/10 px-1.5 py-0.5 font-mono text-xs font-semibold text-primary">{r.type}</span>
              <span className="text-muted">{r.why}</span>
            </p>
            <div>
              <p className="text-xs font-medium text-muted">Name</p>
              <Copyable text={r.name} label={`Copy ${r.type} name`} />
            </div>
            <div>
              <p className="text-xs font-medium text-muted">Value</p>
              <Copyable text={r.value} label={`Copy ${r.type} value`} />
            </div>
          </li>
        ))}
      </ul>
    </div>
  )
}

function Copyable({ text, label, testId }: { text: string; label: string; testId?: string }) {
  return (
    <div className="flex items-start gap-2">
      <code data-testid={testId} className="min-w-0 flex-1 rounded bg-bg px-2 py-1.5 font-mono text-xs break-all text-fg ring-1 ring-border">
        {text}
      </code>
      <CopyButton text={text} label="Copy" aria-label={label} className="shrink-0" />
    </div>
  )
}

function HowItWorks() {
  const steps = [
    {
      title: 'Add the domain',
      body: 'Use a subdomain such as cloud.example.com, or a bare domain such as example.com.',
    },
    {
      title: 'Create the DNS records',
      body: 'The TXT record proves the domain is yours; the CNAME sends its visitors here. For a bare domain, whose provider allows no CNAME, use an ALIAS, ANAME or “flattened” CNAME record.',
    },
    {
      title: 'Verify',
      body: 'Press “Verify now” once the records are in place, or wait: pending domains are checked every 10 minutes for 30 days. DNS changes can take up to a few hours to spread.',
    },
    {
      title: 'HTTPS follows',
      body: 'The certificate is issued automatically on the first visit after verification, which can take a few seconds. Nothing to upload or renew.',
    },
  ]
  return (
    <Panel title="How custom domains work">
      <ol className="grid gap-5 p-4 sm:grid-cols-2 sm:p-5">
        {steps.map((s, i) => (
          <li key={s.title} className="flex gap-3">
            <span className="flex size-7 shrink-0 items-center justify-center rounded-full bg-primary/10 text-sm font-semibold text-primary">
              {i + 1}
            </span>
            <span>
              <span className="block text-sm font-semibold text-fg">{s.title}</span>
              <span className="mt-0.5 block text-sm leading-6 text-muted">{s.body}</span>
            </span>
          </li>
        ))}
      </ol>
    </Panel>
  )
}
