import { useState } from 'react'
import { useBrand } from '../config'
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

/**
 * BrandMark is the tenant's logo, or a monogram badge in the primary colour when it has
 * none (or the image fails to load). Without props it shows the current storefront's
 * brand; the branding page's preview passes the values being edited.
 */
export function BrandMark({ className, logoUrl, name }: { className?: string; logoUrl?: string; name?: string }) {
  const brand = useBrand()
  const src = logoUrl ?? brand.logo_url
  // Remember which address failed, so a newly uploaded logo gets its chance.
  const [broken, setBroken] = useState('')

  if (src && broken !== src) {
    return (
      <img
        src={src}
        alt=""
        data-testid="brand-logo"
        className={cx('size-8 shrink-0 rounded-fd-sm object-contain', className)}
        onError={() => setBroken(src)}
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
      {monogram(name ?? brand.name)}
    </span>
  )
}
