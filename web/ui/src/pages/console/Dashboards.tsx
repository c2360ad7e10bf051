import { useState } from 'react'
import { api } from '../../api'
import { Dialog, DialogActions } from '../../components/Dialog'
import { DataTable, EmptyState, PageHeader, Pager, Panel, Time, usePaged, type Column } from '../../components/data'
import { Alert, FormError, SubmitButton, TextArea, useForm } from '../../components/forms'
import { LayersIcon, SendIcon } from '../../components/icons'
import { Button, Container, usePageTitle } from '../../components/ui'
import { StatusBadge, type RequestStatus } from '../admin/NodeOperatorRequests'

interface TenantForOperator {
  slug: string
  name: string
  request: { id: string; status: RequestStatus; reason: string; created_at: string } | null
}

const stateText: Record<RequestStatus, string> = {
  pending: 'Waiting for the storefront’s admins to decide.',
  approved: 'You can offer your nodes to this storefront.',
  rejected: 'The storefront turned the request down.',
  revoked: 'The storefront withdrew its approval.',
}

export function Dashboards() {
  usePageTitle('Dashboards')
  const list = usePaged<TenantForOperator>('/api/node-operator/tenants')
  const [asking, setAsking] = useState<TenantForOperator | null>(null)
  const [notice, setNotice] = useState('')

  const columns: Column<TenantForOperator>[] = [
    {
      header: 'Storefront',
      primary: true,
      cell: (t) => (
        <span className="flex flex-col">
          <span className="font-medium text-fg">{t.name}</span>
          <span className="font-mono text-xs text-muted">{t.slug}</span>
        </span>
      ),
    },
    {
      header: 'Your request',
      cell: (t) =>
        t.request ? (
          <span className="flex flex-col gap-1">
            <span className="inline-flex flex-wrap items-center gap-2">
              <StatusBadge status={t.request.status} />
              <span className="text-xs text-muted">
                sent <Time iso={t.request.created_at} />
              </span>
            </span>
            <span className="text-sm text-muted">
              {stateText[t.request.status]}
              {t.request.reason ? ` “${t.request.reason}”` : ''}
            </span>
          </span>
        ) : (
          <span className="text-muted">Not requested</span>
        ),
    },
    {
      header: '',
      actions: true,
      cell: (t) =>
        !t.request || t.request.status === 'rejected' || t.request.status === 'revoked' ? (
          <Button size="sm" variant={t.request ? 'secondary' : 'primary'} onClick={() => setAsking(t)} data-testid="request-join">
            <SendIcon className="size-4" />
            {t.request ? 'Ask again' : 'Request to join'}
          </Button>
        ) : null,
    },
  ]

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Dashboards"
        icon={LayersIcon}
        description="Storefronts on this platform. Ask to join one’s node pool; once its admins approve, you can expose your nodes to its customers."
      />
      {notice ? (
        <Alert tone="success" data-testid="dashboards-notice">
          {notice}
        </Alert>
      ) : null}
      <Panel>
        <DataTable
          caption="Storefronts"
          columns={columns}
          rows={list.items}
          rowKey={(t) => t.slug}
          rowProps={(t) => ({ 'data-testid': 'dashboard-row', 'data-slug': t.slug, 'data-status': t.request?.status ?? 'none' })}
          loading={list.loading}
          error={list.error}
          onRetry={list.reload}
          empty={
            <EmptyState icon={LayersIcon} title="No storefronts yet">
              When the platform opens storefronts, they are listed here for you to join.
            </EmptyState>
          }
        />
        <Pager paged={list} noun="storefronts" />
      </Panel>

      <Dialog
        open={!!asking}
        onClose={() => setAsking(null)}
        flush
        title={`Request to join ${asking?.name ?? ''}`}
        description="Its admins see your e-mail address and this message, and approve or reject the request."
        testId="request-dialog"
      >
        {asking ? (
          <RequestForm
            tenant={asking}
            onClose={() => setAsking(null)}
            onDone={() => {
              setNotice(`Request sent to ${asking.name}. You will see its decision here.`)
              setAsking(null)
              list.reload()
            }}
          />
        ) : null}
      </Dialog>
    </Container>
  )
}

function RequestForm({
  tenant,
  onClose,
  onDone,
}: {
  tenant: TenantForOperator
  onClose: () => void
  onDone: () => void
}) {
  const [message, setMessage] = useState('')
  const form = useForm(['message', 'tenant_slug'])
  return (
    <form
      ref={form.formRef}
      noValidate
      className="space-y-5"
      onSubmit={form.submit(async () => {
        await api.post('/api/node-operator/requests', { tenant_slug: tenant.slug, message: message.trim() })
        onDone()
      })}
    >
      <FormError form={form} />
      {form.fieldError('tenant_slug') ? <Alert tone="error">{form.fieldError('tenant_slug')}</Alert> : null}
      <TextArea
        label="Message"
        name="message"
        optional
        rows={4}
        autoFocus
        data-testid="request-message"
        placeholder="Who you are, your farm, how many nodes, where they are and whether they are certified."
        hint="A few lines help the admins decide."
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        error={form.fieldError('message')}
      />
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} data-testid="request-submit">
          Send request
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
