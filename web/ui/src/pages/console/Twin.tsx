import { useEffect, useId, useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { api } from '../../api'
import { CopyButton, Loading, PageHeader, formatDate, useApi } from '../../components/data'
import { Alert, ErrorPanel, FieldError, FormError, SubmitButton, TextField, inputClass, useForm } from '../../components/forms'
import { ArrowRightIcon, CheckCircleIcon, LinkIcon, ServerIcon, TerminalIcon } from '../../components/icons'
import { Button, ButtonLink, Card, Container, cx, usePageTitle } from '../../components/ui'
import type { Challenge, Twin } from '../../deployments'

/** A signature is 64 bytes: 128 hex digits, with or without 0x. */
function checkSignature(v: string): string {
  const s = v.trim().replace(/^0x/i, '')
  if (!s) return ''
  if (!/^[0-9a-fA-F]*$/.test(s)) return 'A signature is written in hex: digits 0-9 and letters a-f.'
  if (s.length !== 128) return `A signature is 128 hex digits (64 bytes); this has ${s.length}.`
  return ''
}

export function TwinPage() {
  usePageTitle('TFChain twin')
  const loaded = useApi<{ twin: Twin | null }>('/api/node-operator/twin')
  const [twin, setTwin] = useState<Twin | null | undefined>(undefined)
  const [relinking, setRelinking] = useState(false)
  const [justLinked, setJustLinked] = useState(false)

  useEffect(() => {
    if (loaded.data) setTwin(loaded.data.twin ?? null)
  }, [loaded.data])

  return (
    <Container className="space-y-8 py-10">
      <PageHeader
        title="TFChain twin"
        icon={LinkIcon}
        description="Your twin is your identity on TFChain. Linking it proves you own your farms, so you can register their nodes here and see what they earn."
      />
      {loaded.error && twin === undefined ? (
        <ErrorPanel error={loaded.error} onRetry={loaded.reload} />
      ) : twin === undefined ? (
        <Loading />
      ) : twin && !relinking ? (
        <Linked twin={twin} fresh={justLinked} onRelink={() => setRelinking(true)} />
      ) : (
        <LinkFlow
          current={twin}
          onCancel={twin ? () => setRelinking(false) : undefined}
          onLinked={(t) => {
            setTwin(t)
            setRelinking(false)
            setJustLinked(true)
          }}
        />
      )}
    </Container>
  )
}

function Linked({ twin, fresh, onRelink }: { twin: Twin; fresh: boolean; onRelink: () => void }) {
  return (
    <Card className="p-6 sm:p-8" data-testid="twin-linked" data-twin={twin.twin_id}>
      <div className="flex flex-col gap-5 sm:flex-row sm:items-start">
        <span className="inline-flex size-12 shrink-0 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 ring-1 ring-emerald-600/20">
          <CheckCircleIcon className="size-6" />
        </span>
        <div className="min-w-0 flex-1">
          <h2 className="text-lg font-semibold text-fg">{fresh ? 'Twin linked' : 'Your twin is linked'}</h2>
          <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-6 gap-y-1.5 text-sm">
            <dt className="text-muted">Twin ID</dt>
            <dd className="font-mono font-semibold text-fg">{twin.twin_id}</dd>
            <dt className="text-muted">Key type</dt>
            <dd className="text-fg">{twin.key_type}</dd>
            <dt className="text-muted">Linked</dt>
            <dd className="text-fg">{formatDate(twin.linked_at)}</dd>
          </dl>
          <p className="mt-4 text-sm leading-6 text-muted">
            Nodes of farms this twin owns can now be registered. Nodes of other farms are refused.
          </p>
          <div className="mt-5 flex flex-wrap gap-2">
            <ButtonLink to="/nodes" data-testid="twin-to-nodes">
              <ServerIcon className="size-4" />
              Register your nodes
              <ArrowRightIcon className="size-4" />
            </ButtonLink>
            <Button variant="ghost" onClick={onRelink}>
              Link another twin
            </Button>
          </div>
        </div>
      </div>
    </Card>
  )
}

function StepCard({
  n,
  title,
  done,
  children,
  testId,
}: {
  n: number
  title: string
  done?: boolean
  children: ReactNode
  testId?: string
}) {
  return (
    <Card className="p-5 sm:p-6" data-testid={testId}>
      <div className="flex items-start gap-3">
        <span
          className={cx(
            'inline-flex size-7 shrink-0 items-center justify-center rounded-full text-sm font-bold',
            done ? 'bg-emerald-500 text-white' : 'bg-primary/10 text-primary ring-1 ring-primary/30',
          )}
        >
          {done ? <CheckCircleIcon className="size-4" /> : n}
        </span>
        <div className="min-w-0 flex-1">
          <h2 className="text-base font-semibold text-fg">{title}</h2>
          <div className="mt-3">{children}</div>
        </div>
      </div>
    </Card>
  )
}

function LinkFlow({
  current,
  onLinked,
  onCancel,
}: {
  current: Twin | null
  onLinked: (t: Twin) => void
  onCancel?: () => void
}) {
  const [twinId, setTwinId] = useState('')
  const [challenge, setChallenge] = useState<Challenge | null>(null)
  const [keyType, setKeyType] = useState<'sr25519' | 'ed25519'>('sr25519')
  const [signature, setSignature] = useState('')
  const ask = useForm(['twin_id'])
  const link = useForm(['key_type', 'signature'])
  const sigId = useId()
  const local = checkSignature(signature)
  const sigError = link.fieldError('signature') || local
  const expired = challenge ? new Date(challenge.expires_at).getTime() < Date.now() : false

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="min-w-0 space-y-4">
        {current ? (
          <Alert tone="info">
            Twin {current.twin_id} is linked now. Linking another replaces it; nodes of farms the new twin does not own can
            no longer be registered.
          </Alert>
        ) : null}

        <StepCard n={1} title="Your twin ID" done={!!challenge} testId="twin-step-id">
          <form
            ref={ask.formRef}
            noValidate
            className="flex flex-col gap-3 sm:flex-row sm:items-start"
            onSubmit={ask.submit(async () => {
              const n = Number(twinId.trim())
              const c = await api.post<Challenge>('/api/node-operator/twin/challenge', { twin_id: Number.isInteger(n) ? n : 0 })
              setChallenge(c)
              setSignature('')
              link.clear()
            })}
          >
            <TextField
              label="Twin ID"
              name="twin_id"
              inputMode="numeric"
              value={twinId}
              onChange={(e) => setTwinId(e.target.value.replace(/[^\d]/g, ''))}
              hint="A number. The ThreeFold Dashboard shows it under your profile; farms list it as the farmer’s twin."
              error={ask.fieldError('twin_id')}
              wrapperClassName="sm:w-72"
              data-testid="twin-id"
            />
            <SubmitButton form={ask} variant={challenge ? 'secondary' : 'primary'} className="sm:mt-7" data-testid="twin-challenge-button">
              {challenge ? 'New challenge' : 'Get a challenge'}
            </SubmitButton>
          </form>
          <FormError form={ask} className="mt-3" />
        </StepCard>

        {challenge ? (
          <>
            <StepCard n={2} title="Sign this text with the twin’s key" testId="twin-step-sign">
              <p className="text-sm text-muted">
                Sign exactly this text, nothing added, with the key of twin {challenge.twin_id}’s account. It is valid until{' '}
                {formatDate(challenge.expires_at)}.
              </p>
              <div className="mt-3 rounded-fd-sm border border-border bg-bg p-3">
                <code data-testid="twin-challenge" className="block font-mono text-xs leading-5 break-all text-fg select-all">
                  {challenge.message}
                </code>
              </div>
              <div className="mt-2 flex justify-end">
                <CopyButton text={challenge.message} label="Copy text" />
              </div>
              {expired ? (
                <Alert tone="warning" className="mt-3">
                  This challenge has expired. Ask for a new one above.
                </Alert>
              ) : null}
            </StepCard>

            <StepCard n={3} title="Paste the signature" testId="twin-step-link">
              <form
                ref={link.formRef}
                noValidate
                className="space-y-4"
                onSubmit={link.submit(async () => {
                  const t = await api.post<Twin>('/api/node-operator/twin', {
                    key_type: keyType,
                    signature: signature.trim(),
                  })
                  onLinked(t)
                })}
              >
                <fieldset>
                  <legend className="text-sm font-medium text-fg">Key type</legend>
                  <div className="mt-2 flex flex-wrap gap-2" role="radiogroup">
                    {(['sr25519', 'ed25519'] as const).map((k) => (
                      <label
                        key={k}
                        className={cx(
                          'inline-flex cursor-pointer items-center gap-2 rounded-fd-sm border px-3 py-2 text-sm',
                          keyType === k ? 'border-primary bg-primary/5 text-fg' : 'border-border text-fg hover:border-primary/40',
                        )}
                      >
                        <input
                          type="radio"
                          name="key_type"
                          value={k}
                          checked={keyType === k}
                          onChange={() => setKeyType(k)}
                          className="size-4 accent-[var(--fd-primary)]"
                          data-testid={`key-type-${k}`}
                        />
                        <span className="font-mono">{k}</span>
                        <span className="text-xs text-muted">{k === 'sr25519' ? 'polkadot{.js} default' : 'ed25519 accounts'}</span>
                      </label>
                    ))}
                  </div>
                  <FieldError id={`${sigId}-kt`} name="key_type">
                    {link.fieldError('key_type')}
                  </FieldError>
                </fieldset>
                <div>
                  <label htmlFor={sigId} className="text-sm font-medium text-fg">
                    Signature (hex)
                  </label>
                  <textarea
                    id={sigId}
                    name="signature"
                    rows={3}
                    value={signature}
                    onChange={(e) => setSignature(e.target.value)}
                    placeholder="0x…"
                    spellCheck={false}
                    autoCapitalize="off"
                    aria-invalid={sigError ? true : undefined}
                    aria-describedby={sigError ? `${sigId}-error` : `${sigId}-hint`}
                    className={inputClass(!!sigError, 'mt-1.5 min-h-20 py-2 font-mono text-xs break-all sm:text-xs')}
                    data-testid="twin-signature"
                  />
                  {sigError ? (
                    <FieldError id={`${sigId}-error`} name="signature">
                      {sigError}
                    </FieldError>
                  ) : (
                    <p id={`${sigId}-hint`} className="mt-1.5 text-sm text-muted">
                      64 bytes as 128 hex digits; a leading 0x is fine.
                    </p>
                  )}
                </div>
                <FormError form={link} />
                <div className="flex flex-wrap gap-2">
                  <SubmitButton form={link} disabled={!signature.trim() || !!local || expired} data-testid="twin-link-button">
                    <LinkIcon className="size-4" />
                    Link twin {challenge.twin_id}
                  </SubmitButton>
                  {onCancel ? (
                    <Button variant="ghost" onClick={onCancel}>
                      Keep the current twin
                    </Button>
                  ) : null}
                </div>
              </form>
            </StepCard>
          </>
        ) : onCancel ? (
          <Button variant="ghost" onClick={onCancel}>
            Keep the current twin
          </Button>
        ) : null}
      </div>

      <aside className="min-w-0 space-y-4" aria-label="How to sign">
        <Card className="p-5">
          <h2 className="flex items-center gap-2 text-sm font-semibold text-fg">
            <TerminalIcon className="size-4 text-muted" />
            How to sign
          </h2>
          <ol className="mt-3 list-decimal space-y-3 pl-4 text-sm leading-6 text-muted">
            <li>
              <span className="font-medium text-fg">With a script</span> (works for every key). With Node.js and{' '}
              <code className="font-mono text-xs">@polkadot/keyring</code>, load the twin account’s mnemonic and print the
              signature:
              <pre className="mt-2 overflow-x-auto rounded-fd-sm bg-slate-900 p-3 font-mono text-[0.7rem] leading-5 text-slate-100">
                {`import { Keyring } from '@polkadot/keyring'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { u8aToHex, stringToU8a } from '@polkadot/util'
await cryptoWaitReady()
const pair = new Keyring({ type: 'sr25519' })
  .addFromMnemonic(process.env.MNEMONIC)
console.log(u8aToHex(
  pair.sign(stringToU8a(process.argv[2]))))`}
              </pre>
              Run it with the challenge text as its argument; use <code className="font-mono text-xs">type: 'ed25519'</code>{' '}
              for an ed25519 account.
            </li>
            <li>
              <span className="font-medium text-fg">With the polkadot{'{.js}'} extension</span>: on TF Chain’s polkadot.js
              apps, open Developer → Sign and verify, choose the twin’s account, paste the text, sign, and copy the
              signature. The extension’s “Sign raw” must sign the text as it is; a signature of the text wrapped in{' '}
              <code className="font-mono text-xs">&lt;Bytes&gt;…&lt;/Bytes&gt;</code> does not match.
            </li>
          </ol>
        </Card>
        <p className="px-1 text-xs leading-5 text-muted">
          Your mnemonic never leaves your computer: you only paste the signature. See your requests to storefronts on{' '}
          <Link to="/dashboards" className="underline hover:text-primary">
            Dashboards
          </Link>
          .
        </p>
      </aside>
    </div>
  )
}
