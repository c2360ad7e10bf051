import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { api } from '../../api'
import { FormError, SubmitButton, TextArea, TextField, useForm } from '../../components/forms'
import { CheckCircleIcon, CheckIcon, HandshakeIcon, MailIcon, StoreIcon } from '../../components/icons'
import { ButtonLink, Card, Container, IconBadge, usePageTitle } from '../../components/ui'
import { baseHost, slugify, type Application, type TenantKind } from '../../tenancy'
import { KindChoice } from './Tenants'

const pitches: Record<TenantKind, { title: string; intro: string; points: string[] }> = {
  operator: {
    title: 'Become an operator',
    intro:
      'Run your own cloud storefront under your brand: your name, logo, colours and domain. Your customers pay by card; the platform deploys their VMs on the ThreeFold Grid.',
    points: [
      'A branded storefront on your own domain, with HTTPS',
      'Card payments straight to your Stripe account',
      'Your prices, margins and discount tiers',
      'Nodes from your own farm or from node operators who join your pool',
    ],
  },
  coop: {
    title: 'Register a co-op',
    intro:
      'Run a storefront together: node operators and dashboard operators share one brand and split its revenue, each paid to their own Stripe account.',
    points: [
      'One storefront, shared by all its members',
      'Revenue split among members on every payment',
      'Members’ nodes form the co-op’s pool',
      'Members are managed by the co-op’s owners',
    ],
  },
}

export function Apply() {
  const [params, setParams] = useSearchParams()
  const kind: TenantKind = params.get('kind') === 'coop' ? 'coop' : 'operator'
  const p = pitches[kind]
  usePageTitle(p.title)
  const [done, setDone] = useState<Application | null>(null)

  return (
    <div className="fd-hero-wash relative isolate overflow-hidden">
      <div className="fd-grid pointer-events-none absolute inset-0 -z-10" />
      <Container className="py-12 sm:py-16">
        {done ? (
          <Card className="mx-auto max-w-xl p-6 text-center sm:p-10" data-testid="apply-done">
            <IconBadge className="size-12 bg-emerald-50 text-emerald-700 ring-emerald-600/20">
              <CheckCircleIcon className="size-6" />
            </IconBadge>
            <h1 className="mt-5 text-2xl font-bold tracking-tight text-fg">Application received</h1>
            <p className="mt-3 text-sm leading-6 text-muted">
              Thank you. We’ll e-mail you at <strong className="break-all text-fg">{done.contact_email}</strong> once a
              platform operator has reviewed it. If it is approved, {done.name} opens at{' '}
              <strong className="font-mono break-all text-fg">
                {done.slug}.{baseHost()}
              </strong>{' '}
              and the e-mail has a link to set your password.
            </p>
            <ButtonLink to="/" variant="secondary" className="mt-8">
              Back to the console
            </ButtonLink>
          </Card>
        ) : (
          <div className="grid gap-10 lg:grid-cols-[minmax(0,1fr)_minmax(0,32rem)] lg:gap-16">
            <div className="lg:pt-4">
              <IconBadge className="size-12">
                {kind === 'coop' ? <HandshakeIcon className="size-6" /> : <StoreIcon className="size-6" />}
              </IconBadge>
              <h1 className="mt-5 text-3xl font-bold tracking-tight text-fg sm:text-4xl" data-testid="apply-title">
                {p.title}
              </h1>
              <p className="mt-4 max-w-xl text-base leading-7 text-muted">{p.intro}</p>
              <ul className="mt-6 space-y-3">
                {p.points.map((pt) => (
                  <li key={pt} className="flex items-start gap-3 text-sm text-fg">
                    <CheckIcon className="mt-0.5 size-4.5 shrink-0 text-primary" />
                    {pt}
                  </li>
                ))}
              </ul>
              <p className="mt-8 flex items-start gap-3 text-sm leading-6 text-muted">
                <MailIcon className="mt-0.5 size-4.5 shrink-0" />
                A platform operator reviews every application and answers by e-mail.
              </p>
            </div>
            <Card className="p-6 shadow-lg shadow-slate-900/[0.04] sm:p-8">
              <ApplyForm
                kind={kind}
                onKind={(k) => setParams(k === 'operator' ? { kind: 'operator' } : { kind: 'coop' }, { replace: true })}
                onDone={setDone}
              />
            </Card>
          </div>
        )}
      </Container>
    </div>
  )
}

function ApplyForm({
  kind,
  onKind,
  onDone,
}: {
  kind: TenantKind
  onKind: (k: TenantKind) => void
  onDone: (a: Application) => void
}) {
  const [name, setName] = useState('')
  const [slug, setSlug] = useState('')
  const [slugTouched, setSlugTouched] = useState(false)
  const [email, setEmail] = useState('')
  const [message, setMessage] = useState('')
  const form = useForm(['kind', 'name', 'slug', 'contact_email', 'message'])
  const shownSlug = slugTouched ? slug : slugify(name)

  return (
    <form
      ref={form.formRef}
      noValidate
      data-testid="apply-form"
      className="space-y-5"
      onSubmit={form.submit(async () => {
        onDone(
          await api.post<Application>('/api/applications', {
            kind,
            name: name.trim(),
            slug: shownSlug.trim(),
            contact_email: email.trim(),
            message: message.trim(),
          }),
        )
      })}
    >
      <FormError form={form} />
      <KindChoice value={kind} onChange={onKind} error={form.fieldError('kind')} legend="Type" />
      <TextField
        label={kind === 'coop' ? 'Co-op name' : 'Storefront name'}
        name="name"
        autoComplete="organization"
        maxLength={100}
        placeholder={kind === 'coop' ? 'e.g. Grid Commons' : 'e.g. Nordic Nodes'}
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={form.fieldError('name')}
      />
      <TextField
        label="Address"
        name="slug"
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        maxLength={63}
        value={shownSlug}
        onChange={(e) => {
          setSlugTouched(true)
          setSlug(e.target.value.toLowerCase())
        }}
        hint={
          <>
            Your storefront’s address:{' '}
            <span className="font-mono break-all text-fg">
              {shownSlug || 'name'}.{baseHost()}
            </span>
            . You can add your own domain later.
          </>
        }
        error={form.fieldError('slug')}
      />
      <TextField
        label="Your e-mail"
        name="contact_email"
        type="email"
        inputMode="email"
        autoComplete="email"
        autoCapitalize="off"
        spellCheck={false}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        hint="We answer here; it becomes the owner’s login if we approve."
        error={form.fieldError('contact_email')}
      />
      <TextArea
        label="Tell us about it"
        name="message"
        optional
        rows={4}
        maxLength={4000}
        placeholder={
          kind === 'coop'
            ? 'Who the members are, how many nodes you run together, and who your customers are.'
            : 'Who you are, your nodes or farm, and who your customers will be.'
        }
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        error={form.fieldError('message')}
      />
      <SubmitButton form={form} className="w-full" size="lg" data-testid="apply-submit">
        Send application
      </SubmitButton>
    </form>
  )
}
