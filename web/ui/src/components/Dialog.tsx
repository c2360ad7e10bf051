import { useEffect, useId, useRef, type ReactNode } from 'react'
import { sentence } from '../api'
import { Alert, useForm } from './forms'
import { CloseIcon } from './icons'
import { Button, cx } from './ui'

/**
 * Dialog is a modal built on the native <dialog> element: the browser traps focus,
 * closes it on Escape and makes the rest of the page inert. The content is only mounted
 * while open, so forms inside start fresh each time.
 */
export function Dialog({
  open,
  onClose,
  title,
  description,
  children,
  footer,
  size = 'md',
  testId,
  flush = false,
}: {
  open: boolean
  onClose: () => void
  title: ReactNode
  description?: ReactNode
  children?: ReactNode
  footer?: ReactNode
  size?: 'md' | 'lg'
  testId?: string
  /** The children end with their own DialogActions (a form's buttons). */
  flush?: boolean
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const descId = useId()

  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (open && !d.open) d.showModal()
    if (!open && d.open) d.close()
  }, [open])

  return (
    <dialog
      ref={ref}
      data-testid={testId}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      onClick={(e) => {
        // A click on the backdrop lands on the <dialog> itself.
        if (e.target === ref.current) onClose()
      }}
      className={cx(
        'm-auto w-[calc(100%-2rem)] rounded-fd-lg border border-border bg-surface p-0 text-fg shadow-2xl',
        'backdrop:bg-slate-950/45 backdrop:backdrop-blur-[2px]',
        size === 'lg' ? 'max-w-2xl' : 'max-w-lg',
      )}
    >
      {open ? (
        <div className="flex max-h-[calc(100dvh-2rem)] flex-col">
          <div className="flex items-start justify-between gap-4 px-5 pt-5 sm:px-6 sm:pt-6">
            <div className="min-w-0">
              <h2 id={titleId} className="text-lg font-semibold text-fg">
                {title}
              </h2>
              {description ? (
                <div id={descId} className="mt-1 text-sm leading-6 text-muted">
                  {description}
                </div>
              ) : null}
            </div>
            <button
              type="button"
              onClick={onClose}
              aria-label="Close"
              className="-mt-1 -mr-2 inline-flex size-9 shrink-0 items-center justify-center rounded-fd-sm text-muted hover:bg-primary/5 hover:text-fg"
            >
              <CloseIcon className="size-5" />
            </button>
          </div>
          {children ? <div className="overflow-y-auto px-5 pt-4 pb-1 sm:px-6">{children}</div> : null}
          {footer ? (
            <div className="mt-4 flex flex-col-reverse gap-2 border-t border-border px-5 py-4 sm:flex-row sm:justify-end sm:px-6">
              {footer}
            </div>
          ) : flush ? null : (
            <div className="h-5 sm:h-6" />
          )}
        </div>
      ) : null}
    </dialog>
  )
}

/** DialogActions is the button row of a form inside a Dialog (use with flush). */
export function DialogActions({ children }: { children: ReactNode }) {
  return (
    <div className="-mx-5 mt-6 flex flex-col-reverse gap-2 border-t border-border px-5 py-4 sm:-mx-6 sm:flex-row sm:justify-end sm:px-6">
      {children}
    </div>
  )
}

/**
 * ConfirmDialog asks before a destructive or weighty action, runs it, and shows the
 * server's refusal inside the dialog instead of closing.
 */
export function ConfirmDialog({
  open,
  onClose,
  onConfirm,
  title,
  children,
  confirmLabel,
  tone = 'danger',
  testId = 'confirm-dialog',
}: {
  open: boolean
  onClose: () => void
  onConfirm: () => Promise<unknown>
  title: ReactNode
  children?: ReactNode
  confirmLabel: string
  tone?: 'danger' | 'primary'
  testId?: string
}) {
  const form = useForm([])
  const { setError } = form
  useEffect(() => {
    if (open) setError(null)
  }, [open, setError])

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      testId={testId}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={form.busy}>
            Cancel
          </Button>
          <Button
            variant={tone}
            busy={form.busy}
            data-testid="confirm-button"
            onClick={async () => {
              if (await form.run(onConfirm)) onClose()
            }}
          >
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div className="space-y-4 text-sm leading-6 text-muted">
        {children}
        {form.error ? (
          <Alert tone="error" data-testid="form-error">
            {sentence(form.error.message)}
          </Alert>
        ) : null}
      </div>
    </Dialog>
  )
}
