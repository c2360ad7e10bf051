import { useEffect, type ComponentProps, type ReactNode } from 'react'
import { Link } from 'react-router'
import { config } from '../config'

export function cx(...parts: Array<string | false | null | undefined>): string {
  return parts.filter(Boolean).join(' ')
}

type Variant = 'primary' | 'secondary' | 'ghost' | 'inverse' | 'danger' | 'danger-ghost'
type Size = 'sm' | 'md' | 'lg'

const base =
  'inline-flex items-center justify-center gap-2 whitespace-nowrap font-semibold rounded-fd-sm ' +
  'transition-[filter,background-color,border-color,color,box-shadow] duration-150 ' +
  'focus-visible:outline-2 focus-visible:outline-offset-2 ' +
  'disabled:pointer-events-none disabled:opacity-50'

const variants: Record<Variant, string> = {
  primary:
    'bg-primary text-primary-contrast shadow-sm shadow-primary/20 hover:brightness-110 active:brightness-95 focus-visible:outline-primary',
  secondary:
    'border border-border bg-surface text-fg shadow-xs hover:border-primary/40 hover:bg-primary/5 focus-visible:outline-primary',
  ghost: 'text-fg hover:bg-primary/8 hover:text-primary focus-visible:outline-primary',
  // For use on a primary-coloured band.
  inverse:
    'bg-primary-contrast text-primary shadow-sm hover:brightness-95 focus-visible:outline-primary-contrast',
  // Destructive actions keep a fixed red whatever the tenant's palette.
  danger: 'bg-red-600 text-white shadow-sm shadow-red-600/20 hover:bg-red-700 focus-visible:outline-red-600',
  'danger-ghost':
    'text-red-700 hover:bg-red-50 focus-visible:outline-red-600 dark:text-red-400 dark:hover:bg-red-400/10',
}

const sizes: Record<Size, string> = {
  sm: 'h-9 px-3.5 text-sm',
  md: 'h-10 px-4 text-sm',
  lg: 'h-12 px-6 text-base',
}

export function buttonClass(variant: Variant = 'primary', size: Size = 'md', extra?: string) {
  return cx(base, variants[variant], sizes[size], extra)
}

type ButtonProps = ComponentProps<'button'> & { variant?: Variant; size?: Size; busy?: boolean }

/** Button is a real <button>; busy shows a spinner and blocks double submits. */
export function Button({ variant, size, busy = false, className, children, disabled, type = 'button', ...rest }: ButtonProps) {
  return (
    <button
      type={type}
      className={buttonClass(variant, size, className)}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <Spinner className="size-4" /> : null}
      {children}
    </button>
  )
}

export function Spinner({ className, label }: { className?: string; label?: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      fill="none"
      className={cx('animate-spin', className ?? 'size-5')}
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
    >
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  )
}

type ButtonLinkProps = ComponentProps<typeof Link> & { variant?: Variant; size?: Size }

/** ButtonLink is a router link styled as a button, for actions that navigate. */
export function ButtonLink({ variant, size, className, ...rest }: ButtonLinkProps) {
  return <Link className={buttonClass(variant, size, className)} {...rest} />
}

export function Container({ className, children }: { className?: string; children: ReactNode }) {
  return <div className={cx('mx-auto w-full max-w-6xl px-4 sm:px-6 lg:px-8', className)}>{children}</div>
}

export function Card({
  className,
  children,
  ...rest
}: ComponentProps<'div'> & { className?: string; children: ReactNode }) {
  return (
    <div className={cx('rounded-fd border border-border bg-surface shadow-xs', className)} {...rest}>
      {children}
    </div>
  )
}

/** IconBadge is the tinted square that carries a section or feature icon. */
export function IconBadge({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <span
      className={cx(
        'inline-flex size-10 shrink-0 items-center justify-center rounded-fd-sm bg-primary/10 text-primary ring-1 ring-primary/15 ring-inset',
        className,
      )}
    >
      {children}
    </span>
  )
}

/**
 * usePageTitle sets document.title. The home page of a realm uses the bare brand name,
 * which is also what the server puts in <title> for the first paint.
 */
export function usePageTitle(page?: string) {
  useEffect(() => {
    const brand = config.tenant.name
    document.title = page ? `${page} · ${brand}` : brand
  }, [page])
}
