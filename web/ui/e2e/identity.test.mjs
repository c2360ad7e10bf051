// End-to-end test of identity in headless Chromium against the real server: sign-up,
// e-mail verification through the development outbox, log-in, TOTP enrolment, and the
// node-operator request → approval flow across the console and a storefront.
//
// Run with `node --test web/ui/e2e/`. Besides the URLs of shell.test.mjs it needs:
//   FD_E2E_SUPERADMIN_EMAIL, FD_E2E_SUPERADMIN_PASSWORD       a super-admin WITHOUT 2FA yet
//   FD_E2E_TENANT_ADMIN_EMAIL, FD_E2E_TENANT_ADMIN_PASSWORD   the storefront's owner/admin, no 2FA yet
//   FD_E2E_OPERATOR_EMAIL, FD_E2E_OPERATOR_PASSWORD           a verified node operator (no 2FA)
//   FD_E2E_TENANT_SLUG                                         optional; the storefront's slug (default: demo)
//   FD_E2E_SCREENSHOT_DIR                                      optional; PNGs at 1440 and 375 px
// The accounts' 2FA is switched on by the test, so each run needs fresh accounts (a new
// database, as the Go test harness makes).

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { chromium } from 'playwright-core'
import { freshCode } from './support.mjs'

const env = (k) => process.env[k] ?? ''
const storefrontURL = env('FD_E2E_STOREFRONT_URL')
const consoleURL = env('FD_E2E_CONSOLE_URL')
const screenshotDir = env('FD_E2E_SCREENSHOT_DIR')
const tenantSlug = env('FD_E2E_TENANT_SLUG') || 'demo'
const superAdmin = { email: env('FD_E2E_SUPERADMIN_EMAIL'), password: env('FD_E2E_SUPERADMIN_PASSWORD') }
const tenantAdmin = { email: env('FD_E2E_TENANT_ADMIN_EMAIL'), password: env('FD_E2E_TENANT_ADMIN_PASSWORD') }
const operator = { email: env('FD_E2E_OPERATOR_EMAIL'), password: env('FD_E2E_OPERATOR_PASSWORD') }

const required = {
  FD_E2E_STOREFRONT_URL: storefrontURL,
  FD_E2E_CONSOLE_URL: consoleURL,
  FD_E2E_SUPERADMIN_EMAIL: superAdmin.email,
  FD_E2E_SUPERADMIN_PASSWORD: superAdmin.password,
  FD_E2E_TENANT_ADMIN_EMAIL: tenantAdmin.email,
  FD_E2E_TENANT_ADMIN_PASSWORD: tenantAdmin.password,
  FD_E2E_OPERATOR_EMAIL: operator.email,
  FD_E2E_OPERATOR_PASSWORD: operator.password,
}
const missing = Object.entries(required)
  .filter(([, v]) => !v)
  .map(([k]) => k)
const skip = missing.length ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set` : false

const DESKTOP = { width: 1440, height: 900 }
const PHONE = { width: 375, height: 812 }

// ——— Browser plumbing ———

/** @type {import('playwright-core').Browser | undefined} */
let browser
const contexts = []

before(async () => {
  if (skip) return
  if (screenshotDir) mkdirSync(screenshotDir, { recursive: true })
  browser = await chromium.launch({
    executablePath: process.env.FD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
})

after(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  await browser?.close()
})

/** A signed-in person: one browser context (its own cookies) and one page. */
async function person(name) {
  assert.ok(browser, 'browser was not launched')
  const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1 })
  contexts.push(context)
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const errors = []
  page.on('pageerror', (err) => errors.push(`${name}: ${err.message}`))
  return { page, errors }
}

const url = (base, path) => new URL(path, base).href

async function shot(page, name) {
  if (!screenshotDir) return
  await page.screenshot({ path: join(screenshotDir, `identity-${name}.png`), fullPage: true })
}

/** shotBoth screenshots the current page at 1440 and at 375 px and checks nothing scrolls sideways. */
async function shotBoth(page, name) {
  await shot(page, `${name}-1440`)
  await page.setViewportSize(PHONE)
  try {
    await page.waitForTimeout(150)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at 375 px`)
    await shot(page, `${name}-375`)
  } finally {
    await page.setViewportSize(DESKTOP)
  }
}

async function logIn(page, base, who) {
  await page.goto(url(base, '/login'))
  const form = page.getByTestId('login-form')
  await form.waitFor()
  await form.locator('input[name="email"]').fill(who.email)
  await form.locator('input[name="password"]').fill(who.password)
  await page.getByTestId('login-submit').click()
}

/** enrolTOTP walks the 2FA page: start, read the key, confirm a code, keep the recovery codes. */
async function enrolTOTP(page, shotName) {
  await page.getByTestId('mfa-required-banner').waitFor()
  if (shotName) await shotBoth(page, `${shotName}-mfa-required`)
  await page.getByTestId('totp-start').click()
  const secretEl = page.getByTestId('totp-secret')
  await secretEl.waitFor()
  await page.getByTestId('totp-qr').waitFor()
  const secret = await secretEl.getAttribute('data-secret')
  assert.ok(secret && /^[A-Z2-7=]+$/i.test(secret), `the page shows no usable TOTP secret: ${secret}`)
  if (shotName) await shotBoth(page, `${shotName}-mfa-enrol`)
  await page.getByTestId('totp-code').fill(await freshCode(secret))
  await page.getByTestId('totp-confirm').click()
  await page.getByTestId('recovery-codes').waitFor()
  assert.equal(await page.getByTestId('recovery-code').count(), 10, 'ten recovery codes are shown')
  if (shotName) await shotBoth(page, `${shotName}-recovery-codes`)
  assert.ok(await page.getByTestId('totp-continue').isDisabled(), 'Continue waits until the codes are saved')
  await page.getByTestId('recovery-saved').check()
  await page.getByTestId('totp-continue').click()
  return secret
}

async function openUserMenu(page) {
  await page.getByTestId('user-menu-button').click()
  await page.getByTestId('user-menu').waitFor()
  return (await page.getByTestId('user-email').textContent())?.trim()
}

// ——— The flow; each step relies on the ones before it ———

describe('identity end to end', { skip, concurrency: false }, () => {
  /** @type {{ page: import('playwright-core').Page, errors: string[] }} */
  let sa
  /** @type {{ page: import('playwright-core').Page, errors: string[] }} */
  let op
  const customer = {
    email: `e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.com`,
    password: `Trellis ${randomBytes(6).toString('hex')} harbour`,
  }

  test('the super-admin is walked through TOTP enrolment at first console login and reaches the outbox', { timeout: 90_000 }, async () => {
    sa = await person('super-admin')
    const { page } = sa
    await page.goto(url(consoleURL, '/login'))
    await page.getByTestId('login-form').waitFor()
    await shotBoth(page, 'console-login')

    // A wrong password is refused with a message and without a session.
    await page.getByTestId('login-form').locator('input[name="email"]').fill(superAdmin.email)
    await page.getByTestId('login-form').locator('input[name="password"]').fill('not the password at all')
    await page.getByTestId('login-submit').click()
    await page.getByTestId('form-error').or(page.getByTestId('field-error-password')).first().waitFor()

    await logIn(page, consoleURL, superAdmin)
    await page.waitForURL(/\/account\/two-factor\?/)
    await enrolTOTP(page, 'console')
    await page.getByTestId('user-menu-button').waitFor()
    assert.equal(await openUserMenu(page), superAdmin.email.toLowerCase())
    await page.keyboard.press('Escape')
    await page.getByTestId('console-signed-in').waitFor()
    await shotBoth(page, 'console-home-super-admin')

    const nav = page.getByRole('navigation', { name: 'Main' }).first()
    for (const label of ['Super-admins', 'Audit log', 'Outbox']) {
      assert.ok(await nav.getByRole('link', { name: label, exact: true }).isVisible(), `console nav lacks ${label}`)
    }
    assert.equal(await nav.getByRole('link', { name: 'Dashboards', exact: true }).count(), 0, 'a super-admin sees no operator nav')

    await nav.getByRole('link', { name: 'Outbox', exact: true }).click()
    await page.waitForURL(/\/outbox$/)
    await page.getByRole('heading', { name: 'Outbox' }).waitFor()
    await page.getByTestId('outbox-row').first().or(page.getByTestId('empty-state')).first().waitFor()
    assert.equal(await page.getByTestId('load-error').count(), 0, 'the outbox failed to load')
    await shotBoth(page, 'console-outbox')

    await page.goto(url(consoleURL, '/super-admins'))
    await page.getByTestId('super-admin-row').first().waitFor()
    await shotBoth(page, 'console-super-admins')
    await page.goto(url(consoleURL, '/audit'))
    await page.getByTestId('audit-row').first().waitFor()
    assert.ok(
      (await page.locator('[data-testid="audit-row"][data-action]').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))).length > 0,
    )
    await shotBoth(page, 'console-audit')
    assert.deepEqual(sa.errors, [])
  })

  test('a customer signs up on the storefront, verifies through the outbox and logs in', { timeout: 90_000 }, async () => {
    assert.ok(sa, 'the super-admin step did not run')
    const c = await person('customer')
    const { page } = c
    await page.goto(url(storefrontURL, '/signup'))
    const form = page.getByTestId('signup-form')
    await form.waitFor()
    await shotBoth(page, 'storefront-signup')

    // The server's password rule is shown beside the password field.
    await form.locator('input[name="email"]').fill(customer.email)
    await form.locator('input[name="password"]').fill('short')
    await page.getByTestId('signup-submit').click()
    await page.getByTestId('field-error-password').waitFor()
    await shotBoth(page, 'storefront-signup-error')

    await form.locator('input[name="password"]').fill(customer.password)
    await page.getByTestId('signup-submit').click()
    await page.getByTestId('signup-done').waitFor()
    await shotBoth(page, 'storefront-signup-done')

    // The verification mail, as the super-admin sees it in the development outbox.
    const sp = sa.page
    await sp.goto(url(consoleURL, '/outbox'))
    const row = sp.locator(`[data-testid="outbox-row"][data-to="${customer.email}"]`).first()
    for (let i = 0; i < 20 && !(await row.isVisible()); i++) {
      await sp.waitForTimeout(500)
      await sp.getByTestId('outbox-refresh').click()
    }
    await row.getByTestId('outbox-open').click()
    await sp.getByTestId('outbox-message').waitFor()
    assert.equal((await sp.getByTestId('outbox-to').textContent())?.trim(), customer.email)
    const links = await sp.getByTestId('outbox-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    const verify = links.find((h) => h && h.includes('/verify-email?token='))
    assert.ok(verify, `the mail has no verification link: ${links.join(', ')}`)
    await shotBoth(sp, 'console-outbox-message')

    // Open the link on the storefront (the mail names the storefront's own host).
    const link = new URL(verify)
    const target = new URL(link.pathname + link.search, storefrontURL)
    await page.goto(target.href)
    await page.getByTestId('verify-success').waitFor()
    assert.doesNotMatch(await page.evaluate(() => document.body.innerText), /fiatdashboard/i)
    await shotBoth(page, 'storefront-verified')
    await page.getByTestId('verify-continue').click()
    await page.waitForURL(/\/login/)

    await logIn(page, storefrontURL, customer)
    await page.getByTestId('user-menu-button').waitFor()
    assert.equal(await openUserMenu(page), customer.email)
    assert.equal(await page.getByTestId('menu-admin').count(), 0, 'a customer has no Admin link')
    await page.keyboard.press('Escape')

    await page.goto(url(storefrontURL, '/account'))
    await page.getByTestId('email-verified').waitFor()
    await shotBoth(page, 'storefront-account')
    for (const [path, name] of [
      ['/account/password', 'storefront-account-password'],
      ['/account/two-factor', 'storefront-account-two-factor'],
      ['/account/sessions', 'storefront-account-sessions'],
      ['/account/tokens', 'storefront-account-tokens'],
    ]) {
      await page.goto(url(storefrontURL, path))
      await page.getByRole('heading', { level: 1 }).first().waitFor()
      await page.waitForLoadState('networkidle')
      assert.equal(await page.getByTestId('load-error').count(), 0, `${path} failed to load`)
      if (path === '/account/sessions') await page.getByTestId('current-session').first().waitFor({ state: 'attached' })
      await shotBoth(page, name)
    }

    // The admin area does not exist for a customer.
    await page.goto(url(storefrontURL, '/admin'))
    await page.getByTestId('not-found').waitFor()
    assert.deepEqual(c.errors, [])
  })

  test('the node operator asks to join the storefront from the console', { timeout: 60_000 }, async () => {
    op = await person('operator')
    const { page } = op
    await logIn(page, consoleURL, operator)
    await page.waitForURL(/\/dashboards$/)
    const row = page.locator(`[data-testid="dashboard-row"][data-slug="${tenantSlug}"]`).first()
    await row.waitFor()
    await shotBoth(page, 'console-dashboards')

    if (await row.getByTestId('request-join').isVisible()) {
      await row.getByTestId('request-join').click()
      const dialog = page.getByTestId('request-dialog')
      await dialog.getByTestId('request-message').fill('E2E farm: 3 certified nodes in Belgium.')
      await shotBoth(page, 'console-request-dialog')
      await dialog.getByTestId('request-submit').click()
      await page.getByTestId('dashboards-notice').waitFor()
    }
    await page.locator(`[data-testid="dashboard-row"][data-slug="${tenantSlug}"][data-status="pending"]`).first().waitFor()
    assert.deepEqual(op.errors, [])
  })

  test('the tenant admin enrols TOTP at first login and approves the request', { timeout: 90_000 }, async () => {
    assert.ok(op, 'the operator step did not run')
    const a = await person('tenant-admin')
    const { page } = a
    await logIn(page, storefrontURL, tenantAdmin)
    await page.waitForURL(/\/account\/two-factor\?/)
    await enrolTOTP(page, 'storefront-admin')
    await page.waitForURL(/\/admin$/)
    await page.getByTestId('admin-overview').waitFor()
    await page.waitForLoadState('networkidle')
    await shotBoth(page, 'storefront-admin-overview')

    assert.equal(await openUserMenu(page), tenantAdmin.email.toLowerCase())
    assert.equal(await page.getByTestId('menu-admin').count(), 1, 'staff see the Admin link')
    await page.keyboard.press('Escape')

    await page.getByTestId('admin-nav-members').click()
    await page.getByTestId('member-row').first().waitFor()
    await shotBoth(page, 'storefront-admin-members')

    await page.getByTestId('admin-nav-requests').click()
    const row = page.locator(`[data-testid="request-row"][data-email="${operator.email.toLowerCase()}"]`).first()
    await row.waitFor()
    await shotBoth(page, 'storefront-admin-requests')
    await row.getByTestId('request-approve').click()
    await page.getByTestId('confirm-dialog').getByTestId('confirm-button').click()
    await page.getByTestId('requests-notice').waitFor()
    await row.waitFor({ state: 'detached' })

    await page.getByTestId('status-tab-approved').click()
    await page.locator(`[data-testid="request-row"][data-email="${operator.email.toLowerCase()}"]`).first().waitFor()
    await shotBoth(page, 'storefront-admin-requests-approved')

    await page.getByTestId('admin-nav-audit').click()
    await page.getByTestId('audit-row').first().waitFor()
    await shotBoth(page, 'storefront-admin-audit')
    assert.deepEqual(a.errors, [])
  })

  test('the node operator then sees the storefront as approved', { timeout: 60_000 }, async () => {
    assert.ok(op, 'the operator step did not run')
    const { page } = op
    await page.reload()
    await page.locator(`[data-testid="dashboard-row"][data-slug="${tenantSlug}"][data-status="approved"]`).first().waitFor()
    await shotBoth(page, 'console-dashboards-approved')
    assert.deepEqual(op.errors, [])
  })

  test('the public sign-in pages render on both hosts', { timeout: 90_000 }, async () => {
    const v = await person('visitor')
    const { page } = v
    for (const [base, path, testId, name] of [
      [storefrontURL, '/login', 'login-page', 'storefront-login'],
      [storefrontURL, '/forgot-password', 'forgot-page', 'storefront-forgot-password'],
      [storefrontURL, '/reset-password?token=x', 'reset-page', 'storefront-reset-password'],
      [storefrontURL, '/verify-email', 'verify-resend-page', 'storefront-verify-email'],
      [consoleURL, '/signup', 'signup-page', 'console-signup'],
    ]) {
      await page.goto(url(base, path))
      await page.getByTestId(testId).waitFor()
      await shotBoth(page, name)
    }
    // Guarded pages send a visitor to log in and come back afterwards.
    await page.goto(url(storefrontURL, '/account/sessions'))
    await page.waitForURL(/\/login\?next=%2Faccount%2Fsessions/)
    assert.deepEqual(v.errors, [])
  })
})
