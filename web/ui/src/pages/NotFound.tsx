import { useLocation } from 'react-router'
import { ArrowLeftIcon, CompassIcon } from '../components/icons'
import { ButtonLink, Container, IconBadge, usePageTitle } from '../components/ui'

export function NotFound() {
  usePageTitle('Page not found')
  const { pathname } = useLocation()

  return (
    <Container className="flex flex-col items-center py-24 text-center sm:py-32">
      <IconBadge className="size-14">
        <CompassIcon className="size-7" />
      </IconBadge>
      <p className="mt-6 text-sm font-semibold text-primary">404</p>
      <h1 data-testid="not-found" className="mt-2 text-3xl font-bold tracking-tight text-fg sm:text-4xl">
        Page not found
      </h1>
      <p className="mt-4 max-w-md text-base leading-7 break-words text-muted">
        There is no page at <code className="rounded bg-border/60 px-1.5 py-0.5 font-mono text-sm text-fg">{pathname}</code>.
        Check the address, or start again from the home page.
      </p>
      <ButtonLink to="/" className="mt-8">
        <ArrowLeftIcon className="size-4" />
        Back to home
      </ButtonLink>
    </Container>
  )
}
