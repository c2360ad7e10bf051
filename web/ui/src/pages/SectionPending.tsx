import { Link } from 'react-router'
import { ArrowLeftIcon, WrenchIcon } from '../components/icons'
import { ButtonLink, Card, Container, IconBadge, usePageTitle } from '../components/ui'
import type { Section } from '../sections'

/** SectionPending stands in for a section whose page has not been written yet. */
export function SectionPending({ section }: { section: Section }) {
  const title = section.title ?? section.label
  usePageTitle(title)
  const Icon = section.icon

  return (
    <Container className="py-12 sm:py-16">
      <nav aria-label="Breadcrumb" className="text-sm text-muted">
        <ol className="flex items-center gap-2">
          <li>
            <Link to="/" className="rounded-sm hover:text-primary">
              Home
            </Link>
          </li>
          <li aria-hidden="true">/</li>
          <li aria-current="page" className="font-medium text-fg">
            {section.label}
          </li>
        </ol>
      </nav>

      <div className="mt-6 flex items-center gap-4">
        <IconBadge className="size-12">
          <Icon className="size-6" />
        </IconBadge>
        <h1 className="text-3xl font-bold tracking-tight text-fg">{title}</h1>
      </div>
      <p className="mt-4 max-w-2xl text-base leading-7 text-muted">{section.summary}</p>

      <Card data-testid="section-pending" className="mt-10 max-w-2xl p-8 sm:p-10">
        <span className="inline-flex size-12 items-center justify-center rounded-full bg-amber-50 text-amber-700 ring-1 ring-amber-600/20 ring-inset">
          <WrenchIcon className="size-6" />
        </span>
        <h2 className="mt-5 text-xl font-semibold text-fg">This section is being built</h2>
        <p className="mt-2 text-sm leading-6 text-muted">
          {section.label} is not available yet. It will appear here in an upcoming release; nothing you do elsewhere
          is affected in the meantime.
        </p>
        <ButtonLink to="/" variant="secondary" className="mt-7">
          <ArrowLeftIcon className="size-4" />
          Back to home
        </ButtonLink>
      </Card>
    </Container>
  )
}
