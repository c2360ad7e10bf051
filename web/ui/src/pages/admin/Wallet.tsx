import { useEffect, useId, useRef, useState, type ReactNode } from 'react'
import { api, ApiError, isApiError, sentence } from '../../api'
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog'
import { Badge, CopyButton, DataTable, EmptyState, Loading, PageHeader, Pager, Panel, Time, useApi, usePaged, type Column } from '../../components/data'
import {
  Alert,
  Checkbox,
  ErrorPanel,
  FieldError,
  FormError,
  inputClass,
  PasswordField,
  SelectField,
  SubmitButton,
  TextField,
  useForm,
} from '../../components/forms'
import {
  AlertCircleIcon,
  CheckIcon,
  ExternalLinkIcon,
  EyeIcon,
  EyeOffIcon,
  HistoryIcon,
  LockIcon,
  RefreshIcon,
  WalletIcon,
} from '../../components/icons'
import { Button, Card, Spinner, cx, usePageTitle } from '../../components/ui'
import { canManageTenant, useSession } from '../../session'
import { WalletChart } from './WalletChart'
import {
  formatAmount,
  stepNames,
  stepStates,
  tftNumber,
  tierInfo,
  tierLabel,
  tierOrder,
  tierSummary,
  topupSteps,
  trimAmount,
  underWay,
  type ContractTier,
  type DiscountPackage,
  type Policy,
  type StepState,
  type Topup,
  type Wallet,
  type WalletAlert,
  type WalletHistory,
  type WalletInput,
} from '../../wallet'

const TF_DASHBOARD = 'https://dashboard.grid.tf'

/** While a top-up is under way the page asks for the wallet this often. */
const POLL_MS = 2000

export function AdminWallet() {
  usePageTitle('Wallet')
  const { me } = useSession()
  const manage = canManageTenant(me)
  const loaded = useApi<Wallet>('/api/admin/wallet')
  const { reload } = loaded
  const [notice, setNotice] = useState('')
  const [replacing, setReplacing] = useState(false)
  // The top-up this visit started: its notice follows it to the end.
  const [started, setStarted] = useState('')
  const missing = isApiError(loaded.error) && loaded.error.status === 404
  const w = missing ? undefined : loaded.data
  const busy = (w?.topups ?? []).some(underWay)
  const history = useApi<WalletHistory>(w ? '/api/admin/wallet/history' : null)
  const reloadHistory = history.reload

  // Follow a top-up step by step: ask again every 2 s while one is under way.
  useEffect(() => {
    if (!busy) return
    const t = setTimeout(reload, POLL_MS)
    return () => clearTimeout(t)
  }, [busy, loaded.data, reload])

  // A top-up that ends moves the balance: draw the chart again.
  const wasBusy = useRef(busy)
  useEffect(() => {
    if (wasBusy.current && !busy) reloadHistory()
    wasBusy.current = busy
  }, [busy, reloadHistory])

  const header = (
    <PageHeader
      title="Wallet"
      icon={WalletIcon}
      description="The TFChain wallet your customers’ servers are paid from: balances, burn and runway, the staking discount of every contract, and automatic top-ups from USDC on Stellar."
      actions={
        w && manage ? (
          <Button variant="secondary" onClick={() => setReplacing(true)} data-testid="wallet-replace">
            <RefreshIcon className="size-4" />
            Replace wallet
          </Button>
        ) : undefined
      }
    />
  )

  if (missing) {
    return (
      <div className="space-y-8" data-testid="wallet-page" data-state="missing">
        {header}
        <WalletSetup
          manage={manage}
          onSaved={(saved) => {
            setNotice(
              `Wallet saved: twin ${saved.twin_id}, found from the recovery phrase. Its secrets are encrypted and will not be shown again.`,
            )
            reload()
          }}
        />
      </div>
    )
  }
  if (!w) {
    return (
      <div className="space-y-8" data-testid="wallet-page" data-state="loading">
        {header}
        {loaded.error ? <ErrorPanel error={loaded.error} onRetry={reload} /> : <Loading label="Reading the wallet…" />}
      </div>
    )
  }

  const topups = w.topups ?? []
  // The treasury alert says it all when there is one; otherwise a top-up's own alert shows.
  const attention = w.alert ? [] : topups.filter((t, i) => t.alert && (underWay(t) || i === 0))
  const runway = w.tiers.runway_days
  const short = !!w.policy && runway >= 0 && runway < w.policy.min_runway_days
  const mine = started ? topups.find((t) => t.id === started) : undefined
  const message = !mine
    ? notice
    : underWay(mine)
      ? `Top-up of ${formatAmount(mine.amount_tft)} TFT started. Its steps update below as they complete.`
      : mine.state === 'reconciled'
        ? `Top-up of ${formatAmount(mine.amount_tft)} TFT done: the TFT are on your twin.`
        : ''

  return (
    <div className="space-y-8" data-testid="wallet-page" data-state="ready">
      {header}

      {message ? (
        <Alert tone="success" data-testid="wallet-notice">
          {message}
        </Alert>
      ) : null}
      {loaded.error ? (
        <Alert tone="warning" data-testid="wallet-stale">
          The wallet could not be refreshed; what you see may be out of date.{' '}
          <button type="button" className="font-semibold underline" onClick={reload}>
            Try again
          </button>
        </Alert>
      ) : null}
      {w.alert ? <TreasuryAlert alert={w.alert} /> : null}
      {attention.map((t) => (
        <Alert key={t.id} tone="error" title="A top-up needs your attention" data-testid="topup-alert">
          {sentence(t.alert)}
        </Alert>
      ))}
      {!w.kyc_verified ? (
        <Alert tone="warning" title={`Twin ${w.twin_id} is not KYC-verified`} data-testid="kyc-warning">
          The grid only lets KYC-verified twins deploy: verify in the TF Dashboard. Open{' '}
          <a href={TF_DASHBOARD} target="_blank" rel="noopener noreferrer" className="font-semibold underline">
            dashboard.grid.tf
          </a>
          , sign in with this wallet and complete the KYC check under your profile. This page shows “Verified” once the
          grid has it; until then new servers of your customers cannot start.
        </Alert>
      ) : null}
      {short && w.policy ? (
        <Alert tone="warning" data-testid="runway-warning">
          The balance lasts {runway} {runway === 1 ? 'day' : 'days'}, under the {w.policy.min_runway_days} days your policy
          keeps.{' '}
          {w.policy.enabled
            ? 'An automatic top-up starts within the hour, or press “Top up now”.'
            : 'Automatic top-ups are off: turn them on in the policy below, or press “Top up now”.'}
        </Alert>
      ) : null}

      <Balances w={w} short={short} />
      <HistoryPanel history={history.data} error={history.error} loading={history.loading} onRetry={reloadHistory} policy={w.policy} />
      <Tiers w={w} />
      <Topups
        w={w}
        manage={manage}
        busy={busy}
        onStarted={(t) => {
          setNotice('')
          setStarted(t.id)
          reload()
        }}
      />
      <PolicyPanel
        policy={w.policy}
        manage={manage}
        onSaved={() => {
          setStarted('')
          setNotice('Top-up policy saved.')
          reload()
        }}
      />
      <WalletDetails w={w} />

      <Dialog
        open={replacing}
        onClose={() => setReplacing(false)}
        title="Replace the wallet"
        description="Top-ups and the staking discount move to the new wallet at once. Enter its recovery phrase (its twin is found from it), the Stellar secret, and a code from your authenticator app; the old secrets are discarded."
        size="lg"
        testId="wallet-replace-dialog"
        flush
      >
        <WalletForm
          inDialog
          replace
          currentTwin={w.twin_id}
          submitLabel="Replace wallet"
          onCancel={() => setReplacing(false)}
          onSaved={(saved) => {
            setReplacing(false)
            setStarted('')
            setNotice(`Wallet replaced: now twin ${saved.twin_id}. Its secrets are encrypted and will not be shown again.`)
            reload()
            reloadHistory()
          }}
        />
      </Dialog>
    </div>
  )
}

// ——— Setup ———

function WalletSetup({ manage, onSaved }: { manage: boolean; onSaved: (w: Wallet) => void }) {
  if (!manage)
    return (
      <Card>
        <EmptyState icon={WalletIcon} title="No wallet yet" data-testid="wallet-missing">
          An owner or admin of this storefront adds its TFChain wallet here. Until then, nothing pays for customers’
          servers on the grid.
        </EmptyState>
      </Card>
    )
  return (
    <Panel
      title="Add your wallet"
      description="The TFChain twin that pays the grid for your customers’ servers, and the Stellar account whose USDC tops it up."
      data-testid="wallet-setup"
    >
      <div className="px-4 py-5 sm:px-5">
        <WalletForm submitLabel="Save wallet" onSaved={onSaved} />
      </div>
    </Panel>
  )
}

const walletFields = ['mnemonic', 'stellar_secret', 'totp_code']

function WalletForm({
  submitLabel,
  onSaved,
  onCancel,
  replace = false,
  currentTwin,
  inDialog = false,
}: {
  submitLabel: string
  onSaved: (w: Wallet) => void
  onCancel?: () => void
  /** Replacing a wallet asks for a fresh two-factor code. */
  replace?: boolean
  currentTwin?: number
  inDialog?: boolean
}) {
  const form = useForm(walletFields)
  const [mnemonic, setMnemonic] = useState('')
  const [secret, setSecret] = useState('')
  const [code, setCode] = useState('')

  const save = () => {
    const body: WalletInput = { mnemonic, stellar_secret: secret }
    if (replace) body.totp_code = code.replace(/\s+/g, '')
    return api.put<Wallet>('/api/admin/wallet', body).then(
      (saved) => {
        setMnemonic('')
        setSecret('')
        setCode('')
        onSaved(saved)
      },
      (err: unknown) => {
        // A code is good once: a refused one is cleared for the next.
        if (isApiError(err) && err.field === 'totp_code') setCode('')
        throw err
      },
    )
  }

  const buttons = (
    <>
      {onCancel ? (
        <Button variant="secondary" onClick={onCancel} disabled={form.busy}>
          Cancel
        </Button>
      ) : null}
      <SubmitButton form={form} data-testid="wallet-save">
        <LockIcon className="size-4" />
        {submitLabel}
      </SubmitButton>
    </>
  )

  return (
    <form ref={form.formRef} onSubmit={form.submit(save)} noValidate data-testid="wallet-form" className="space-y-5">
      <Alert tone="info" title="Secrets are encrypted and never shown again" data-testid="secrets-note">
        The recovery phrase and the Stellar secret are encrypted (AES-256-GCM) as soon as they reach the server and are
        only opened inside the step that signs a top-up. No page, export or support person can show them to you again:
        keep your own copy somewhere safe.
      </Alert>
      <FormError form={form} />
      <PhraseField value={mnemonic} onChange={setMnemonic} error={form.fieldError('mnemonic')} currentTwin={currentTwin} />
      <PasswordField
        label="Stellar secret"
        name="stellar_secret"
        autoComplete="off"
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
        error={form.fieldError('stellar_secret')}
        hint="The secret key (56 characters starting with S) of the Stellar account that holds USDC, e.g. your TF Connect wallet. Top-ups swap it for TFT."
        className="font-mono"
      />
      {replace ? (
        <TextField
          label="Two-factor code"
          name="totp_code"
          inputMode="numeric"
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={form.fieldError('totp_code')}
          hint="Replacing the wallet asks for two-factor again: the 6-digit code from your authenticator app, or a recovery code."
          wrapperClassName="max-w-xs"
          className="font-mono tracking-widest"
          data-testid="wallet-totp"
        />
      ) : null}
      {inDialog ? <DialogActions>{buttons}</DialogActions> : <div className="flex flex-wrap justify-end gap-2">{buttons}</div>}
    </form>
  )
}

/** PhraseField is a textarea that hides the recovery phrase like a password until shown. */
function PhraseField({
  value,
  onChange,
  error,
  currentTwin,
}: {
  value: string
  onChange: (v: string) => void
  error?: string
  currentTwin?: number
}) {
  const id = useId()
  const [shown, setShown] = useState(false)
  const words = value.trim() ? value.trim().split(/\s+/).length : 0
  const hint =
    words === 0
      ? `The 12 or 24 words of the TFChain wallet, in order, separated by spaces. Its twin is found from them${
          currentTwin ? ` (the wallet now is twin ${currentTwin})` : ''
        }: create the twin in the TF Dashboard first.`
      : words === 12 || words === 24
        ? `${words} words`
        : `${words} ${words === 1 ? 'word' : 'words'}: a recovery phrase has 12 or 24`
  return (
    <div>
      <div className="mb-1.5 flex items-baseline justify-between gap-3">
        <label htmlFor={id} className="text-sm font-medium text-fg">
          Recovery phrase
        </label>
        <button
          type="button"
          onClick={() => setShown((v) => !v)}
          aria-controls={id}
          aria-pressed={shown}
          className="inline-flex items-center gap-1.5 rounded-fd-sm px-1.5 text-sm font-medium text-primary hover:underline focus-visible:outline-2 focus-visible:outline-primary"
        >
          {shown ? <EyeOffIcon className="size-4" /> : <EyeIcon className="size-4" />}
          {shown ? 'Hide' : 'Show'}
        </button>
      </div>
      <textarea
        id={id}
        name="mnemonic"
        rows={3}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        autoComplete="off"
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        data-testid="wallet-mnemonic"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : `${id}-hint`}
        className={inputClass(!!error, cx('min-h-24 py-2 font-mono', !shown && '[-webkit-text-security:disc]'))}
      />
      {!error ? (
        <p id={`${id}-hint`} className="mt-1.5 text-sm text-muted" aria-live="polite">
          {words === 12 || words === 24 ? (
            <span className="inline-flex items-center gap-1 text-emerald-700 dark:text-emerald-400">
              <CheckIcon className="size-4" /> {hint}
            </span>
          ) : (
            hint
          )}
        </p>
      ) : null}
      <FieldError id={`${id}-error`} name="mnemonic">
        {error}
      </FieldError>
    </div>
  )
}

// ——— Balances, burn and runway ———

function Stat({
  label,
  value,
  unit,
  hint,
  testId,
  raw,
  tone,
}: {
  label: string
  value: ReactNode
  unit?: string
  hint?: ReactNode
  testId: string
  raw?: string
  tone?: 'warning'
}) {
  return (
    <Card className={cx('p-4 sm:p-5', tone === 'warning' && 'border-amber-300 dark:border-amber-400/40')} data-testid={testId} data-value={raw}>
      <p className="text-xs font-semibold tracking-wide text-muted uppercase">{label}</p>
      <p className="mt-1.5 flex flex-wrap items-baseline gap-x-1.5 text-2xl font-bold tracking-tight text-fg tabular-nums">
        <span data-testid={`${testId}-value`}>{value}</span>
        {unit ? <span className="text-sm font-medium text-muted">{unit}</span> : null}
      </p>
      {hint ? <div className="mt-1 text-xs leading-5 text-muted">{hint}</div> : null}
    </Card>
  )
}

function Balances({ w, short }: { w: Wallet; short: boolean }) {
  const burn = tftNumber(w.tiers.burn_month_tft)
  const runway = w.tiers.runway_days
  const count = w.tiers.contracts.length
  return (
    <div className="grid grid-cols-1 gap-3 min-[480px]:grid-cols-2 xl:grid-cols-4" data-testid="wallet-balances">
      <Stat
        label="TFT on TFChain"
        value={formatAmount(w.tft_balance)}
        unit="TFT"
        raw={w.tft_balance}
        testId="wallet-tft"
        hint={
          <span className="inline-flex flex-wrap items-center gap-1.5">
            Twin {w.twin_id}
            {w.kyc_verified ? (
              <Badge tone="success" data-testid="kyc-status" data-verified="true">
                KYC verified
              </Badge>
            ) : (
              <Badge tone="warning" data-testid="kyc-status" data-verified="false">
                KYC not verified
              </Badge>
            )}
          </span>
        }
      />
      <Stat
        label="USDC on Stellar"
        value={formatAmount(w.stellar_usdc)}
        unit={w.stellar_usdc ? 'USDC' : undefined}
        raw={w.stellar_usdc}
        testId="wallet-usdc"
        hint={
          w.stellar_usdc ? (
            <>
              Pays for top-ups · <span data-testid="wallet-stellar-tft">{formatAmount(w.stellar_tft)}</span> TFT on Stellar
            </>
          ) : (
            'The Stellar account could not be read: it may not be funded yet.'
          )
        }
      />
      <Stat
        label="Monthly burn"
        value={formatAmount(w.tiers.burn_month_tft)}
        unit="TFT / month"
        raw={w.tiers.burn_month_tft}
        testId="wallet-burn"
        hint={
          count === 0
            ? 'No running contracts'
            : `${count} ${count === 1 ? 'contract' : 'contracts'} · ≈ ${formatAmount(String(burn / 30))} TFT a day`
        }
      />
      <Stat
        label="Runway"
        value={runway < 0 ? '—' : runway.toLocaleString('en-US')}
        unit={runway < 0 ? undefined : runway === 1 ? 'day' : 'days'}
        raw={String(runway)}
        testId="wallet-runway"
        tone={short ? 'warning' : undefined}
        hint={
          runway < 0
            ? 'Nothing burns: no running contracts'
            : w.policy
              ? `Policy keeps at least ${w.policy.min_runway_days} days`
              : 'How long the balance lasts at this burn'
        }
      />
    </div>
  )
}

// ——— The treasury alert and the history ———

const alertTitles: Record<WalletAlert['reason'], string> = {
  topup_failed: 'A top-up failed: the wallet cannot keep its runway',
  mint_overdue: 'A top-up has not arrived on TFChain',
  runway_low: 'The wallet is running low and cannot top up',
}

/** TreasuryAlert is the open incident: what is wrong, since when, and who was told. */
function TreasuryAlert({ alert }: { alert: WalletAlert }) {
  return (
    <Alert tone="error" title={alertTitles[alert.reason] ?? 'The wallet needs your attention'} data-testid="treasury-alert" data-reason={alert.reason}>
      <span className="block">{sentence(alert.message)}</span>
      <span className="mt-1.5 block text-xs opacity-90">
        Since <Time iso={alert.opened_at} relative={false} />.{' '}
        {alert.notified_at ? (
          <>
            The owners and admins were e-mailed <Time iso={alert.notified_at} />; they are not e-mailed again until a new incident.
          </>
        ) : (
          'The owners and admins are being e-mailed.'
        )}{' '}
        Until the wallet can pay, new orders on the storefront are refused.
      </span>
    </Alert>
  )
}

function HistoryPanel({
  history,
  error,
  loading,
  onRetry,
  policy,
}: {
  history: WalletHistory | undefined
  error: unknown
  loading: boolean
  onRetry: () => void
  policy: Policy | null
}) {
  const points = history?.items ?? []
  return (
    <Panel
      title="Balance and burn"
      description={`The last ${history?.days ?? 90} days, one point a day: the TFT on your twin and what your contracts burn a month.`}
      data-testid="wallet-history"
    >
      {error && !history ? (
        <div className="px-4 py-5 sm:px-5">
          <ErrorPanel error={error} onRetry={onRetry} />
        </div>
      ) : !history && loading ? (
        <Loading label="Reading the history…" />
      ) : points.length === 0 ? (
        <EmptyState icon={HistoryIcon} title="No history yet" data-testid="wallet-history-empty">
          The hourly check records the balance and the burn; the chart fills in from the first one. “Top up now” records one
          too.
        </EmptyState>
      ) : (
        <WalletChart points={points} minRunwayDays={policy?.min_runway_days} />
      )}
    </Panel>
  )
}

// ——— Staking discount ———

function TierBadge({ pkg }: { pkg: DiscountPackage }) {
  if (pkg === 'none') return <Badge>None</Badge>
  return (
    <Badge tone="success">
      {tierLabel(pkg)} · {tierInfo[pkg].pct}% off
    </Badge>
  )
}

function Tiers({ w }: { w: Wallet }) {
  const t = w.tiers
  const contracts = t.contracts
  const binding = contracts.reduce((m, c) => Math.max(m, tftNumber(c.monthly_list_tft)), 0)
  const all = t.all_contracts
  // The table pages from the server; it reloads when the balance (and so the tiers) change.
  const paged = usePaged<ContractTier>('/api/admin/wallet/contracts?limit=10')
  const reload = paged.reload
  const first = useRef(true)
  useEffect(() => {
    if (first.current) first.current = false
    else reload()
  }, [t.balance_tft, contracts.length, reload])
  let headline: string
  let sub: ReactNode
  if (contracts.length === 0) {
    headline = 'No running contracts yet'
    sub = 'The discount applies per contract once your customers’ servers run. Your whole balance counts for each of them.'
  } else if (t.next) {
    headline = `Reach ${tierLabel(t.next)} with ${formatAmount(t.more_for_next_tft)} TFT more`
    sub = (
      <>
        <span data-testid="tier-summary">{tierSummary(t.by_tier ?? [])}</span> The chain checks each contract against your whole
        balance, so the most expensive one ({formatAmount(String(binding))} TFT a month) is the last to reach the next tier.
      </>
    )
  } else {
    headline = 'Gold on every contract'
    sub = 'Every contract gets the best staking discount: 60% off its list price.'
  }

  const columns: Column<ContractTier>[] = [
    { header: 'Contract', primary: true, cell: (c) => <span className="font-mono">#{c.contract_id}</span> },
    { header: 'List price', cell: (c) => `${formatAmount(c.monthly_list_tft)} TFT / month` },
    { header: 'Tier', cell: (c) => <TierBadge pkg={c.package} /> },
    {
      header: 'Costs now',
      cell: (c) => <span className="font-medium">{formatAmount(c.monthly_tft)} TFT / month</span>,
    },
  ]

  return (
    <Panel title="Staking discount" description="TFChain discounts each contract by how many months of it your balance covers." data-testid="wallet-tiers">
      <div className="border-b border-border px-4 py-5 sm:px-5">
        <p className="text-lg font-semibold text-fg" data-testid="tier-headline" data-tier={all} data-next={t.next ?? ''}>
          {headline}
        </p>
        <p className="mt-1 max-w-3xl text-sm leading-6 text-muted">{sub}</p>
        {contracts.length > 0 ? <Ladder balance={tftNumber(t.balance_tft)} binding={binding} reached={all} /> : null}
      </div>
      <DataTable
        columns={columns}
        rows={paged.items}
        rowKey={(c) => String(c.contract_id)}
        caption="Staking tier of each running contract"
        rowProps={(c) => ({ 'data-testid': 'tier-row', 'data-contract': String(c.contract_id), 'data-package': c.package })}
        loading={paged.loading && !paged.items.length}
        error={paged.error}
        onRetry={paged.reload}
        empty={<p className="px-4 py-6 text-sm text-muted sm:px-5">Contracts appear here while servers run.</p>}
      />
      <Pager paged={paged} noun="contracts" />
    </Panel>
  )
}

/** Ladder shows the balance against the four tiers of the binding contract. */
function Ladder({ balance, binding, reached }: { balance: number; binding: number; reached: DiscountPackage }) {
  const tiers = tierOrder.filter((p) => p !== 'none')
  return (
    <ol className="mt-5 grid grid-cols-2 gap-x-3 gap-y-4 sm:grid-cols-4" aria-label="Tiers for your most expensive contract" data-testid="tier-ladder">
      {tiers.map((p, i) => {
        const prev = i === 0 ? 0 : tierInfo[tiers[i - 1] as DiscountPackage].months * binding
        const need = tierInfo[p].months * binding
        const fill = need > prev ? Math.min(1, Math.max(0, (balance - prev) / (need - prev))) : 0
        const got = tierOrder.indexOf(reached) >= tierOrder.indexOf(p)
        return (
          <li key={p} data-tier={p} data-reached={got ? 'true' : 'false'}>
            <div className="h-2 overflow-hidden rounded-full bg-primary/10" aria-hidden="true">
              <div
                className={cx('h-full rounded-full', got ? 'bg-emerald-500' : 'bg-primary')}
                style={{ width: `${fill * 100}%` }}
              />
            </div>
            <p className="mt-2 flex items-center gap-1 text-sm font-medium text-fg">
              {got ? <CheckIcon className="size-4 text-emerald-600 dark:text-emerald-400" /> : null}
              {tierInfo[p].label} <span className="font-normal text-muted">· {tierInfo[p].pct}% off</span>
            </p>
            <p className="text-xs text-muted">from {formatAmount(String(need))} TFT</p>
          </li>
        )
      })}
    </ol>
  )
}

// ——— Top-ups ———

function Topups({
  w,
  manage,
  busy,
  onStarted,
}: {
  w: Wallet
  manage: boolean
  busy: boolean
  onStarted: (t: Topup) => void
}) {
  const form = useForm([])
  const topups = w.topups ?? []
  const [expanded, setExpanded] = useState<Record<string, boolean>>({})
  const [confirming, setConfirming] = useState(false)
  // What a top-up may spend: at most the policy's TFT per top-up, priced at the last quote.
  const maxTFT = Number(w.policy?.max_per_topup_tft ?? 0)
  const last = topups.find((t) => Number(t.quote_usdc) > 0 && Number(t.amount_tft) > 0)
  const usdcPerTFT = last ? Number(last.quote_usdc) / Number(last.amount_tft) : 0
  const usdc = usdcPerTFT ? (maxTFT * usdcPerTFT * 1.01).toFixed(2) : ''
  const why = !w.policy
    ? 'Save a top-up policy first: it sets how much a top-up may buy.'
    : busy
      ? 'A top-up is under way.'
      : ''
  return (
    <Panel
      title="Top-ups"
      description="USDC on Stellar → TFT on the Stellar exchange → the TFChain bridge → your twin. Each step is shown as it completes."
      data-testid="wallet-topups"
      actions={
        manage ? (
          <Button
            onClick={() => setConfirming(true)}
            busy={form.busy}
            disabled={!!why}
            title={why || undefined}
            data-testid="topup-now"
          >
            Top up now
          </Button>
        ) : undefined
      }
    >
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        tone="primary"
        testId="topup-confirm"
        title="Spend USDC on a top-up now?"
        confirmLabel={usdc ? `Spend up to ${usdc} USDC` : `Buy up to ${formatAmount(w.policy?.max_per_topup_tft ?? '0')} TFT`}
        onConfirm={() =>
          api.post<Topup>('/api/admin/wallet/topups').then((t) => {
            setConfirming(false)
            onStarted(t)
          })
        }
      >
        <p className="text-sm leading-6 text-muted" data-testid="topup-confirm-amount">
          This buys up to <strong className="text-fg">{formatAmount(w.policy?.max_per_topup_tft ?? '0')} TFT</strong> (your
          policy&apos;s limit per top-up) with USDC from your Stellar account
          {usdc ? (
            <>
              : about <strong className="text-fg">{usdc} USDC</strong> at the last exchange price (plus 1 % for price moves)
            </>
          ) : (
            <>; the exchange quotes the USDC price when it starts</>
          )}
          , then bridges the TFT to your twin (1 TFT bridge fee). Each step is shown below.
        </p>
      </ConfirmDialog>
      {form.error || (manage && !w.policy) ? (
        <div className="space-y-3 border-b border-border px-4 py-4 sm:px-5">
          {form.error ? (
            <Alert tone="error" data-testid="topup-error">
              {sentence(form.error.message)}
            </Alert>
          ) : null}
          {manage && !w.policy ? <p className="text-sm text-muted">{why}</p> : null}
        </div>
      ) : null}
      {topups.length === 0 ? (
        <EmptyState icon={HistoryIcon} title="No top-ups yet">
          With a policy saved, a top-up starts on its own when the runway or the tier falls under it (checked every hour).
          “Top up now” starts one at once.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-border" aria-label="Top-ups, newest first">
          {topups.map((t, i) => {
            const open = i === 0 || underWay(t) || t.state === 'failed' || !!t.alert || !!expanded[t.id]
            return (
              <TopupItem
                key={t.id}
                t={t}
                open={open}
                onOpen={i === 0 || underWay(t) || t.state === 'failed' || !!t.alert ? undefined : () => setExpanded((e) => ({ ...e, [t.id]: !e[t.id] }))}
              />
            )
          })}
        </ul>
      )}
    </Panel>
  )
}

function TopupBadge({ t }: { t: Topup }) {
  if (t.state === 'reconciled')
    return (
      <Badge tone="success" dot>
        Done
      </Badge>
    )
  if (t.state === 'failed')
    return (
      <Badge tone="danger" dot>
        Failed
      </Badge>
    )
  return (
    <Badge tone="primary">
      <Spinner className="size-3" />
      Under way
    </Badge>
  )
}

function TopupItem({ t, open, onOpen }: { t: Topup; open: boolean; onOpen?: () => void }) {
  const quote = tftNumber(t.quote_usdc)
  return (
    <li className="px-4 py-5 sm:px-5" data-testid="topup" data-id={t.id} data-state={t.state}>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <p className="flex flex-wrap items-center gap-2 text-base font-semibold text-fg">
            <span data-testid="topup-amount">{formatAmount(t.amount_tft)} TFT</span>
            <TopupBadge t={t} />
          </p>
          <p className="mt-0.5 text-sm text-muted">
            {t.reason ? t.reason.charAt(0).toUpperCase() + t.reason.slice(1) : 'Top-up'}
            {quote > 0 ? ` · quoted ${formatAmount(t.quote_usdc)} USDC` : ''} · started <Time iso={t.created_at} />
          </p>
        </div>
        {onOpen ? (
          <Button size="sm" variant="ghost" onClick={onOpen} aria-expanded={open}>
            {open ? 'Hide steps' : 'Show steps'}
          </Button>
        ) : null}
      </div>
      {t.alert && !(t.state === 'failed' && t.failed_step) ? (
        <Alert tone="error" className="mt-3" data-testid="topup-item-alert">
          {sentence(t.alert)}
        </Alert>
      ) : null}
      {open ? <Stepper t={t} /> : null}
      {t.state === 'failed' && t.failed_step ? (
        <p className="mt-3 flex items-start gap-1.5 text-sm text-red-700 dark:text-red-400" data-testid="topup-failure" data-step={t.failed_step}>
          <AlertCircleIcon className="mt-0.5 size-4 shrink-0" />
          <span>
            Failed at the {stepNames[t.failed_step]} step
            {t.failed_at ? (
              <>
                {' '}
                on <Time iso={t.failed_at} relative={false} />
              </>
            ) : null}
            {t.error ? `: ${t.error.replace(/\.$/, '')}.` : '.'}
          </span>
        </p>
      ) : t.state === 'failed' && t.error && !t.alert.includes(t.error) ? (
        <p className="mt-3 flex items-start gap-1.5 text-sm text-red-700 dark:text-red-400" data-testid="topup-error-text">
          <AlertCircleIcon className="mt-0.5 size-4 shrink-0" />
          {sentence(t.error)}
        </p>
      ) : null}
    </li>
  )
}

const stepCircle: Record<StepState, string> = {
  done: 'bg-emerald-500 text-white ring-emerald-500',
  active: 'bg-primary/10 text-primary ring-primary/40',
  failed: 'bg-red-600 text-white ring-red-600',
  pending: 'bg-surface text-muted ring-border',
}

/** Stepper: planned → quoted → swapped → bridged → minted → reconciled; vertical on phones. */
function Stepper({ t }: { t: Topup }) {
  const states = stepStates(t)
  return (
    <ol className="mt-4 grid gap-3 sm:grid-cols-6 sm:gap-2" aria-label="Steps of this top-up" data-testid="topup-steps">
      {topupSteps.map((s, i) => {
        const st = states[i] ?? 'pending'
        const text = st === 'done' ? s.done : st === 'active' ? `${s.doing}…` : st === 'failed' ? 'Failed here' : ''
        return (
          <li
            key={s.state}
            data-testid="topup-step"
            data-step={s.state}
            data-state={st}
            aria-current={st === 'active' ? 'step' : undefined}
            className="relative flex min-w-0 items-start gap-3 sm:flex-col sm:gap-1.5"
          >
            {i < topupSteps.length - 1 ? (
              <span
                aria-hidden="true"
                className={cx(
                  'absolute hidden h-0.5 sm:block',
                  'top-3.5 right-[-0.5rem] left-9',
                  st === 'done' ? 'bg-emerald-500' : 'bg-border',
                )}
              />
            ) : null}
            <span
              className={cx(
                'relative inline-flex size-7 shrink-0 items-center justify-center rounded-full text-xs font-semibold ring-1 ring-inset',
                stepCircle[st],
              )}
            >
              {st === 'done' ? (
                <CheckIcon className="size-4" />
              ) : st === 'active' ? (
                <Spinner className="size-3.5" />
              ) : st === 'failed' ? (
                <AlertCircleIcon className="size-4" />
              ) : (
                i + 1
              )}
            </span>
            <span className="min-w-0">
              <span
                className={cx(
                  'block text-sm font-medium',
                  st === 'failed' ? 'text-red-700 dark:text-red-400' : st === 'pending' ? 'text-muted' : 'text-fg',
                )}
              >
                {s.label}
                <span className="sr-only">: {st === 'done' ? 'done' : st === 'active' ? 'in progress' : st === 'failed' ? 'failed' : 'to do'}</span>
              </span>
              {text ? (
                <span className={cx('block text-xs leading-5', st === 'failed' ? 'text-red-700 dark:text-red-400' : 'text-muted')}>
                  {text}
                </span>
              ) : null}
            </span>
          </li>
        )
      })}
    </ol>
  )
}

// ——— Policy ———

const policyFields = ['enabled', 'min_runway_days', 'target_tier', 'max_per_topup_tft', 'max_per_month_tft', 'slippage_bps']

interface PolicyDraft {
  enabled: boolean
  days: string
  tier: DiscountPackage
  perTopup: string
  perMonth: string
  slippage: string
}

function toDraft(p: Policy | null): PolicyDraft {
  if (!p) return { enabled: true, days: '30', tier: 'none', perTopup: '1000', perMonth: '5000', slippage: '1' }
  return {
    enabled: p.enabled,
    days: String(p.min_runway_days),
    tier: p.target_tier || 'none',
    perTopup: trimAmount(p.max_per_topup_tft),
    perMonth: trimAmount(p.max_per_month_tft),
    slippage: String(p.slippage_bps / 100),
  }
}

function PolicyPanel({ policy, manage, onSaved }: { policy: Policy | null; manage: boolean; onSaved: (p: Policy) => void }) {
  const form = useForm(policyFields)
  const [draft, setDraft] = useState(() => toDraft(policy))
  const set = (patch: Partial<PolicyDraft>) => setDraft((d) => ({ ...d, ...patch }))
  const suffix = (s: string) => <span className="pr-2.5 text-sm text-muted">{s}</span>

  const save = async () => {
    const days = Number(draft.days.trim())
    const slip = Number(draft.slippage.trim().replace(',', '.'))
    if (!draft.slippage.trim() || !Number.isFinite(slip))
      throw new ApiError({ status: 400, code: 'invalid', field: 'slippage_bps', message: 'enter the slippage cap as a percentage, e.g. 1' })
    const body: Policy = {
      enabled: draft.enabled,
      min_runway_days: Number.isInteger(days) ? days : 0,
      target_tier: draft.tier,
      max_per_topup_tft: draft.perTopup.trim().replace(/,/g, ''),
      max_per_month_tft: draft.perMonth.trim().replace(/,/g, ''),
      slippage_bps: Math.round(slip * 100),
    }
    const saved = await api.put<Policy>('/api/admin/wallet/policy', body)
    setDraft(toDraft(saved))
    onSaved(saved)
  }

  if (!manage && !policy)
    return (
      <Panel title="Top-up policy" data-testid="wallet-policy">
        <p className="px-4 py-5 text-sm text-muted sm:px-5" data-testid="policy-missing">
          No policy yet: nothing tops up this wallet until an owner or admin saves one.
        </p>
      </Panel>
    )
  return (
    <Panel
      title="Top-up policy"
      description="When and how much to buy. Every hour, if the runway is under the days below or a contract is under the target tier, a top-up buys what is missing, within the caps."
      data-testid="wallet-policy"
    >
      <form ref={form.formRef} onSubmit={form.submit(save)} noValidate className="space-y-5 px-4 py-5 sm:px-5" data-testid="policy-form">
        {!policy ? (
          <Alert tone="info" data-testid="policy-missing">
            No policy yet: nothing tops up this wallet until you save one.
          </Alert>
        ) : null}
        <FormError form={form} />
        <fieldset disabled={!manage || form.busy} className="space-y-5">
          <Checkbox
            name="enabled"
            label="Top up automatically"
            description="Off: only “Top up now” buys TFT."
            checked={draft.enabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />
          <div className="grid gap-5 sm:grid-cols-2">
            <TextField
              label="Keep a runway of at least"
              name="min_runway_days"
              inputMode="numeric"
              value={draft.days}
              onChange={(e) => set({ days: e.target.value })}
              trailing={suffix('days')}
              error={form.fieldError('min_runway_days')}
              hint="1 to 365 days at the current burn."
            />
            <SelectField
              label="Target tier on every contract"
              name="target_tier"
              value={draft.tier}
              onChange={(e) => set({ tier: e.target.value as DiscountPackage })}
              error={form.fieldError('target_tier')}
              hint="Balance for this discount on all contracts: 1.5, 3, 6 or 18 months of the dearest one."
            >
              {tierOrder.map((p) => (
                <option key={p} value={p}>
                  {p === 'none' ? 'None: runway only' : `${tierInfo[p].label} · ${tierInfo[p].pct}% off`}
                </option>
              ))}
            </SelectField>
            <TextField
              label="At most per top-up"
              name="max_per_topup_tft"
              inputMode="decimal"
              value={draft.perTopup}
              onChange={(e) => set({ perTopup: e.target.value })}
              trailing={suffix('TFT')}
              error={form.fieldError('max_per_topup_tft')}
              hint="Includes the 1 TFT bridge fee."
            />
            <TextField
              label="At most per month"
              name="max_per_month_tft"
              inputMode="decimal"
              value={draft.perMonth}
              onChange={(e) => set({ perMonth: e.target.value })}
              trailing={suffix('TFT')}
              error={form.fieldError('max_per_month_tft')}
              hint="All top-ups of a calendar month together."
            />
            <TextField
              label="Slippage cap"
              name="slippage_bps"
              inputMode="decimal"
              value={draft.slippage}
              onChange={(e) => set({ slippage: e.target.value })}
              trailing={suffix('%')}
              error={form.fieldError('slippage_bps')}
              hint="The most a swap may pay above its quote (0.01–20 %)."
            />
          </div>
        </fieldset>
        {manage ? (
          <div className="flex justify-end">
            <SubmitButton form={form} data-testid="policy-save">
              Save policy
            </SubmitButton>
          </div>
        ) : (
          <p className="text-sm text-muted">Owners and admins change the policy.</p>
        )}
      </form>
    </Panel>
  )
}

// ——— The wallet itself ———

function WalletDetails({ w }: { w: Wallet }) {
  return (
    <Panel title="Wallet" description="Where the TFT and the USDC are. The secrets stay encrypted on the server." data-testid="wallet-details">
      <dl className="grid gap-x-6 gap-y-4 px-4 py-5 text-sm sm:grid-cols-[12rem_1fr] sm:px-5">
        <dt className="text-muted">TFChain twin</dt>
        <dd className="font-medium text-fg" data-testid="wallet-twin">
          {w.twin_id}
        </dd>
        <dt className="text-muted">KYC</dt>
        <dd className="text-fg">
          {w.kyc_verified ? (
            'Verified: the grid accepts deployments paid by this twin.'
          ) : (
            <>
              Not verified: the grid only lets KYC-verified twins deploy.{' '}
              <a href={TF_DASHBOARD} target="_blank" rel="noopener noreferrer" className="inline-flex items-center gap-1 font-medium text-primary hover:underline">
                Verify in the TF Dashboard <ExternalLinkIcon className="size-3.5" />
              </a>
            </>
          )}
        </dd>
        <dt className="text-muted">Stellar account</dt>
        <dd className="flex min-w-0 flex-wrap items-center gap-2">
          <code className="min-w-0 font-mono text-xs break-all text-fg" data-testid="wallet-stellar-account">
            {w.stellar_account}
          </code>
          <CopyButton text={w.stellar_account} label="Copy address" />
        </dd>
        <dt className="text-muted">Secrets</dt>
        <dd className="flex items-start gap-1.5 text-fg">
          <LockIcon className="mt-0.5 size-4 shrink-0 text-muted" />
          Recovery phrase and Stellar secret: encrypted, never shown. Replace the wallet to change them.
        </dd>
      </dl>
    </Panel>
  )
}
