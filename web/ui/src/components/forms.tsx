import {
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
  type ComponentProps,
  type FormEvent,
  type ReactNode,
  type RefObject,
} from 'react'
import { ApiError, errorMessage, isApiError, sentence } from '../api'
import { AlertCircleIcon, CheckCircleIcon, EyeIcon, EyeOffIcon, InfoIcon, TriangleAlertIcon } from './icons'
import { Button, cx } from './ui'

// ——— Submitting a form to the API ———

export interface FormState {
  /** Runs fn, recording the server's error; resolves true when fn succeeded. */
  run: (fn: () => Promise<unknown>) => Promise<boolean>
  /** Wraps an onSubmit handler: preventDefault, then run. */
  submit: (fn: () => Promise<unknown>) => (e: FormEvent<HTMLFormElement>) => void
  busy: boolean
  error: ApiError | null
  /** The server's message for this input, when it named it. */
  fieldError: (name: string) => string | undefined
  /** An error that belongs to no input of this form: shown at the top. */
  formError: ApiError | null
  /** Seconds left before a rate-limited form may be sent again. */
  retryIn: number
  setError: (err: ApiError | null) => void
  clear: () => void
  formRef: RefObject<HTMLFormElement | null>
}

/**
 * useForm runs API calls for a form whose inputs are named after the request's fields.
 * An error whose `field` is one of fields is shown beside that input (and focused);
 * any other error is shown at the top.
 */
export function useForm(fields: string[]): FormState {
  const [busy, setBusy] = useState(false)
  const [error, setErrorState] = useState<ApiError | null>(null)
  const [retryIn, setRetryIn] = useState(0)
  const formRef = useRef<HTMLFormElement | null>(null)
  const fieldsKey = fields.join('\u0000')

  const setError = useCallback((err: ApiError | null) => {
    setErrorState(err)
    setRetryIn(err?.retryAfter ?? 0)
  }, [])

  useEffect(() => {
    if (retryIn <= 0) return
    const t = setTimeout(() => setRetryIn((s) => s - 1), 1000)
    return () => clearTimeout(t)
  }, [retryIn])

  // Move focus to the input at fault so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (!error?.field || !fieldsKey.split('\u0000').includes(error.field)) return
    const el = formRef.current?.querySelector<HTMLElement>(`[name="${CSS.escape(error.field)}"]`)
    el?.focus()
  }, [error, fieldsKey])

  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      setBusy(true)
      setError(null)
      try {
        await fn()
        return true
      } catch (err) {
        setError(
          isApiError(err) ? err : new ApiError({ status: 0, code: 'internal', message: errorMessage(err) }),
        )
        return false
      } finally {
        setBusy(false)
      }
    },
    [setError],
  )

  const known = fieldsKey.split('\u0000')
  return {
    run,
    submit: (fn) => (e) => {
      e.preventDefault()
      void run(fn)
    },
    busy,
    error,
    fieldError: (name) => (error && error.field === name ? sentence(error.message) : undefined),
    formError: error && (!error.field || !known.includes(error.field)) ? error : null,
    retryIn,
    setError,
    clear: () => setError(null),
    formRef,
  }
}

// ——— Inputs ———

const inputBase =
  'block w-full rounded-fd-sm border bg-surface px-3 text-base text-fg shadow-xs transition-colors sm:text-sm ' +
  'placeholder:text-muted/70 focus:outline-2 focus:outline-offset-0 focus:outline-primary ' +
  'disabled:cursor-not-allowed disabled:opacity-60'

export function inputClass(invalid: boolean, extra?: string) {
  return cx(
    inputBase,
    invalid ? 'border-red-500 focus:outline-red-600' : 'border-border hover:border-muted/60',
    extra,
  )
}

export function FieldError({ id, name, children }: { id: string; name: string; children?: ReactNode }) {
  if (!children) return null
  return (
    <p id={id} data-testid={`field-error-${name}`} className="mt-1.5 flex items-start gap-1.5 text-sm text-red-700 dark:text-red-400">
      <AlertCircleIcon className="mt-0.5 size-4 shrink-0" />
      <span>{children}</span>
    </p>
  )
}

interface FieldShellProps {
  id: string
  label: ReactNode
  name: string
  hint?: ReactNode
  error?: string
  /** Shown at the right of the label, e.g. a "Forgot password?" link. */
  aside?: ReactNode
  optional?: boolean
  children: ReactNode
  className?: string
}

function FieldShell({ id, label, name, hint, error, aside, optional, children, className }: FieldShellProps) {
  return (
    <div className={className}>
      <div className="mb-1.5 flex items-baseline justify-between gap-3">
        <label htmlFor={id} className="text-sm font-medium text-fg">
          {label}
          {optional ? <span className="ml-1.5 font-normal text-muted">(optional)</span> : null}
        </label>
        {aside}
      </div>
      {children}
      {hint && !error ? (
        <p id={`${id}-hint`} className="mt-1.5 text-sm text-muted">
          {hint}
        </p>
      ) : null}
      <FieldError id={`${id}-error`} name={name}>
        {error}
      </FieldError>
    </div>
  )
}

function describedBy(id: string, hint: unknown, error: unknown) {
  const ids = [error ? `${id}-error` : '', hint && !error ? `${id}-hint` : ''].filter(Boolean)
  return ids.length ? ids.join(' ') : undefined
}

type TextFieldProps = Omit<ComponentProps<'input'>, 'id'> & {
  label: ReactNode
  name: string
  hint?: ReactNode
  error?: string
  aside?: ReactNode
  optional?: boolean
  wrapperClassName?: string
  /** Rendered inside the input box on the right (e.g. a show-password toggle). */
  trailing?: ReactNode
}

export function TextField({
  label,
  name,
  hint,
  error,
  aside,
  optional,
  wrapperClassName,
  trailing,
  className,
  ...rest
}: TextFieldProps) {
  const id = useId()
  return (
    <FieldShell
      id={id}
      label={label}
      name={name}
      hint={hint}
      error={error}
      aside={aside}
      optional={optional}
      className={wrapperClassName}
    >
      <div className="relative">
        <input
          id={id}
          name={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint, error)}
          className={inputClass(!!error, cx('h-10', trailing ? 'pr-11' : undefined, className))}
          {...rest}
        />
        {trailing ? <div className="absolute inset-y-0 right-0 flex items-center pr-1">{trailing}</div> : null}
      </div>
    </FieldShell>
  )
}

export function PasswordField(props: Omit<TextFieldProps, 'type' | 'trailing'>) {
  const [shown, setShown] = useState(false)
  return (
    <TextField
      {...props}
      type={shown ? 'text' : 'password'}
      autoCapitalize="off"
      autoCorrect="off"
      spellCheck={false}
      trailing={
        <button
          type="button"
          onClick={() => setShown((v) => !v)}
          className="inline-flex size-8 items-center justify-center rounded-fd-sm text-muted hover:bg-primary/5 hover:text-fg focus-visible:outline-2 focus-visible:outline-primary"
          aria-label={shown ? 'Hide password' : 'Show password'}
          aria-pressed={shown}
        >
          {shown ? <EyeOffIcon className="size-4.5" /> : <EyeIcon className="size-4.5" />}
        </button>
      }
    />
  )
}

/** NewPasswordHint counts towards the 12-character minimum as the user types. */
export function NewPasswordHint({ value, min = 12 }: { value: string; min?: number }) {
  const n = [...value].length
  if (n === 0) return <>At least {min} characters. A few unrelated words make a strong one.</>
  if (n < min)
    return (
      <>
        {n} of {min} characters
      </>
    )
  return (
    <span className="inline-flex items-center gap-1 text-emerald-700 dark:text-emerald-400">
      <CheckCircleIcon className="size-4" /> Long enough
    </span>
  )
}

type TextAreaProps = Omit<ComponentProps<'textarea'>, 'id'> & {
  label: ReactNode
  name: string
  hint?: ReactNode
  error?: string
  optional?: boolean
  wrapperClassName?: string
}

export function TextArea({ label, name, hint, error, optional, wrapperClassName, className, ...rest }: TextAreaProps) {
  const id = useId()
  return (
    <FieldShell
      id={id}
      label={label}
      name={name}
      hint={hint}
      error={error}
      optional={optional}
      className={wrapperClassName}
    >
      <textarea
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        className={inputClass(!!error, cx('min-h-24 py-2', className))}
        {...rest}
      />
    </FieldShell>
  )
}

type SelectFieldProps = Omit<ComponentProps<'select'>, 'id'> & {
  label: ReactNode
  name: string
  hint?: ReactNode
  error?: string
  wrapperClassName?: string
}

export function SelectField({ label, name, hint, error, wrapperClassName, className, children, ...rest }: SelectFieldProps) {
  const id = useId()
  return (
    <FieldShell id={id} label={label} name={name} hint={hint} error={error} className={wrapperClassName}>
      <select
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        className={inputClass(!!error, cx('h-10 pr-8', className))}
        {...rest}
      >
        {children}
      </select>
    </FieldShell>
  )
}

function waitText(secs: number): string {
  if (secs < 90) return `${secs} s`
  return `${Math.ceil(secs / 60)} min`
}

/** SubmitButton disables itself while busy and while a 429 cools down. */
export function SubmitButton({
  form,
  children,
  className,
  ...rest
}: Omit<ComponentProps<typeof Button>, 'type' | 'form'> & { form: FormState }) {
  return (
    <Button type="submit" busy={form.busy} disabled={form.retryIn > 0} className={className} {...rest}>
      {form.retryIn > 0 ? `Try again in ${waitText(form.retryIn)}` : children}
    </Button>
  )
}

// ——— Messages ———

type Tone = 'error' | 'success' | 'info' | 'warning'

const tones: Record<Tone, { box: string; icon: typeof InfoIcon }> = {
  error: {
    box: 'border-red-200 bg-red-50 text-red-800 dark:border-red-400/30 dark:bg-red-500/10 dark:text-red-200',
    icon: AlertCircleIcon,
  },
  success: {
    box: 'border-emerald-200 bg-emerald-50 text-emerald-800 dark:border-emerald-400/30 dark:bg-emerald-500/10 dark:text-emerald-200',
    icon: CheckCircleIcon,
  },
  info: { box: 'border-primary/25 bg-primary/5 text-fg', icon: InfoIcon },
  warning: {
    box: 'border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-400/30 dark:bg-amber-500/10 dark:text-amber-200',
    icon: TriangleAlertIcon,
  },
}

export function Alert({
  tone = 'info',
  title,
  children,
  className,
  action,
  ...rest
}: {
  tone?: Tone
  title?: ReactNode
  children?: ReactNode
  className?: string
  action?: ReactNode
} & Omit<ComponentProps<'div'>, 'title'>) {
  const t = tones[tone]
  const Icon = t.icon
  return (
    <div
      role={tone === 'error' ? 'alert' : 'status'}
      className={cx('flex gap-3 rounded-fd-sm border p-3.5 text-sm', t.box, className)}
      {...rest}
    >
      <Icon className={cx('mt-0.5 size-4.5 shrink-0', tone === 'info' && 'text-primary')} />
      <div className="min-w-0 flex-1">
        {title ? <p className="font-semibold">{title}</p> : null}
        {children ? <div className={cx(title ? 'mt-1' : undefined, 'leading-6')}>{children}</div> : null}
        {action ? <div className="mt-3">{action}</div> : null}
      </div>
    </div>
  )
}

/** FormError shows an error that names no input of the form, with its request id. */
export function FormError({ form, className }: { form: FormState; className?: string }) {
  const err = form.formError
  if (!err) return null
  return (
    <Alert tone="error" data-testid="form-error" className={className}>
      {sentence(err.message)}
      {err.requestId && err.status >= 500 ? (
        <span className="mt-1 block text-xs opacity-80">
          Reference <code className="font-mono">{err.requestId}</code>
        </span>
      ) : null}
    </Alert>
  )
}

export function ErrorPanel({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Alert
      tone="error"
      data-testid="load-error"
      title="This could not be loaded"
      action={
        onRetry ? (
          <Button size="sm" variant="secondary" onClick={onRetry}>
            Try again
          </Button>
        ) : undefined
      }
    >
      {errorMessage(error)}
      {isApiError(error) && error.requestId ? (
        <span className="mt-1 block text-xs opacity-80">
          Reference <code className="font-mono">{error.requestId}</code>
        </span>
      ) : null}
    </Alert>
  )
}

export function Checkbox({
  label,
  description,
  className,
  ...rest
}: Omit<ComponentProps<'input'>, 'type'> & { label: ReactNode; description?: ReactNode }) {
  const id = useId()
  return (
    <div className={cx('flex gap-3', className)}>
      <input
        id={id}
        type="checkbox"
        aria-describedby={description ? `${id}-d` : undefined}
        className="mt-0.5 size-4 shrink-0 rounded border-border accent-[var(--fd-primary)] focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary"
        {...rest}
      />
      <div className="text-sm">
        <label htmlFor={id} className="font-medium text-fg">
          {label}
        </label>
        {description ? (
          <p id={`${id}-d`} className="mt-0.5 text-muted">
            {description}
          </p>
        ) : null}
      </div>
    </div>
  )
}
