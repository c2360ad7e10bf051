// End-to-end test of the treasury (issue 9) in headless Chromium against the real server:
// the storefront's owner enrols TOTP, adds the storefront's wallet by its recovery phrase
// (a wrong phrase, and a phrase whose account has no twin, are refused beside the phrase;
// the twin is derived from the phrase and shown; the secrets are never shown back), sees
// the balance and burn chart, sets a top-up policy (a monthly cap under the per-top-up cap
// is refused beside its field), presses "Top up now", watches the top-up's steps complete
// to "reconciled", sees the TFT balance and the staking tier of the storefront's running
// contract go up, and replaces the wallet, which asks for a two-factor code again. A
// super-admin then sees the storefront's treasury health in the console's tenant list.
//
// Run with `node --test web/ui/e2e/`. It needs:
//   FD_E2E_WALLET_STOREFRONT_URL  (or FD_E2E_STOREFRONT_URL) the storefront
//   FD_E2E_TREASURER_EMAIL, FD_E2E_TREASURER_PASSWORD  an owner of the storefront, no 2FA yet
//   FD_E2E_WALLET_TWIN        the KYC-verified TFChain twin of FD_E2E_WALLET_MNEMONIC's account,
//                             holding less TFT than the Default tier of the storefront's most
//                             expensive contract
//   FD_E2E_WALLET_SEED        a Stellar secret seed whose account holds USDC
//   FD_E2E_WALLET_MNEMONIC    a valid BIP-39 recovery phrase
//   FD_E2E_WALLET_ORPHAN_MNEMONIC  optional; a valid phrase whose account has no twin
//   FD_E2E_WALLET_CONTRACT    optional; a running contract of the storefront (its tier is checked)
//   FD_E2E_CONSOLE_URL, FD_E2E_WALLET_CONSOLE_EMAIL, FD_E2E_WALLET_CONSOLE_PASSWORD  optional;
//                             a super-admin without 2FA yet, for the console's treasury health
//   FD_E2E_SCREENSHOT_DIR     optional; PNGs at 1440 and 375 px
// The storefront must have no wallet yet and at least one running contract; history of its
// balance (imported before) makes the chart a line rather than a point.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { enrolTOTP, env, eventually, freshCode, launch, logIn, missingEnv, person, shooter, totp, url } from './support.mjs'

const storefrontURL = env('FD_E2E_WALLET_STOREFRONT_URL') || env('FD_E2E_STOREFRONT_URL')
const treasurer = { email: env('FD_E2E_TREASURER_EMAIL'), password: env('FD_E2E_TREASURER_PASSWORD') }
const twin = env('FD_E2E_WALLET_TWIN')
const seed = env('FD_E2E_WALLET_SEED')
const mnemonic = env('FD_E2E_WALLET_MNEMONIC')
const contract = env('FD_E2E_WALLET_CONTRACT')
const orphan = env('FD_E2E_WALLET_ORPHAN_MNEMONIC')
const consoleURL = env('FD_E2E_CONSOLE_URL')
const consoleAdmin = { email: env('FD_E2E_WALLET_CONSOLE_EMAIL'), password: env('FD_E2E_WALLET_CONSOLE_PASSWORD') }
const shots = env('FD_E2E_SCREENSHOT_DIR')
const shotBoth = shooter(shots, 'wallet')

const skip = missingEnv({
  FD_E2E_WALLET_STOREFRONT_URL: storefrontURL,
  FD_E2E_TREASURER_EMAIL: treasurer.email,
  FD_E2E_TREASURER_PASSWORD: treasurer.password,
  FD_E2E_WALLET_TWIN: twin,
  FD_E2E_WALLET_SEED: seed,
  FD_E2E_WALLET_MNEMONIC: mnemonic,
})

const tiers = ['none', 'default', 'bronze', 'silver', 'gold']

/** @type {import('playwright-core').Browser | undefined} */
let browser
/** @type {Awaited<ReturnType<typeof person>> | undefined} */
let admin
/** The treasurer's TOTP secret: replacing the wallet asks for a code again. */
let totpSecret = ''

before(async () => {
  if (skip) return
  browser = await launch()
})

after(async () => {
  await admin?.context.close().catch(() => {})
  await browser?.close()
})

/** tierOf reads the staking tier of the checked contract (or of the first one listed). */
async function tierOf(page) {
  const row = contract
    ? page.locator(`[data-testid="tier-row"][data-contract="${contract}"]:visible`).first()
    : page.locator('[data-testid="tier-row"]:visible').first()
  await row.waitFor()
  return (await row.getAttribute('data-package')) ?? ''
}

const balanceOf = async (page) => Number(await page.getByTestId('wallet-tft').getAttribute('data-value'))

describe('the storefront owner funds the wallet with a top-up', { skip }, () => {
  test('the owner enrols TOTP and opens the wallet page', { timeout: 90_000 }, async () => {
    assert.ok(browser, 'the browser did not start')
    admin = await person(browser, 'treasurer')
    const { page } = admin
    await logIn(page, storefrontURL, treasurer)
    await page.waitForURL(/\/account\/two-factor\?/)
    totpSecret = await enrolTOTP(page)
    await page.waitForURL(/\/admin$/)
    await page.getByTestId('admin-nav-wallet').click()
    await page.waitForURL(/\/admin\/wallet$/)
    await page.locator('[data-testid="wallet-page"][data-state="missing"]').waitFor()
    assert.match(await page.getByTestId('secrets-note').innerText(), /encrypted and never shown again/i)
    assert.equal(await page.getByTestId('section-pending').count(), 0, 'the wallet page is still "being built"')
    await page.evaluate(() => window.scrollTo(0, 0))
    await shotBoth(page, 'admin-wallet-setup')
    assert.deepEqual(admin.errors, [])
  })

  test('adds the wallet by its phrase: a wrong phrase and one without a twin are refused; the twin is derived', { timeout: 60_000 }, async () => {
    assert.ok(admin, 'the login step did not run')
    const { page } = admin
    const form = page.getByTestId('wallet-form')
    const phrase = form.locator('textarea[name="mnemonic"]')
    const secret = form.locator('input[name="stellar_secret"]')
    assert.equal(await secret.getAttribute('type'), 'password', 'the Stellar secret is typed in the clear')
    // The phrase is masked like a password until "Show".
    assert.equal(await phrase.evaluate((el) => getComputedStyle(el).getPropertyValue('-webkit-text-security')), 'disc')

    assert.equal(await form.locator('input[name="twin_id"]').count(), 0, 'the twin id is typed in, not derived')
    await phrase.fill(`${Array(11).fill('abandon').join(' ')} abuot`) // a typo: not a word of the list
    await secret.fill(seed)
    await page.getByTestId('wallet-save').click()
    assert.match(await form.getByTestId('field-error-mnemonic').innerText(), /not a valid 12 or 24 word recovery phrase/i)
    assert.equal(await phrase.evaluate((el) => el === document.activeElement), true, 'the phrase is not focused')

    if (orphan) {
      await phrase.fill(orphan)
      await page.getByTestId('wallet-save').click()
      await eventually(async () =>
        assert.match(await form.getByTestId('field-error-mnemonic').innerText(), /no twin for this account — create one in the TF Dashboard first/i),
      )
    }

    await phrase.fill(mnemonic)
    await page.getByTestId('wallet-save').click()
    await page.locator('[data-testid="wallet-page"][data-state="ready"]').waitFor()
    await page.getByTestId('wallet-notice').filter({ hasText: new RegExp(`twin ${twin}, found from the recovery phrase`) }).waitFor()
    await page.getByTestId('wallet-notice').filter({ hasText: /will not be shown again/i }).waitFor()

    // The page shows the wallet, never its secrets.
    const html = await page.content()
    assert.ok(!html.includes(seed), 'the Stellar secret is in the page')
    assert.ok(!html.includes(mnemonic), 'the recovery phrase is in the page')
    assert.equal(await page.getByTestId('wallet-twin').innerText(), twin)
    assert.match(await page.getByTestId('wallet-stellar-account').innerText(), /^G[A-Z2-7]{55}$/)
    assert.equal(await page.getByTestId('kyc-status').getAttribute('data-verified'), 'true')
    assert.equal(await page.getByTestId('kyc-warning').count(), 0)
    assert.ok((await balanceOf(page)) > 0, 'no TFT balance shown')
    assert.ok(Number(await page.getByTestId('wallet-usdc').getAttribute('data-value')) > 0, 'no USDC shown')
    assert.match(await page.getByTestId('tier-headline').innerText(), /^Reach (Default|Bronze|Silver|Gold) with [\d,.]+ TFT more$/)
    assert.equal(await tierOf(page), 'none', 'the contract already has a discount before the top-up')

    // The chart of balance and burn: both lines, dates below, values on both sides.
    const chart = page.getByTestId('wallet-chart')
    await chart.waitFor()
    assert.ok(Number(await chart.getAttribute('data-points')) > 1, 'the chart has no history to draw')
    assert.match((await chart.getByTestId('chart-balance').getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/)
    assert.match((await chart.getByTestId('chart-burn').getAttribute('d')) ?? '', /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/)
    assert.ok((await chart.getByTestId('chart-x').count()) >= 2, 'the chart has no dates')
    assert.ok((await chart.getByTestId('chart-y-left').count()) >= 3, 'the chart has no balance axis')
    // Pointing at the chart reads out a day.
    const svg = chart.getByTestId('wallet-chart-svg')
    const boxOf = await svg.boundingBox()
    assert.ok(boxOf, 'the chart is not drawn')
    await page.mouse.move(boxOf.x + boxOf.width / 2, boxOf.y + boxOf.height / 2)
    await chart.getByTestId('chart-readout').filter({ hasText: /Balance [\d,.]+ TFT/ }).waitFor()
    await page.mouse.move(0, 0)
    assert.deepEqual(admin.errors, [])
  })

  test('sets a policy: a monthly cap under the per-top-up cap is refused beside it', { timeout: 60_000 }, async () => {
    assert.ok(admin, 'the login step did not run')
    const { page } = admin
    await page.getByTestId('policy-missing').waitFor()
    assert.ok(await page.getByTestId('topup-now').isDisabled(), '"Top up now" works without a policy')
    const form = page.getByTestId('policy-form')
    await form.locator('input[name="min_runway_days"]').fill('30')
    await form.locator('select[name="target_tier"]').selectOption('bronze')
    await form.locator('input[name="max_per_topup_tft"]').fill('2000')
    await form.locator('input[name="max_per_month_tft"]').fill('100')
    await form.locator('input[name="slippage_bps"]').fill('1')
    await page.getByTestId('policy-save').click()
    assert.match(await form.getByTestId('field-error-max_per_month_tft').innerText(), /at least the most per top-up/i)

    await form.locator('input[name="max_per_month_tft"]').fill('10000')
    await page.getByTestId('policy-save').click()
    await page.getByTestId('wallet-notice').filter({ hasText: /policy saved/i }).waitFor()
    await page.getByTestId('policy-missing').waitFor({ state: 'detached' })
    assert.equal(await form.locator('select[name="target_tier"]').inputValue(), 'bronze')
    assert.equal(await form.locator('input[name="max_per_month_tft"]').inputValue(), '10000')
    assert.deepEqual(admin.errors, [])
  })

  test('"Top up now": the steps complete to reconciled, the balance and the tier go up', { timeout: 120_000 }, async () => {
    assert.ok(admin, 'the login step did not run')
    const { page } = admin
    const balance = await balanceOf(page)
    const tier = await tierOf(page)
    const headline = await page.getByTestId('tier-headline').innerText()

    await page.getByTestId('topup-now').click()
    // "Top up now" first confirms what it will spend (issue 15 item 9).
    const confirm = page.getByTestId('topup-confirm')
    await confirm.waitFor()
    const says = await confirm.getByTestId('topup-confirm-amount').innerText()
    assert.match(says, /up to [\d.,]+ TFT/, `the confirmation names the amount: ${says}`)
    assert.match(await confirm.getByTestId('confirm-button').innerText(), /USDC|TFT/)
    if (shots) await confirm.screenshot({ path: join(shots, 'wallet-topup-confirm-1440.png') }).catch(() => {})
    await confirm.getByTestId('confirm-button').click()
    const topup = page.getByTestId('topup').first()
    await topup.waitFor()
    // Best effort: a picture of the stepper while the top-up is under way.
    if (shots && (await topup.getAttribute('data-state')) !== 'reconciled') {
      await page.getByTestId('wallet-topups').screenshot({ path: join(shots, 'wallet-topup-under-way-1440.png') }).catch(() => {})
    }
    // Follow the top-up as the page polls it, recording the states it shows.
    const seen = []
    await eventually(
      async () => {
        const state = await topup.getAttribute('data-state')
        if (state && seen.at(-1) !== state) seen.push(state)
        assert.notEqual(state, 'failed', `the top-up failed: ${await topup.innerText().catch(() => '')}`)
        assert.equal(state, 'reconciled')
      },
      { timeout: 60_000, interval: 150 },
    )
    assert.ok(seen.length > 1, `the page never showed the top-up under way (states seen: ${seen.join(' → ')})`)
    const steps = topup.locator('[data-testid="topup-step"]:visible')
    assert.deepEqual(await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-step'))), [
      'planned',
      'quoted',
      'swapped',
      'bridged',
      'minted',
      'reconciled',
    ])
    assert.deepEqual(await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), Array(6).fill('done'))
    assert.match(await topup.getByTestId('topup-amount').innerText(), /^[\d,.]+ TFT$/)
    assert.equal(await page.getByTestId('topup-alert').count(), 0)

    // The minted TFT show on the balance, and lift the contract's tier.
    await eventually(async () => assert.ok((await balanceOf(page)) > balance, `the balance stayed at ${balance} TFT`), { timeout: 10_000 })
    const after = await tierOf(page)
    assert.ok(tiers.indexOf(after) > tiers.indexOf(tier), `the contract's tier stayed ${tier} (now ${after})`)
    assert.notEqual(await page.getByTestId('tier-headline').innerText(), headline)
    assert.ok(await page.getByTestId('topup-now').isEnabled(), '"Top up now" stays disabled after the top-up')
    await page.getByTestId('wallet-notice').filter({ hasText: /TFT done/ }).waitFor()
    await page.evaluate(() => window.scrollTo(0, 0))
    await shotBoth(page, 'admin-wallet')

    // The chart picks up the top-up.
    await page.getByTestId('wallet-chart').waitFor()
    assert.deepEqual(admin.errors, [])
  })

  test('replacing the wallet asks for two-factor again', { timeout: 90_000 }, async () => {
    assert.ok(admin, 'the login step did not run')
    const { page } = admin
    // The replace dialog asks for both secrets again, with the same note, and a code.
    await page.getByTestId('wallet-replace').click()
    const dialog = page.getByTestId('wallet-replace-dialog')
    await dialog.getByTestId('secrets-note').waitFor()
    assert.equal(await dialog.locator('textarea[name="mnemonic"]').inputValue(), '')
    assert.equal(await dialog.locator('input[name="stellar_secret"]').inputValue(), '')
    const code = dialog.locator('input[name="totp_code"]')
    await code.waitFor()
    await dialog.locator('textarea[name="mnemonic"]').fill(mnemonic)
    await dialog.locator('input[name="stellar_secret"]').fill(seed)
    await shotBoth(page, 'admin-wallet-replace')

    // No code, then a wrong one: refused beside the code, nothing replaced.
    await dialog.getByTestId('wallet-save').click()
    assert.match(await dialog.getByTestId('field-error-totp_code').innerText(), /code/i)
    // Only to pick a code that is surely wrong: freshCode would spend this step's code.
    const good = totp(totpSecret)
    await code.fill(good === '000000' ? '111111' : '000000')
    await dialog.getByTestId('wallet-save').click()
    await eventually(async () => assert.match(await dialog.getByTestId('field-error-totp_code').innerText(), /not right/i))
    assert.equal(await code.inputValue(), '', 'the refused code stays in the field')

    await code.fill(await freshCode(totpSecret))
    await dialog.getByTestId('wallet-save').click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByTestId('wallet-notice').filter({ hasText: new RegExp(`Wallet replaced: now twin ${twin}`) }).waitFor()
    assert.equal(await page.getByTestId('wallet-twin').innerText(), twin)
    const html = await page.content()
    assert.ok(!html.includes(seed) && !html.includes(mnemonic), 'a secret is in the page after the replacement')
    assert.deepEqual(admin.errors, [])
  })

  test('the console shows the storefront\'s treasury health', { skip: !consoleURL || !consoleAdmin.email, timeout: 90_000 }, async () => {
    assert.ok(browser, 'the browser did not start')
    const ops = await person(browser, 'treasury-console')
    try {
      const { page } = ops
      await logIn(page, consoleURL, consoleAdmin)
      await page.waitForURL(/\/account\/two-factor\?/)
      await enrolTOTP(page)
      await page.goto(url(consoleURL, '/tenants'))
      const slug = new URL(storefrontURL).hostname.split('.')[0]
      const row = page.locator(`[data-testid="tenant-row"][data-slug="${slug}"]:visible`).first()
      await row.waitFor()
      const health = row.getByTestId('tenant-wallet-health')
      assert.equal(await health.getAttribute('data-health'), 'healthy')
      assert.match((await health.getAttribute('title')) ?? '', /\d+ days? of runway/)
      // A storefront without a wallet says so, not a placeholder.
      const others = page.locator('[data-testid="tenant-wallet-health"]:visible')
      const words = await others.evaluateAll((els) => els.map((e) => e.getAttribute('data-health')))
      assert.ok(words.includes('not set up'), `no storefront without a wallet in ${words.join(', ')}`)
      assert.ok(!words.includes('not connected'), 'the wallet column still shows the placeholder')
      await shotBoth(page, 'console-tenants-treasury')
      assert.deepEqual(ops.errors, [])
    } finally {
      await ops.context.close().catch(() => {})
    }
  })
})
