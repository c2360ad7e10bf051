// End-to-end test of payments in headless Chromium against the real server in Stripe's
// mock mode (stripe-mock plus the development event emitter, whose signed webhooks the
// server processes): a customer saves Stripe's test card on /billing, orders a Small VM on
// /deploy, and the order becomes paid through the webhook, with a receipt. Then a card that
// declines: the page says so plainly, nothing is charged, and the payments list shows the
// failed order. A visitor sees the prices and "Log in to deploy".
//
// Run with `node --test web/ui/e2e/`. Besides FD_E2E_STOREFRONT_URL it needs a verified
// customer of that storefront, whose storefront is connected to Stripe:
//   FD_E2E_CUSTOMER_EMAIL, FD_E2E_CUSTOMER_PASSWORD
//   FD_E2E_SCREENSHOT_DIR   optional; PNGs at 1440 and 375 px
// Each run needs a fresh customer (a new database, as the Go test harness makes): the test
// cards are saved once per account.

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { chromium } from 'playwright-core'

const env = (k) => process.env[k] ?? ''
const storefrontURL = env('FD_E2E_STOREFRONT_URL')
const screenshotDir = env('FD_E2E_SCREENSHOT_DIR')
const customer = { email: env('FD_E2E_CUSTOMER_EMAIL'), password: env('FD_E2E_CUSTOMER_PASSWORD') }

const required = {
  FD_E2E_STOREFRONT_URL: storefrontURL,
  FD_E2E_CUSTOMER_EMAIL: customer.email,
  FD_E2E_CUSTOMER_PASSWORD: customer.password,
}
const missing = Object.entries(required)
  .filter(([, v]) => !v)
  .map(([k]) => k)
const skip = missing.length ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set` : false

const DESKTOP = { width: 1440, height: 900 }
const PHONE = { width: 375, height: 812 }
const url = (path) => new URL(path, storefrontURL).href

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

async function person(name) {
  assert.ok(browser, 'browser was not launched')
  const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1 })
  contexts.push(context)
  const page = await context.newPage()
  page.setDefaultTimeout(20_000)
  const errors = []
  page.on('pageerror', (err) => errors.push(`${name}: ${err.message}`))
  return { context, page, errors }
}

/** shotBoth screenshots the page at 1440 and 375 px and fails when it scrolls sideways at 375. */
async function shotBoth(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {})
  if (screenshotDir)
    await page.screenshot({ path: join(screenshotDir, `payments-${name}-1440.png`), fullPage: true, animations: 'disabled' })
  await page.setViewportSize(PHONE)
  try {
    await page.waitForTimeout(200)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at 375 px`)
    if (screenshotDir)
      await page.screenshot({ path: join(screenshotDir, `payments-${name}-375.png`), fullPage: true, animations: 'disabled' })
  } finally {
    await page.setViewportSize(DESKTOP)
  }
}

/** addTestCard saves one of Stripe's test cards on /billing and waits until it is listed. */
async function addTestCard(page, paymentMethod, last4) {
  await page.goto(url('/billing'))
  await page.getByTestId('cards-panel').waitFor()
  await page.getByTestId('add-card-button').first().click()
  const dialog = page.getByTestId('add-card-dialog')
  await dialog.waitFor()
  const option = dialog.getByTestId(`test-card-${paymentMethod}`)
  // The test cards are labelled as such: no one mistakes them for a real card form.
  assert.match(await option.locator('xpath=..').innerText(), /Test card/)
  await option.check()
  await dialog.getByTestId('save-card').click()
  // Saved when Stripe's setup_intent.succeeded webhook has been processed.
  await page.locator(`[data-testid="saved-card"][data-last4="${last4}"]`).waitFor({ timeout: 20_000 })
  await dialog.waitFor({ state: 'hidden' })
}

/** sshPublicKey makes a real OpenSSH ed25519 public key line. */
function sshPublicKey() {
  const der = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' })
  const str = (b) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(der.subarray(der.length - 32))])
  return `ssh-ed25519 ${blob.toString('base64')} e2e@payments`
}

let servers = 0

/** pay orders a Small VM for a month with the card picked (by payment method id). */
async function paySmall(page, paymentMethod) {
  await page.goto(url('/deploy?size=small'))
  const small = page.getByTestId('size-small')
  await small.waitFor()
  assert.equal(await small.getAttribute('data-checked'), 'true', 'Small is not preselected from ?size=small')
  // The VM's own sections (name, SSH key), where the deploy page has them.
  const name = page.getByTestId('deploy-name')
  if (await name.count()) {
    servers += 1
    await name.fill(`pay-test-${servers}`)
    // The first order pastes a key (and saves it, the form's default); later ones get
    // the saved key preselected.
    await page.getByTestId('deploy-ssh-section').waitFor()
    await page.waitForLoadState('networkidle').catch(() => {})
    if ((await page.getByTestId('saved-key').count()) === 0) await page.getByTestId('deploy-ssh-key').fill(sshPublicKey())
  }
  await page.getByTestId(`pick-card-${paymentMethod}`).click()
  const pay = page.getByTestId('pay-button')
  // The button names the live price from /api/quote, e.g. "Pay $6.08".
  await page.waitForFunction(
    () => /^Pay \D*\d/.test(document.querySelector('[data-testid="pay-button"]')?.textContent?.trim() ?? ''),
  )
  assert.ok(await pay.isEnabled(), 'the pay button is disabled')
  const label = (await pay.innerText()).trim()
  const total = (await page.getByTestId('summary-total').innerText()).trim()
  assert.ok(label.includes(total), `the button "${label}" does not show the total ${total}`)
  await pay.click()
  return total
}

describe('payments: test cards, checkout through the webhook, a declined card', { skip }, () => {
  test('a visitor sees real prices and is asked to log in to deploy', { timeout: 60_000 }, async () => {
    const { page, errors } = await person('visitor')
    await page.goto(url('/'))
    const price = page.getByTestId('offer-price').first()
    await price.waitFor()
    assert.match(await price.innerText(), /\d.*\/ month/, 'the home page offers show no monthly price')
    await shotBoth(page, 'home-offers')

    await page.goto(url('/deploy'))
    await page.getByTestId('size-options').waitFor()
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="summary-monthly"]')?.textContent ?? ''))
    assert.match(await page.getByTestId('summary-monthly').innerText(), /\/ month$/)
    await page.getByTestId('login-to-deploy').waitFor()
    assert.equal(await page.getByTestId('pay-button').count(), 0, 'a visitor must not see the pay button')

    // The price follows the choices, from the server: a year ahead costs more today than a month.
    const month = await page.getByTestId('summary-total').innerText()
    await page.getByTestId('period-12').click()
    await page.waitForFunction(
      (before) => {
        const t = document.querySelector('[data-testid="summary-total"]')?.textContent?.trim() ?? ''
        return /\d/.test(t) && t !== before
      },
      month.trim(),
    )
    await shotBoth(page, 'deploy-visitor')
    assert.deepEqual(errors, [])
  })

  test('a customer saves the test card, pays for a Small VM and gets a receipt', { timeout: 120_000 }, async () => {
    const { page, errors } = await person('customer')
    await page.goto(url('/login'))
    const form = page.getByTestId('login-form')
    await form.waitFor()
    await form.locator('input[name="email"]').fill(customer.email)
    await form.locator('input[name="password"]').fill(customer.password)
    await page.getByTestId('login-submit').click()
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))

    // No card yet: the billing page says how to start.
    await page.goto(url('/billing'))
    await page.getByTestId('cards-panel').getByTestId('empty-state').waitFor()
    await shotBoth(page, 'billing-empty')

    await addTestCard(page, 'pm_card_visa', '4242')
    await page.getByTestId('default-card').waitFor()

    await paySmall(page, 'pm_card_visa')
    // Paid once Stripe's payment_intent.succeeded webhook is processed: the confirmation
    // (or the new deployment's page) then offers the receipt.
    const receipt = page.getByTestId('receipt-link')
    await receipt.waitFor({ timeout: 30_000 })
    const href = await receipt.getAttribute('href')
    assert.match(href ?? '', /^\/api\/orders\/[0-9a-f-]{36}\/receipt$/)
    assert.equal(await receipt.getAttribute('target'), '_blank')
    // Fetched by the browser itself (its cookies; *.localhost resolves there, not in node).
    const res = await page.evaluate(async (h) => {
      const r = await fetch(h, { credentials: 'same-origin' })
      return { status: r.status, text: await r.text() }
    }, href)
    assert.equal(res.status, 200, 'the receipt does not open')
    assert.match(res.text, /Receipt for payment/)
    await shotBoth(page, 'deploy-paid')

    // The payment is listed with its receipt.
    await page.goto(url('/billing'))
    const paidRow = page.locator('[data-testid="order-row"][data-status="paid"]').first()
    await paidRow.waitFor()
    assert.ok(await paidRow.getByTestId('order-receipt').isVisible())
    assert.equal(await page.getByTestId('failed-payment-banner').count(), 0)

    // ——— A card that declines ———
    await addTestCard(page, 'pm_card_chargeDeclined', '0002')
    await paySmall(page, 'pm_card_chargeDeclined')
    const declined = page.getByTestId('payment-declined')
    await declined.waitFor({ timeout: 30_000 })
    const text = await declined.innerText()
    assert.match(text, /declined/i, 'the decline is not named')
    assert.match(text, /No money was taken/)
    assert.equal(await page.getByTestId('receipt-link').count(), 0, 'a declined payment shows a receipt')
    // The form stays, to pay with another card.
    await page.getByTestId('pick-card-pm_card_visa').waitFor()
    assert.ok(await page.getByTestId('pay-button').isVisible())
    await shotBoth(page, 'deploy-declined')

    // Billing: a failed-payment banner, and the failed order charged nothing.
    await page.goto(url('/billing'))
    await page.getByTestId('failed-payment-banner').waitFor()
    const failedRow = page.locator('[data-testid="order-row"][data-status="failed"]').first()
    await failedRow.waitFor()
    assert.match(await failedRow.innerText(), /Not charged/)
    assert.equal(await failedRow.getByTestId('order-receipt').count(), 0, 'a failed payment has no receipt')
    const orders = await page.evaluate(async () => (await fetch('/api/orders', { credentials: 'same-origin' })).json())
    const failed = orders.items.filter((o) => o.status === 'failed')
    assert.equal(failed.length, 1, 'one failed order')
    assert.equal(failed[0].paid_at, null, 'the failed order was marked paid')
    assert.equal(failed[0].refunded_cents, 0)
    // Only the first order was charged (provisioning may refund it later: paid or refunded).
    assert.equal(orders.items.filter((o) => o.paid_at).length, 1, 'the decline charged a card')
    await shotBoth(page, 'billing-failed')

    // ——— A card that asks for 3-D Secure: the test stand-in, then paid ———
    await addTestCard(page, 'pm_card_authenticationRequired', '3184')
    await paySmall(page, 'pm_card_authenticationRequired')
    const dialog = page.getByTestId('three-d-secure-dialog')
    await dialog.waitFor()
    assert.match(await dialog.innerText(), /Test 3-D Secure/)
    await dialog.getByTestId('complete-authentication').click()
    await page.getByTestId('receipt-link').waitFor({ timeout: 30_000 })

    assert.deepEqual(errors, [])
  })
})
