import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { api } from '../../api'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import {
  Badge,
  DataTable,
  EmptyState,
  PageHeader,
  Pager,
  Panel,
  Time,
  usePaged,
  type Column,
} from '../../components/data'
import { Alert, FormError, SubmitButton, TextArea, useForm } from '../../components/forms'
import { BuildingIcon } from '../../components/icons'
import { Button, cx, usePageTitle } from '../../components/ui'
import { config } from '../../config'
import { canManageTenant, useSession } from '../../session'

export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'revoked'

export interface NodeOperatorRequest {
  id: string
  operator_email: string
  message: string
  status: RequestStatus
  reason: string
  created_at: string
  decided_at: string | null
}

const statuses: Array<{ id: RequestStatus; label: string }> = [
  { id: 'pending', label: 'Pending' },
  { id: 'approved', label: 'Approved' },
  { id: 'rejected', label: 'Rejected' },
  { id: 'revoked', label: 'Revoked' },
]

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'approved' ? 'success' : status === 'pending' ? 'warning' : status === 'rejected' ? 'danger' : 'neutral'
  const label = statuses.find((s) => s.id === status)?.label ?? status
  return (
    <Badge tone={tone} dot data-testid="request-status">
      {label}
    </Badge>
  )
}

const emptyText: Record<RequestStatus, { title: string; body: string }> = {
  pending: {
    title: 'No requests waiting',
    body: 'Node operators ask to join from their platform console. New requests appear here for you to approve or reject.',
  },
  approved: {
    title: 'No approved node operators',
    body: 'Approve a pending request to let that operator offer their nodes to your pool.',
  },
  rejected: { title: 'No rejected requests', body: 'Requests you turn down are kept here with your reason.' },
  revoked: { title: 'Nothing revoked', body: 'Operators whose approval you withdraw are listed here.' },
}

type Action = { kind: 'approve' | 'reject' | 'revoke'; req: NodeOperatorRequest }

export function NodeOperatorRequests() {
  usePageTitle('Node-operator requests')
  const { me } = useSession()
  const manage = canManageTenant(me)
  const [params, setParams] = useSearchParams()
  const raw = params.get('status')
  const status: RequestStatus = statuses.some((s) => s.id === raw) ? (raw as RequestStatus) : 'pending'
  const paged = usePaged<NodeOperatorRequest>(`/api/admin/node-operator-requests?status=${status}`)
  const [action, setAction] = useState<Action | null>(null)
  const [notice, setNotice] = useState('')

  const columns: Column<NodeOperatorRequest>[] = [
    {
      header: 'Operator',
      primary: true,
      cell: (r) => <span className="font-medium break-words">{r.operator_email}</span>,
    },
    {
      header: 'Message',
      className: 'max-w-sm',
      cell: (r) =>
        r.message ? (
          <span className="line-clamp-3 text-sm whitespace-pre-line text-fg" title={r.message}>
            {r.message}
          </span>
        ) : (
          <span className="text-muted">No message</span>
        ),
    },
    { header: 'Requested', cell: (r) => <Time iso={r.created_at} /> },
    ...(status === 'pending'
      ? []
      : [
          {
            header: 'Decision',
            cell: (r: NodeOperatorRequest) => (
              <span className="flex flex-col gap-1">
                <span className="inline-flex items-center gap-2">
                  <StatusBadge status={r.status} />
                  <span className="text-xs text-muted">
                    <Time iso={r.decided_at} />
                  </span>
                </span>
                {r.reason ? <span className="text-sm text-muted">“{r.reason}”</span> : null}
              </span>
            ),
          },
        ]),
    ...(manage && (status === 'pending' || status === 'approved')
      ? [
          {
            header: '',
            actions: true,
            cell: (r: NodeOperatorRequest) =>
              r.status === 'pending' ? (
                <span className="inline-flex gap-2">
                  <Button size="sm" onClick={() => setAction({ kind: 'approve', req: r })} data-testid="request-approve">
                    Approve
                  </Button>
                  <Button
                    size="sm"
                    variant="secondary"
                    onClick={() => setAction({ kind: 'reject', req: r })}
                    data-testid="request-reject"
                  >
                    Reject
                  </Button>
                </span>
              ) : r.status === 'approved' ? (
                <Button
                  size="sm"
                  variant="danger-ghost"
                  onClick={() => setAction({ kind: 'revoke', req: r })}
                  data-testid="request-revoke"
                >
                  Revoke
                </Button>
              ) : null,
          },
        ]
      : []),
  ]

  const done = (msg: string) => {
    setAction(null)
    setNotice(msg)
    paged.reload()
  }

  return (
    <div className="space-y-8">
      <PageHeader
        title="Node-operator requests"
        icon={BuildingIcon}
        description={`Farmers who want to supply nodes to ${config.tenant.name}. Approving one lets them offer their nodes to your pool; you choose later which nodes customers see.`}
      />

      <div role="tablist" aria-label="Request status" className="flex flex-wrap gap-2">
        {statuses.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            aria-selected={status === s.id}
            data-testid={`status-tab-${s.id}`}
            onClick={() => {
              setNotice('')
              setParams(s.id === 'pending' ? {} : { status: s.id }, { replace: true })
            }}
            className={cx(
              'rounded-full border px-3.5 py-1.5 text-sm font-medium transition-colors',
              status === s.id
                ? 'border-primary bg-primary text-primary-contrast'
                : 'border-border bg-surface text-fg hover:border-primary/40 hover:bg-primary/5',
            )}
          >
            {s.label}
          </button>
        ))}
      </div>

      {notice ? (
        <Alert tone="success" data-testid="requests-notice">
          {notice}
        </Alert>
      ) : null}

      <Panel role="tabpanel" aria-label={`${statuses.find((s) => s.id === status)?.label} requests`}>
        <DataTable
          caption={`${status} node-operator requests`}
          columns={columns}
          rows={paged.items}
          rowKey={(r) => r.id}
          rowProps={(r) => ({ 'data-testid': 'request-row', 'data-email': r.operator_email })}
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          empty={
            <EmptyState icon={BuildingIcon} title={emptyText[status].title}>
              {emptyText[status].body}
            </EmptyState>
          }
        />
        <Pager paged={paged} noun="requests" />
      </Panel>

      <ConfirmDialog
        open={action?.kind === 'approve'}
        onClose={() => setAction(null)}
        tone="primary"
        title="Approve this node operator?"
        confirmLabel="Approve"
        onConfirm={async () => {
          if (!action) return
          await api.post(`/api/admin/node-operator-requests/${encodeURIComponent(action.req.id)}/approve`)
          done(`${action.req.operator_email} is approved and can now offer nodes to your pool.`)
        }}
      >
        <p>
          <strong className="text-fg">{action?.req.operator_email}</strong> gets the node-operator role on{' '}
          {config.tenant.name}: they can offer their nodes to your pool. You can revoke this at any time.
        </p>
      </ConfirmDialog>

      <Dialog
        open={action?.kind === 'reject' || action?.kind === 'revoke'}
        onClose={() => setAction(null)}
        flush
        title={action?.kind === 'revoke' ? 'Revoke this approval?' : 'Reject this request?'}
        description={
          action?.kind === 'revoke'
            ? `${action.req.operator_email} loses the node-operator role on ${config.tenant.name}.`
            : `${action?.req.operator_email ?? ''} is told the request was turned down, with your reason.`
        }
        testId="reason-dialog"
      >
        {action && action.kind !== 'approve' ? (
          <ReasonForm
            action={action}
            onClose={() => setAction(null)}
            onDone={() =>
              done(
                action.kind === 'revoke'
                  ? `The approval of ${action.req.operator_email} was revoked.`
                  : `The request of ${action.req.operator_email} was rejected.`,
              )
            }
          />
        ) : null}
      </Dialog>
    </div>
  )
}

function ReasonForm({ action, onClose, onDone }: { action: Action; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState('')
  const form = useForm(['reason'])
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        await api.post(`/api/admin/node-operator-requests/${encodeURIComponent(action.req.id)}/${action.kind}`, {
          reason: reason.trim(),
        })
        onDone()
      })}
    >
      <FormError form={form} />
      <TextArea
        label="Reason"
        name="reason"
        rows={3}
        autoFocus
        placeholder={action.kind === 'revoke' ? 'e.g. Nodes offline too often' : 'e.g. We only accept certified nodes for now'}
        hint="The operator sees this."
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        error={form.fieldError('reason')}
      />
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} variant="danger" data-testid="reason-submit">
          {action.kind === 'revoke' ? 'Revoke approval' : 'Reject request'}
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
