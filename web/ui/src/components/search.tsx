import { useEffect, useId, useState } from 'react'
import { useSearchParams } from 'react-router'
import { inputClass } from './forms'
import { CloseIcon } from './icons'
import { cx } from './ui'

/**
 * useSearchQuery keeps a list's search text in the address (?q=), so a search survives a
 * reload and can be shared. It returns what the box shows now and the text to ask the
 * server for, which follows the typing after a short pause.
 */
export function useSearchQuery(delayMs = 250): { text: string; setText: (t: string) => void; query: string } {
  const [params, setParams] = useSearchParams()
  const query = params.get('q') ?? ''
  const [text, setText] = useState(query)

  useEffect(() => {
    const next = text.trim()
    if (next === query) return
    const t = setTimeout(() => {
      const p = new URLSearchParams(params)
      if (next) p.set('q', next)
      else p.delete('q')
      setParams(p, { replace: true })
    }, delayMs)
    return () => clearTimeout(t)
  }, [text, query, params, setParams, delayMs])

  return { text, setText, query }
}

/** SearchBox is the search field above a table, labelled for assistive tech, with a clear button. */
export function SearchBox({
  value,
  onChange,
  label,
  placeholder,
  hint,
  className,
  testId = 'search',
}: {
  value: string
  onChange: (v: string) => void
  label: string
  placeholder?: string
  hint?: string
  className?: string
  testId?: string
}) {
  const id = useId()
  return (
    <div className={cx('w-full sm:max-w-xs', className)}>
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <div className="relative">
        <svg
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
          aria-hidden="true"
          className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-muted"
        >
          <circle cx="11" cy="11" r="7" />
          <path d="m20 20-3.5-3.5" />
        </svg>
        <input
          id={id}
          type="search"
          inputMode="email"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          value={value}
          placeholder={placeholder}
          aria-describedby={hint ? `${id}-hint` : undefined}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testId}
          className={inputClass(false, 'h-10 pr-10 pl-9 [&::-webkit-search-cancel-button]:hidden')}
        />
        {value ? (
          <button
            type="button"
            onClick={() => onChange('')}
            aria-label="Clear the search"
            className="absolute inset-y-0 right-0 inline-flex w-10 items-center justify-center rounded-fd-sm text-muted hover:text-fg"
          >
            <CloseIcon className="size-4" />
          </button>
        ) : null}
      </div>
      {hint ? (
        <p id={`${id}-hint`} className="sr-only">
          {hint}
        </p>
      ) : null}
    </div>
  )
}
