// The wallet's balance and burn over the last 90 days: a hand-drawn SVG line chart with
// two value axes (TFT on the left, TFT a month on the right), dates below, a legend, a
// pointer and keyboard read-out of each day, and the same numbers as a table for screen
// readers. Colours come from the tenant's theme (primary for the balance, accent and a
// dashed line for the burn), so the chart reads in light and dark themes alike.

import {
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type PointerEvent,
  type RefObject,
} from 'react'
import { cx } from '../../components/ui'
import { formatAmount, tftNumber, type HistoryPoint } from '../../wallet'

const HEIGHT = 260
const PAD = { top: 30, right: 60, bottom: 30, left: 60 }

/** niceStep rounds a step up to 1, 2, 2.5 or 5 × 10ⁿ. */
function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw))
  const norm = raw / mag
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag
}

/** niceScale picks a top value and a round step for about `ticks` intervals. */
export function niceScale(max: number, ticks = 4): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 }
  const step = niceStep(max / ticks)
  return { top: Math.ceil(max / step - 1e-9) * step, step }
}

/** fitScale is a scale of exactly `intervals` round steps covering max, for a second axis on the same grid. */
export function fitScale(max: number, intervals: number): { top: number; step: number } {
  const step = max > 0 ? niceStep(max / intervals) : 1 / intervals
  return { top: step * intervals, step }
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })
const plain = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })

/** axisLabel keeps tick labels short: "750", "1.5K", "12K". */
function axisLabel(v: number): string {
  return Math.abs(v) >= 1000 ? compact.format(v) : plain.format(v)
}

const dayFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' })
const longDay = new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' })

function dayOf(p: HistoryPoint): Date {
  return new Date(`${p.day}T00:00:00Z`)
}

/** useWidth follows an element's width, so the SVG draws at its real size and its text stays readable. */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T | null>(null)
  const [width, setWidth] = useState(0)
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    setWidth(el.clientWidth)
    const ro = new ResizeObserver((entries) => {
      for (const e of entries) setWidth(Math.round(e.contentRect.width))
    })
    ro.observe(el)
    return () => ro.disconnect()
  }, [])
  return [ref, width]
}

export function WalletChart({ points, minRunwayDays }: { points: HistoryPoint[]; minRunwayDays?: number }) {
  const [box, width] = useWidth<HTMLDivElement>()
  const [active, setActive] = useState<number | null>(null)
  const titleId = useId()
  const descId = useId()

  const series = useMemo(
    () => points.map((p) => ({ p, date: dayOf(p), balance: tftNumber(p.balance_tft), burn: tftNumber(p.burn_month_tft) })),
    [points],
  )
  const n = series.length
  const narrow = width > 0 && width < 520
  const pad = narrow ? { ...PAD, left: 44, right: 44 } : PAD
  const innerW = Math.max(0, width - pad.left - pad.right)
  const innerH = HEIGHT - pad.top - pad.bottom

  const left = niceScale(Math.max(0, ...series.map((s) => s.balance)))
  const intervals = Math.round(left.top / left.step)
  const right = fitScale(Math.max(0, ...series.map((s) => s.burn)), intervals)
  const x = useCallback((i: number) => pad.left + (n <= 1 ? innerW / 2 : (innerW * i) / (n - 1)), [pad.left, innerW, n])
  const yL = (v: number) => pad.top + innerH - (innerH * v) / left.top
  const yR = (v: number) => pad.top + innerH - (innerH * v) / right.top

  const line = (pick: (s: (typeof series)[number]) => number, y: (v: number) => number) =>
    series.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ')
  const balancePath = line((s) => s.balance, yL)
  const burnPath = line((s) => s.burn, yR)
  const areaPath = n > 1 ? `${balancePath} L${x(n - 1).toFixed(1)},${yL(0).toFixed(1)} L${x(0).toFixed(1)},${yL(0).toFixed(1)} Z` : ''

  const leftTicks = Array.from({ length: intervals + 1 }, (_, i) => i * left.step)
  const rightTicks = leftTicks.map((_, i) => i * right.step)
  // About one date label per 110 px, always the first and the last day.
  const dateTicks = useMemo(() => {
    if (n === 0) return []
    if (n === 1) return [0]
    const want = Math.max(2, Math.min(n, Math.floor(innerW / 110)))
    const out = new Set<number>()
    for (let k = 0; k < want; k++) out.add(Math.round((k * (n - 1)) / (want - 1)))
    return [...out]
  }, [n, innerW])

  // Keep the read-out inside the data when the history changes under it.
  useEffect(() => {
    if (active !== null && active >= n) setActive(n ? n - 1 : null)
  }, [active, n])

  const pick = (e: PointerEvent<SVGRectElement>) => {
    const rect = e.currentTarget.getBoundingClientRect()
    const px = e.clientX - rect.left
    setActive(n <= 1 ? 0 : Math.max(0, Math.min(n - 1, Math.round((px / Math.max(1, rect.width)) * (n - 1)))))
  }
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    if (!n) return
    const at = active ?? n - 1
    const next =
      e.key === 'ArrowLeft' ? at - 1 : e.key === 'ArrowRight' ? at + 1 : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : e.key === 'Escape' ? -1 : null
    if (next === null) return
    e.preventDefault()
    setActive(next < 0 ? null : Math.max(0, Math.min(n - 1, next)))
  }

  const last = series[n - 1]
  const first = series[0]
  const shown = active !== null ? series[active] : undefined
  const summary =
    n === 0
      ? 'No history yet.'
      : `${n} ${n === 1 ? 'day' : 'days'} from ${longDay.format(first!.date)} to ${longDay.format(last!.date)}. ` +
        `Balance from ${formatAmount(first!.p.balance_tft)} to ${formatAmount(last!.p.balance_tft)} TFT; ` +
        `burn from ${formatAmount(first!.p.burn_month_tft)} to ${formatAmount(last!.p.burn_month_tft)} TFT a month.`

  return (
    <div data-testid="wallet-chart" data-points={n}>
      <div className="flex flex-wrap items-center gap-x-5 gap-y-2 px-4 pt-4 text-sm sm:px-5" aria-hidden="true">
        <span className="inline-flex items-center gap-2 text-fg">
          <svg width="22" height="10" className="shrink-0">
            <rect x="0" y="0" width="22" height="10" rx="2" style={{ fill: 'var(--fd-primary)', opacity: 0.15 }} />
            <line x1="0" y1="5" x2="22" y2="5" strokeWidth="2.5" style={{ stroke: 'var(--fd-primary)' }} />
          </svg>
          Balance <span className="text-muted">TFT · left axis</span>
        </span>
        <span className="inline-flex items-center gap-2 text-fg">
          <svg width="22" height="10" className="shrink-0">
            <line x1="0" y1="5" x2="22" y2="5" strokeWidth="2.5" strokeDasharray="5 3" style={{ stroke: 'var(--fd-accent)' }} />
          </svg>
          Burn <span className="text-muted">TFT a month · right axis</span>
        </span>
        {minRunwayDays ? <span className="text-muted">Policy keeps {minRunwayDays} days of runway</span> : null}
      </div>

      <div ref={box} className="relative px-0 pb-2" style={{ height: HEIGHT + 8 }}>
        {width > 0 ? (
          <svg
            width={width}
            height={HEIGHT}
            role="img"
            aria-labelledby={titleId}
            aria-describedby={descId}
            tabIndex={0}
            onKeyDown={onKey}
            onBlur={() => setActive(null)}
            className="block rounded-fd-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary"
            data-testid="wallet-chart-svg"
          >
            <title id={titleId}>Balance and burn over the last {n} days</title>
            <desc id={descId}>{summary} Use the left and right arrow keys to read each day.</desc>

            {/* Grid and left axis (balance). */}
            <g fontSize="11" style={{ fill: 'var(--fd-muted)' }}>
              {leftTicks.map((v, i) => (
                <g key={`l${i}`}>
                  <line
                    x1={pad.left}
                    x2={pad.left + innerW}
                    y1={yL(v)}
                    y2={yL(v)}
                    strokeWidth="1"
                    style={{ stroke: 'var(--fd-border)' }}
                    strokeDasharray={i === 0 ? undefined : '2 4'}
                  />
                  <text x={pad.left - 8} y={yL(v)} dy="0.32em" textAnchor="end" data-testid="chart-y-left">
                    {axisLabel(v)}
                  </text>
                  <text x={pad.left + innerW + 8} y={yR(rightTicks[i] ?? 0)} dy="0.32em" textAnchor="start" data-testid="chart-y-right">
                    {axisLabel(rightTicks[i] ?? 0)}
                  </text>
                </g>
              ))}
              {!narrow ? (
                <>
                  <text x={pad.left - 8} y={12} textAnchor="end" fontWeight="600" fontSize="10" style={{ fill: 'var(--fd-muted)' }}>
                    TFT
                  </text>
                  <text x={pad.left + innerW + 8} y={12} textAnchor="start" fontWeight="600" fontSize="10" style={{ fill: 'var(--fd-muted)' }}>
                    TFT/mo
                  </text>
                </>
              ) : null}
              {dateTicks.map((i) => (
                <text
                  key={`d${i}`}
                  x={x(i)}
                  y={HEIGHT - 8}
                  textAnchor={n > 1 && i === 0 ? 'start' : n > 1 && i === n - 1 ? 'end' : 'middle'}
                  data-testid="chart-x"
                >
                  {dayFormat.format(series[i]!.date)}
                </text>
              ))}
            </g>

            {/* The balance: an area and its line; the burn: a dashed line on the right axis. */}
            {areaPath ? <path d={areaPath} style={{ fill: 'var(--fd-primary)', opacity: 0.12 }} /> : null}
            {n > 1 ? (
              <>
                <path d={balancePath} fill="none" strokeWidth="2.5" strokeLinejoin="round" strokeLinecap="round" style={{ stroke: 'var(--fd-primary)' }} data-testid="chart-balance" />
                <path
                  d={burnPath}
                  fill="none"
                  strokeWidth="2"
                  strokeDasharray="6 4"
                  strokeLinejoin="round"
                  style={{ stroke: 'var(--fd-accent)' }}
                  data-testid="chart-burn"
                />
              </>
            ) : n === 1 ? (
              <>
                <circle cx={x(0)} cy={yL(series[0]!.balance)} r="4.5" style={{ fill: 'var(--fd-primary)' }} data-testid="chart-balance" />
                <circle cx={x(0)} cy={yR(series[0]!.burn)} r="4" style={{ fill: 'var(--fd-surface)', stroke: 'var(--fd-accent)' }} strokeWidth="2" data-testid="chart-burn" />
              </>
            ) : null}

            {/* The read-out of one day. */}
            {shown && active !== null ? (
              <g pointerEvents="none">
                <line x1={x(active)} x2={x(active)} y1={pad.top} y2={pad.top + innerH} strokeWidth="1" style={{ stroke: 'var(--fd-muted)' }} opacity="0.6" />
                <circle cx={x(active)} cy={yL(shown.balance)} r="4.5" strokeWidth="2" style={{ fill: 'var(--fd-surface)', stroke: 'var(--fd-primary)' }} />
                <circle cx={x(active)} cy={yR(shown.burn)} r="4" strokeWidth="2" style={{ fill: 'var(--fd-surface)', stroke: 'var(--fd-accent)' }} />
              </g>
            ) : null}
            {n > 0 ? (
              <rect
                x={pad.left}
                y={pad.top}
                width={innerW}
                height={innerH}
                fill="transparent"
                onPointerMove={pick}
                onPointerDown={pick}
                onPointerLeave={() => setActive(null)}
              />
            ) : null}
          </svg>
        ) : null}

        {shown && active !== null ? (
          <div
            role="status"
            className={cx(
              'pointer-events-none absolute top-2 z-10 w-52 rounded-fd-sm border border-border bg-surface px-3 py-2 text-xs shadow-lg',
            )}
            style={{ left: Math.max(4, Math.min(width - 212, x(active) + (x(active) > width / 2 ? -220 : 12))) }}
            data-testid="chart-readout"
          >
            <p className="font-semibold text-fg">{longDay.format(shown.date)}</p>
            <p className="mt-1 flex justify-between gap-3 text-muted">
              Balance <span className="font-medium text-fg tabular-nums">{formatAmount(shown.p.balance_tft)} TFT</span>
            </p>
            <p className="flex justify-between gap-3 text-muted">
              Burn <span className="font-medium text-fg tabular-nums">{formatAmount(shown.p.burn_month_tft)} TFT/mo</span>
            </p>
            <p className="flex justify-between gap-3 text-muted">
              Runway{' '}
              <span className="font-medium text-fg tabular-nums">
                {shown.p.runway_days === null ? '—' : `${shown.p.runway_days.toLocaleString('en-US')} ${shown.p.runway_days === 1 ? 'day' : 'days'}`}
              </span>
            </p>
          </div>
        ) : null}
      </div>

      {/* sr-only on a wrapper: a table ignores the 1 px box and would widen the page. */}
      <div className="sr-only">
      <table>
        <caption>Wallet balance and burn, one row a day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Balance (TFT)</th>
            <th scope="col">Burn (TFT a month)</th>
            <th scope="col">Runway (days)</th>
          </tr>
        </thead>
        <tbody>
          {series.map((s) => (
            <tr key={s.p.day}>
              <th scope="row">{s.p.day}</th>
              <td>{s.p.balance_tft}</td>
              <td>{s.p.burn_month_tft}</td>
              <td>{s.p.runway_days ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </div>
  )
}
