import type { ReactNode } from 'react'
import { BrandMark } from '../../components/Brand'
import { Card, usePageTitle } from '../../components/ui'

/** AuthShell frames the sign-in family of pages: a centred card on the brand wash. */
export function AuthShell({
  title,
  subtitle,
  children,
  footer,
  pageTitle,
  testId,
}: {
  title: ReactNode
  subtitle?: ReactNode
  children: ReactNode
  footer?: ReactNode
  pageTitle: string
  testId?: string
}) {
  usePageTitle(pageTitle)
  return (
    <div className="fd-hero-wash relative isolate overflow-hidden">
      <div className="fd-grid pointer-events-none absolute inset-0 -z-10" />
      <div className="mx-auto flex w-full max-w-md flex-col px-4 py-12 sm:py-16" data-testid={testId}>
        <div className="flex flex-col items-center text-center">
          <BrandMark className="size-11 text-base" />
          <h1 className="mt-5 text-2xl font-bold tracking-tight text-fg sm:text-[1.7rem]">{title}</h1>
          {subtitle ? <div className="mt-2 text-sm leading-6 text-muted">{subtitle}</div> : null}
        </div>
        <Card className="mt-8 p-6 shadow-lg shadow-slate-900/[0.04] sm:p-8">{children}</Card>
        {footer ? <div className="mt-6 text-center text-sm text-muted">{footer}</div> : null}
      </div>
    </div>
  )
}

export const textLink = 'rounded-sm font-semibold text-primary hover:underline underline-offset-2'
