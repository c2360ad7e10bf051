import { Fragment } from 'react'
import { Link, useParams } from 'react-router'
import {
  DataTable,
  EmptyState,
  Loading,
  PageHeader,
  Pager,
  Panel,
  Time,
  formatDate,
  usePaged,
  useApi,
  type Column,
} from '../../components/data'
import { ErrorPanel } from '../../components/forms'
import { ArrowLeftIcon, ExternalLinkIcon, InboxIcon, MailIcon } from '../../components/icons'
import { Button, Container, usePageTitle } from '../../components/ui'

interface OutboxItem {
  id: string | number
  to: string
  subject: string
  created_at: string
  tenant: string
}

interface OutboxMessage {
  id: string | number
  to: string
  subject: string
  text: string
  created_at: string
  tenant?: string
}

export function Outbox() {
  usePageTitle('Outbox')
  const paged = usePaged<OutboxItem>('/api/console/outbox')

  const columns: Column<OutboxItem>[] = [
    {
      header: 'Subject',
      primary: true,
      cell: (m) => (
        <Link
          to={`/outbox/${encodeURIComponent(String(m.id))}`}
          className="rounded-sm font-medium text-fg hover:text-primary hover:underline"
          data-testid="outbox-open"
        >
          {m.subject || '(no subject)'}
        </Link>
      ),
    },
    { header: 'To', cell: (m) => <span className="break-words">{m.to}</span> },
    { header: 'Tenant', cell: (m) => m.tenant || <span className="text-muted">platform</span> },
    { header: 'Sent', cell: (m) => <Time iso={m.created_at} /> },
  ]

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="Outbox"
        icon={MailIcon}
        description="Without an SMTP server (FD_SMTP_URL unset) every e-mail lands here instead: verification links, password resets and invitations. Newest first."
        actions={
          <Button
            variant="secondary"
            busy={paged.loading}
            onClick={() => {
              paged.reset()
              paged.reload()
            }}
            data-testid="outbox-refresh"
          >
            Refresh
          </Button>
        }
      />
      <Panel>
        <DataTable
          caption="Outbox"
          columns={columns}
          rows={paged.items}
          rowKey={(m) => String(m.id)}
          rowProps={(m) => ({ 'data-testid': 'outbox-row', 'data-to': m.to })}
          loading={paged.loading}
          error={paged.error}
          onRetry={paged.reload}
          empty={
            <EmptyState icon={InboxIcon} title="No e-mails yet">
              Sign up on a storefront or ask for a password reset, and the message appears here.
            </EmptyState>
          }
        />
        <Pager paged={paged} noun="messages" />
      </Panel>
    </Container>
  )
}

const urlPattern = /(https?:\/\/[^\s<>"')\]]+)/g

/** Linkify renders plain text with its URLs as links (the verification and reset links). */
function Linkify({ text }: { text: string }) {
  const parts = text.split(urlPattern)
  return (
    <>
      {parts.map((p, i) =>
        i % 2 === 1 ? (
          <a
            key={i}
            href={p}
            data-testid="outbox-link"
            className="rounded-sm font-medium break-all text-primary underline underline-offset-2 hover:brightness-110"
          >
            {p}
          </a>
        ) : (
          <Fragment key={i}>{p}</Fragment>
        ),
      )}
    </>
  )
}

export function OutboxMessageView() {
  const { id = '' } = useParams()
  const msg = useApi<OutboxMessage>(`/api/console/outbox/${encodeURIComponent(id)}`)
  usePageTitle(msg.data?.subject ?? 'Message')
  const links = msg.data ? (msg.data.text.match(urlPattern) ?? []) : []

  return (
    <Container className="space-y-6 py-10">
      <Link to="/outbox" className="inline-flex items-center gap-1.5 rounded-sm text-sm font-medium text-muted hover:text-primary">
        <ArrowLeftIcon className="size-4" />
        Outbox
      </Link>
      {msg.error ? (
        <ErrorPanel error={msg.error} onRetry={msg.reload} />
      ) : !msg.data ? (
        <Loading />
      ) : (
        <>
          <PageHeader title={msg.data.subject || '(no subject)'} icon={MailIcon} />
          <Panel data-testid="outbox-message">
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 border-b border-border px-4 py-4 text-sm sm:px-6">
              <dt className="text-muted">To</dt>
              <dd className="break-all text-fg" data-testid="outbox-to">
                {msg.data.to}
              </dd>
              <dt className="text-muted">Sent</dt>
              <dd className="text-fg">{formatDate(msg.data.created_at)}</dd>
              {msg.data.tenant ? (
                <>
                  <dt className="text-muted">Tenant</dt>
                  <dd className="text-fg">{msg.data.tenant}</dd>
                </>
              ) : null}
            </dl>
            <pre className="overflow-x-auto px-4 py-5 font-sans text-sm leading-6 whitespace-pre-wrap text-fg sm:px-6">
              <Linkify text={msg.data.text} />
            </pre>
          </Panel>
          {links.length ? (
            <Panel title="Links in this message">
              <ul className="divide-y divide-border">
                {links.map((href, i) => (
                  <li key={i}>
                    <a
                      href={href}
                      className="flex items-center gap-3 px-4 py-3 text-sm hover:bg-primary/[0.03] sm:px-6"
                    >
                      <ExternalLinkIcon className="size-4 shrink-0 text-primary" />
                      <span className="min-w-0 font-mono text-xs break-all text-fg">{href}</span>
                    </a>
                  </li>
                ))}
              </ul>
            </Panel>
          ) : null}
        </>
      )}
    </Container>
  )
}
