import { useState } from 'react'
import { DialogActions } from '../../components/Dialog'
import { FormError, SubmitButton, TextArea, useForm } from '../../components/forms'
import { Button } from '../../components/ui'
import type { ReactNode } from 'react'

/** ReasonForm asks why before a refusal or a suspension, and shows the server's answer beside the reason. */
export function ReasonForm({
  onSubmit,
  onClose,
  submitLabel,
  placeholder,
  hint,
  children,
}: {
  onSubmit: (reason: string) => Promise<unknown>
  onClose: () => void
  submitLabel: string
  placeholder: string
  hint: string
  children?: ReactNode
}) {
  const [reason, setReason] = useState('')
  const form = useForm(['reason'])
  return (
    <form ref={form.formRef} noValidate className="space-y-5" onSubmit={form.submit(() => onSubmit(reason.trim()))}>
      <FormError form={form} />
      {children}
      <TextArea
        label="Reason"
        name="reason"
        rows={3}
        autoFocus
        placeholder={placeholder}
        hint={hint}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        error={form.fieldError('reason')}
      />
      <DialogActions>
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <SubmitButton form={form} variant="danger" data-testid="reason-submit">
          {submitLabel}
        </SubmitButton>
      </DialogActions>
    </form>
  )
}
