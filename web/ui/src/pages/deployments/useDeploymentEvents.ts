import { useEffect, useRef, useState } from 'react'
import { refreshSession } from '../../api'
import type { DeploymentEvent } from '../../deployments'

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed'

const terminal = new Set(['running', 'failed', 'terminated'])

/**
 * useDeploymentEvents follows GET /api/deployments/:id/events (Server-Sent Events,
 * `event: deployment`). The server sends every event so far, then new ones, and ends the
 * stream once the deployment settles (running, failed, terminated); the hook then stops
 * instead of letting EventSource reconnect forever. While the deployment is still
 * changing, a dropped connection is reopened with a growing delay (refreshing the session
 * first, since an expired access cookie is the usual reason). Events are kept by id, so
 * a replay after a reconnect adds nothing twice. Bump `generation` to listen again (after
 * a cancel, say).
 */
export function useDeploymentEvents(id: string | undefined, enabled: boolean, generation = 0) {
  const [events, setEvents] = useState<DeploymentEvent[]>([])
  const [state, setState] = useState<StreamState>('connecting')
  const seen = useRef(new Set<number>())

  useEffect(() => {
    if (!id || !enabled) {
      setState('closed')
      return
    }
    let source: EventSource | null = null
    let timer: ReturnType<typeof setTimeout> | undefined
    let attempts = 0
    let stopped = false
    // The status of the newest event: the server closes the stream after a settled one.
    let last = ''

    const stop = () => {
      stopped = true
      source?.close()
      if (timer) clearTimeout(timer)
      setState('closed')
    }

    const open = () => {
      if (stopped) return
      setState(attempts === 0 ? 'connecting' : 'reconnecting')
      const es = new EventSource(`/api/deployments/${encodeURIComponent(id)}/events`, { withCredentials: true })
      source = es
      es.onopen = () => {
        attempts = 0
        setState('live')
      }
      es.addEventListener('deployment', (msg) => {
        let ev: DeploymentEvent
        try {
          ev = JSON.parse((msg as MessageEvent<string>).data) as DeploymentEvent
        } catch {
          return
        }
        if (!seen.current.has(ev.id)) {
          seen.current.add(ev.id)
          setEvents((prev) => [...prev, ev].sort((a, b) => a.id - b.id))
        }
        last = ev.status
      })
      es.onerror = () => {
        if (terminal.has(last)) {
          // The server ends the stream once the deployment settled: do not reconnect.
          es.close()
          setState('closed')
          return
        }
        if (es.readyState === EventSource.CLOSED || stopped) {
          // Refused (401/404) or closed for good: reopen ourselves, after a refresh.
          es.close()
          if (stopped) return
          attempts++
          setState('reconnecting')
          const delay = Math.min(15_000, 1000 * 2 ** Math.min(attempts, 4))
          timer = setTimeout(() => {
            void refreshSession().finally(open)
          }, delay)
        } else {
          // EventSource retries by itself (sending Last-Event-ID).
          setState('reconnecting')
        }
      }
    }

    open()
    return stop
  }, [id, enabled, generation])

  return { events, state }
}
