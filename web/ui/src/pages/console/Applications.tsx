import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { api } from '../../api'
import { ConfirmDialog, Dialog } from '../../components/Dialog'
import { Badge, DataTable, EmptyState, PageHeader, Pager, Panel, Time, usePaged, type Column } from '../../components/data'
import { Alert } from '../../components/forms'
import { ExternalLinkIcon, FileTextIcon } from '../../components/icons'
import { FilterTabs } from '../../components/tabs'
import { Button, usePageTitle } from '../../components/ui'
import { baseHost, kindLabels, statusLabels, statusTone, storefrontURL, type Application } from '../../tenancy'
import { ReasonForm } from './ReasonForm'
import { useTenancy } from './TenancyLayout'

type Status = Application['status']

const tabs: Array<{ id: Status; label: string }> = [
  { id: 'pending', label: 'Pending' },
  { id: 'approved', label: 'Approved' },
  { id: 'rejected', label: 'Rejected' },
]

const emptyText: Record<Status, { title: string; body: string }> = {
  pending: {
    title: 'No applications waiting',
    body: 'Visitors apply from the console’s home page (“Become an operator” or “Register a co-op”). New applications appear here.',
  },
  approved: { title: 'Nothing approved yet', body: 'Approving an application opens the storefront and invites the applicant as its owner.' },
  rejected: { title: 'Nothing rejected', body: 'Applications you turn down are kept here with your reason.' },
}

type Decision = { kind: 'approve' | 'reject'; app: Application }

export function Applications() {
  usePageTitle('Applications')
  const { pendingApplications, reloadPending } = useTenancy()
  const [params, setParams] = useSearchParams()
  const raw = params.get('status')
  const status: Status = tabs.some((t) => t.id === raw) ? (raw as Status) : 'pending'
  const paged = usePaged<Application>(`/api/console/applications?status=${status}`)
  const [decision, setDecision] = useState<Decision | null>(null)
  const [notice, setNotice] = useState('')

  const columns: Column<Application>[] = [
    {
      header: 'Applicant',
      primary: true,
      cell: (a) => (
        <span className="flex min-w-0 flex-col gap-0.5">
          <span className="inline-flex flex-wrap items-center gap-2">
            <span className="font-medium break-words text-fg">{a.name}</span>
            <Badge tone={a.kind === 'coop' ? 'primary' : 'neutral'}>{kindLabels[a.kind] ?? a.kind}</Badge>
          </span>
          <span className="font-mono text-xs break-all text-muted">
            {a.slug}.{baseHost()}
          </span>
        </span>
      ),
    },
    { header: 'Contact', cell: (a) => <span className="break-all">{a.contact_email}</span> },
    {
      header: 'Message',
      className: 'max-w-xs',
      cell: (a) =>
        a.message ? (
          <span className="line-clamp-3 text-sm whitespace-pre-line text-fg" title={a.message}>
            {a.message}
          </span>
        ) : (
          <span className="text-muted">No message</span>
        ),
    },
    { header: 'Received', cell: (a) => <Time iso={a.created_at} /> },
    ...(status === 'pending'
      ? [
          {
            header: '',
            actions: true,
            cell: (a: Application) => (
              <span className="inline-flex gap-2">
                <Button size="sm" onClick={() => setDecision({ kind: 'approve', app: a })} data-testid="application-approve">
                  Approve
                </Button>
                <Button
                  size="sm"
                  variant="secondary"
                  onClick={() => setDecision({ kind: 'reject', app: a })}
                  data-testid="application-reject"
                >
                  Reject
                </Button>
              </span>
            ),
          },
        ]
      : [
          {
            header: 'Decision',
            cell: (a: Application) => (
              <span className="flex flex-col gap-1">
                <span className="inline-flex flex-wrap items-center gap-2">
                  <Badge tone={statusTone(a.status)} dot>
                    {statusLabels[a.status] ?? a.status}
                  </Badge>
                  <span className="text-xs text-muted">
                    <Time iso={a.decided_at} />
                  </span>
                </span>
                {a.reason ? <span className="text-sm text-muted">“{a.reason}”</span> : null}
                {a.status === 'approved' ? (
                  <a
                    href={storefrontURL(a.slug)}
                    target="_blank"
                    rel="noopener"
                    className="inline-flex items-center gap-1 rounded-sm text-xs font-medium text-primary hover:underline"
                  >
                    Open storefront
                    <ExternalLinkIcon className="size-3.5" />
                    <span className="sr-only">(opens in a new tab)</span>
                  </a>
                ) : null}
              </span>
            ),
          },
        ]),
  ]

  const done = (msg: string) => {
    setDecision(null)
    setNotice(msg)
    paged.reload()
    reloadPending()
  }

  return (
    <div className="space-y-8">
      <PageHeader
        title="Applications"
        icon={FileTextIcon}
        description="Would-be operators and co-ops who asked for a storefront. Approving one opens the storefront and e-mails the applicant an invitation to own it."
      />

      <FilterTabs
        label="Application status"
        tabs={tabs.map((t) => ({ ...t, count: t.id === 'pending' ? pendingApplications : undefined }))}
        value={status}
        onChange={(id) => {
          setNotice('')
          setParams(id === 'pending' ? {} : { status: id }, { replace: true })
        }}
      />

      {notice ? (
        <Alert tone="success" data-testid="applications-notice">
          {notice}
        </Alert>
      ) : null}

      <Panel role="tabpanel" aria-label={`${tabs.find((t) => t.id === status)?.label} applications`}>
        <DataTable
          caption={`${status} applications`}
          columns={columns}
          rows={paged.items}
          rowKey={(a) => a.id}
          rowProps={(a) => ({ 'data-testid': 'application-row', 'data-slug': a.slug, 'data-status': a.status })}
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          empty={
            <EmptyState icon={FileTextIcon} title={emptyText[status].title}>
              {emptyText[status].body}
            </EmptyState>
          }
        />
        <Pager paged={paged} noun="applications" />
      </Panel>

      <ConfirmDialog
        open={decision?.kind === 'approve'}
        onClose={() => setDecision(null)}
        tone="primary"
        title={`Approve ${decision?.app.name ?? ''}?`}
        confirmLabel="Approve and open"
        testId="approve-dialog"
        onConfirm={async () => {
          if (!decision) return
          await api.post(`/api/console/applications/${encodeURIComponent(decision.app.id)}/approve`, {})
          done(`${decision.app.name} is open at ${decision.app.slug}.${baseHost()}. ${decision.app.contact_email} was invited as its owner.`)
        }}
      >
        <p>
          This opens the {decision?.app.kind === 'coop' ? 'co-op ' : ''}storefront at{' '}
          <strong className="font-mono text-fg">
            {decision?.app.slug}.{baseHost()}
          </strong>{' '}
          and e-mails <strong className="text-fg">{decision?.app.contact_email}</strong> a link to become its owner.
        </p>
      </ConfirmDialog>

      <Dialog
        open={decision?.kind === 'reject'}
        onClose={() => setDecision(null)}
        flush
        title={`Reject ${decision?.app.name ?? ''}?`}
        description="The application is kept with your reason. The applicant can apply again."
        testId="reject-dialog"
      >
        {decision?.kind === 'reject' ? (
          <ReasonForm
            onClose={() => setDecision(null)}
            submitLabel="Reject application"
            placeholder="e.g. We are not opening storefronts in this region yet"
            hint="Kept with the application and in the audit log."
            onSubmit={async (reason) => {
              await api.post(`/api/console/applications/${encodeURIComponent(decision.app.id)}/reject`, { reason })
              done(`The application of ${decision.app.name} was rejected.`)
            }}
          />
        ) : null}
      </Dialog>
    </div>
  )
}
