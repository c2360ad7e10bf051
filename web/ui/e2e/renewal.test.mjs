// End-to-end test of a renewal the bank wants authenticated (SCA), in headless Chromium
// against the real server in Stripe's mock mode. The Go harness has renewed the
// customer's subscription off-session with pm_card_authenticationRequired: the emitter
// answered as Stripe does (payment_intent.payment_failed, code authentication_required),
// so the renewal waits for the customer. The customer opens the payment page the mail
// links to (/pay/<order>; /billing links to it too), confirms the payment on-session, passes the (test) bank check,
// and the renewal ends paid; /billing shows it paid and no overdue banner.
//
// Needs FD_E2E_STOREFRONT_URL, FD_E2E_RENEWER_EMAIL, FD_E2E_RENEWER_PASSWORD and
// FD_E2E_RENEWAL_ORDER (the order waiting for authentication); FD_E2E_SCREENSHOT_DIR
// optional.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { env, launch, logIn, missingEnv, person, shooter, url } from './support.mjs'

const storefrontURL = env('FD_E2E_STOREFRONT_URL')
const renewer = { email: env('FD_E2E_RENEWER_EMAIL'), password: env('FD_E2E_RENEWER_PASSWORD') }
const order = env('FD_E2E_RENEWAL_ORDER')
const skip = missingEnv({
  FD_E2E_STOREFRONT_URL: storefrontURL,
  FD_E2E_RENEWER_EMAIL: renewer.email,
  FD_E2E_RENEWER_PASSWORD: renewer.password,
  FD_E2E_RENEWAL_ORDER: order,
})
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'renewal')

let browser
before(async () => {
  if (!skip) browser = await launch()
})
after(async () => {
  await browser?.close()
})

describe('a renewal that needs the customer to authenticate', { skip }, () => {
  test('the customer confirms it on the payment page and it ends paid', async () => {
    const { page, errors, context } = await person(browser, 'renewer')
    try {
      await logIn(page, storefrontURL, renewer)
      await page.waitForURL((u) => !u.pathname.startsWith('/login'))
      // /billing says a payment waits for the customer and links to its page
      // (the same page the mail links to).
      await page.goto(url(storefrontURL, '/billing'))
      await page.getByTestId('authentication-banner').waitFor()
      await shotBoth(page, 'billing-waiting')
      await page.getByTestId('confirm-payment-link').click()
      await page.waitForURL((u) => u.pathname === `/pay/${order}`)
      const card = page.getByTestId('pay-page')
      await card.waitFor()
      assert.match(await page.getByTestId('pay-amount').innerText(), /6\.08/)
      await shotBoth(page, 'pay-page')
      await page.getByTestId('pay-confirm').click()
      await page.getByTestId('three-d-secure-dialog').waitFor()
      await page.getByTestId('complete-authentication').click()
      await page.getByTestId('pay-paid').waitFor({ timeout: 30_000 })
      await shotBoth(page, 'paid')
      // The order shows paid on /billing, and nothing is overdue.
      await page.goto(url(storefrontURL, '/billing'))
      await page.getByTestId('order-status').first().waitFor()
      const statuses = await page.getByTestId('order-status').allInnerTexts()
      assert.ok(statuses.some((s) => /paid/i.test(s)), `order statuses on /billing: ${statuses.join(', ')}`)
      assert.equal(await page.getByTestId('overdue-banner').count(), 0, 'an overdue banner after paying')
      assert.equal(await page.getByTestId('authentication-banner').count(), 0, 'still asked to authenticate after paying')
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })
})
