import { useId, type ReactNode } from 'react'
import { CheckCircleIcon, CpuIcon } from '../../components/icons'
import { cx } from '../../components/ui'

// The deploy page's building blocks: a numbered step, a card-like radio option, a spec
// line, an on/off switch and a summary row.

export function Step({
  n,
  title,
  description,
  children,
  testId,
}: {
  n: number
  title: string
  description?: ReactNode
  children: ReactNode
  testId?: string
}) {
  const id = useId()
  return (
    <section aria-labelledby={id} className="scroll-mt-24" data-testid={testId}>
      <div className="flex items-start gap-3">
        <span className="mt-0.5 flex size-7 shrink-0 items-center justify-center rounded-full border border-primary/30 bg-primary/10 text-sm font-bold text-primary">
          {n}
        </span>
        <div className="min-w-0">
          <h2 id={id} className="text-lg font-semibold text-fg">
            {title}
          </h2>
          {description ? <p className="mt-0.5 text-sm text-muted">{description}</p> : null}
        </div>
      </div>
      <div className="mt-4 sm:pl-10">{children}</div>
    </section>
  )
}

/** A card-like radio option: the whole box is the label, the radio itself is visually hidden. */
export function OptionCard({
  name,
  value,
  checked,
  onChange,
  children,
  className,
  testId,
}: {
  name: string
  value: string
  checked: boolean
  onChange: () => void
  children: ReactNode
  className?: string
  testId?: string
}) {
  return (
    <label
      data-testid={testId}
      data-checked={checked || undefined}
      className={cx(
        'relative flex cursor-pointer flex-col rounded-fd border bg-surface p-4 shadow-xs transition-[border-color,box-shadow]',
        'has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-primary',
        checked ? 'border-primary ring-1 ring-primary' : 'border-border hover:border-primary/40',
        className,
      )}
    >
      <input type="radio" name={name} value={value} checked={checked} onChange={onChange} className="sr-only" />
      {checked ? (
        <CheckCircleIcon className="absolute top-3 right-3 size-5 text-primary" aria-hidden="true" />
      ) : null}
      {children}
    </label>
  )
}

export function Spec({ icon: I, children }: { icon: typeof CpuIcon; children: ReactNode }) {
  return (
    <li className="flex items-center gap-2 text-sm text-fg">
      <I className="size-4 shrink-0 text-muted" />
      {children}
    </li>
  )
}

export function Switch({
  checked,
  onChange,
  label,
  description,
  name,
}: {
  checked: boolean
  onChange: (v: boolean) => void
  label: string
  description: ReactNode
  name: string
}) {
  const id = useId()
  return (
    <div className="flex items-start justify-between gap-4">
      <div className="min-w-0">
        <label htmlFor={id} className="text-sm font-medium text-fg">
          {label}
        </label>
        <p id={`${id}-d`} className="mt-0.5 text-sm text-muted">
          {description}
        </p>
      </div>
      <button
        id={id}
        name={name}
        type="button"
        role="switch"
        aria-checked={checked}
        aria-describedby={`${id}-d`}
        onClick={() => onChange(!checked)}
        data-testid={`switch-${name}`}
        className={cx(
          'relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary',
          checked ? 'bg-primary' : 'bg-border',
        )}
      >
        <span
          aria-hidden="true"
          className={cx(
            'inline-block size-5 rounded-full bg-surface shadow ring-1 ring-black/5 transition-transform',
            checked ? 'translate-x-5.5' : 'translate-x-0.5',
          )}
        />
      </button>
    </div>
  )
}

export function SummaryRow({ label, children, strong }: { label: ReactNode; children: ReactNode; strong?: boolean }) {
  return (
    <div className="flex items-baseline justify-between gap-4">
      <dt className={cx(strong ? 'font-semibold text-fg' : 'text-muted')}>{label}</dt>
      <dd className={cx('text-right', strong ? 'text-lg font-bold text-fg' : 'text-fg')}>{children}</dd>
    </div>
  )
}
