import { useState } from 'react'
import { api, errorMessage } from '../../api'
import { Badge, Time, useApi } from '../../components/data'
import { Alert } from '../../components/forms'
import { HandshakeIcon } from '../../components/icons'
import { Button, ButtonLink, Card, IconBadge } from '../../components/ui'

/** An invitation to a co-op, addressed to the signed-in console account's e-mail. */
interface InvitationToMe {
  id: string
  coop: string
  slug: string
  role: 'node_operator' | 'dashboard_operator'
  created_at: string
  expires_at: string
}

const roleText: Record<InvitationToMe['role'], string> = {
  node_operator: 'node operator',
  dashboard_operator: 'dashboard operator',
}

/**
 * CoopInvitations shows the co-ops that invited the signed-in account, each with Accept and
 * Decline. Nobody becomes a co-op member without accepting here. It renders nothing when
 * there is no invitation and no answer to report.
 */
export function CoopInvitations() {
  const list = useApi<{ items: InvitationToMe[] }>('/api/coop/invitations')
  const [busy, setBusy] = useState('')
  const [error, setError] = useState('')
  const [notice, setNotice] = useState<{ joined: boolean; coop: string } | null>(null)

  const answer = async (inv: InvitationToMe, accept: boolean) => {
    setBusy(inv.id)
    setError('')
    try {
      await api.post(`/api/coop/invitations/${encodeURIComponent(inv.id)}/${accept ? 'accept' : 'decline'}`)
      setNotice({ joined: accept, coop: inv.coop })
      list.reload()
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy('')
    }
  }

  const items = list.data?.items ?? []
  if (items.length === 0 && !notice) return null
  return (
    <div className="mb-8 space-y-3" data-testid="coop-invitations-to-me">
      {notice ? (
        <Alert
          tone="success"
          data-testid="coop-invitation-notice"
          action={
            notice.joined ? (
              <ButtonLink to="/coop" size="sm" variant="secondary">
                Co-op shares
              </ButtonLink>
            ) : undefined
          }
        >
          {notice.joined
            ? `You are now a member of ${notice.coop}. Your share of its payments shows under Co-op shares.`
            : `You declined the invitation from ${notice.coop}.`}
        </Alert>
      ) : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      {items.map((inv) => (
        <Card
          key={inv.id}
          className="flex flex-col gap-4 border-primary/30 bg-primary/5 p-5 sm:flex-row sm:items-center sm:justify-between"
          data-testid="coop-invitation"
          data-coop={inv.slug}
        >
          <div className="flex min-w-0 items-start gap-4">
            <IconBadge>
              <HandshakeIcon />
            </IconBadge>
            <div className="min-w-0">
              <h2 className="font-semibold break-words text-fg">
                {inv.coop} invites you to join as a {roleText[inv.role]}
              </h2>
              <p className="mt-0.5 text-sm text-muted">
                You are not a member until you accept: members share in what the co-op’s storefront earns.{' '}
                <Badge tone="neutral">
                  Expires <Time iso={inv.expires_at} />
                </Badge>
              </p>
            </div>
          </div>
          <div className="flex shrink-0 gap-2">
            <Button
              variant="secondary"
              busy={busy === inv.id}
              disabled={!!busy}
              onClick={() => void answer(inv, false)}
              data-testid="coop-invitation-decline"
            >
              Decline
            </Button>
            <Button busy={busy === inv.id} disabled={!!busy} onClick={() => void answer(inv, true)} data-testid="coop-invitation-accept">
              Accept
            </Button>
          </div>
        </Card>
      ))}
    </div>
  )
}
