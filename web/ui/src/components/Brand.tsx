import { useState } from 'react'
import { config } from '../config'
import { cx } from './ui'

/** monogram makes up to two initials from a brand name: "Demo Cloud" → "DC". */
export function monogram(name: string): string {
  const words = name
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
  if (words.length === 0) return '•'
  const letters =
    words.length === 1 ? Array.from(words[0] ?? '').slice(0, 2) : words.slice(0, 2).map((w) => Array.from(w)[0] ?? '')
  return letters.join('').toUpperCase()
}

/** BrandMark is the tenant's logo, or a monogram badge in the primary colour when it has none. */
export function BrandMark({ className }: { className?: string }) {
  const { name, logo_url } = config.tenant
  const [broken, setBroken] = useState(false)

  if (logo_url && !broken) {
    return (
      <img
        src={logo_url}
        alt=""
        className={cx('size-8 shrink-0 rounded-fd-sm object-contain', className)}
        onError={() => setBroken(true)}
      />
    )
  }
  return (
    <span
      aria-hidden="true"
      className={cx(
        'inline-flex size-8 shrink-0 items-center justify-center rounded-fd-sm bg-primary text-[0.8rem] font-bold tracking-tight text-primary-contrast shadow-sm shadow-primary/25',
        className,
      )}
    >
      {monogram(name)}
    </span>
  )
}
