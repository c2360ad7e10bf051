// Money you can trust (issue 15), in headless Chromium against the real server: the
// deploy summary prices a standby VM on its own line; the admin pricing preview shows the
// standby's line and a positive margin for a Small with a standby at the demo prices; the
// admin overview and the billing page show the same month's figures, each with its
// definition. Screenshots at 1440 and 375 px.
//
// Needs FD_E2E_STOREFRONT_URL, FD_E2E_MONEY_OWNER_EMAIL/_PASSWORD (an owner without 2FA yet)
// and FD_E2E_MONEY_CUSTOMER_EMAIL/_PASSWORD (a verified customer); FD_E2E_SCREENSHOT_DIR optional.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { enrolTOTP, env, eventually, launch, logIn, missingEnv, person, shooter, url } from './support.mjs'

const base = env('FD_E2E_STOREFRONT_URL')
const owner = { email: env('FD_E2E_MONEY_OWNER_EMAIL'), password: env('FD_E2E_MONEY_OWNER_PASSWORD') }
const customer = { email: env('FD_E2E_MONEY_CUSTOMER_EMAIL'), password: env('FD_E2E_MONEY_CUSTOMER_PASSWORD') }
const skip = missingEnv({
  FD_E2E_STOREFRONT_URL: base,
  FD_E2E_MONEY_OWNER_EMAIL: owner.email,
  FD_E2E_MONEY_CUSTOMER_EMAIL: customer.email,
})
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'money')

let browser
const people = []
before(async () => {
  if (!skip) browser = await launch()
})
after(async () => {
  for (const p of people) assert.deepEqual(p.errors, [], 'page errors')
  await browser?.close()
})

const cents = async (loc) => Number(await loc.getAttribute('data-cents'))

describe('money you can trust', { skip }, () => {
  test('the deploy summary lists the standby VM on its own line', async () => {
    const p = await person(browser, 'customer')
    people.push(p)
    const { page } = p
    await logIn(page, base, customer)
    await page.waitForURL((u) => !u.pathname.startsWith('/login'))
    await page.goto(url(base, '/deploy?size=small'))
    await page.getByTestId('order-summary').waitFor()
    const vmLine = page.getByTestId('summary-line-vm')
    await vmLine.waitFor()
    const without = await page.getByTestId('summary-monthly').innerText()
    await page.getByTestId('backup-vm').click()
    const standby = page.getByTestId('summary-line-standby')
    await standby.waitFor()
    const standbyText = await standby.innerText()
    assert.match(standbyText, /\$\d+\.\d\d/, `the standby line shows a price: ${standbyText}`)
    await eventually(async () => {
      const withStandby = await page.getByTestId('summary-monthly').innerText()
      assert.notEqual(withStandby, without, 'the monthly price did not change with a standby VM')
    })
    await page.getByTestId('order-summary').scrollIntoViewIfNeeded()
    await shotBoth(page, 'deploy-summary-standby')
  })

  test('the admin preview shows the standby line and a positive margin; overview and billing agree', async () => {
    const p = await person(browser, 'owner')
    people.push(p)
    const { page } = p
    await logIn(page, base, owner)
    await enrolTOTP(page)
    await page.goto(url(base, '/admin/pricing'))
    const preview = page.getByTestId('pricing-preview')
    await preview.waitFor()
    await page.getByTestId('preview-backup').selectOption('vm')
    const small = preview.locator('[data-testid="preview-row"][data-size="small"]')
    await small.getByTestId('preview-line-standby').first().waitFor()
    const margin = await small.getByTestId('preview-margin').first().innerText()
    assert.ok(!/[−-]/.test(margin) && /\d/.test(margin), `the Small with a standby has a positive margin: ${margin}`)
    await preview.scrollIntoViewIfNeeded()
    await shotBoth(page, 'pricing-preview-standby')

    await page.goto(url(base, '/admin'))
    const ov = page.getByTestId('overview-figures')
    await ov.waitFor()
    const keys = ['gross', 'stripe_fees', 'platform_fees', 'refunds', 'credits', 'disputes', 'net']
    const overview = {}
    for (const k of keys) {
      const f = ov.getByTestId(`figure-${k}`)
      overview[k] = await cents(f)
      assert.ok((await f.innerText()).length > 20, `figure ${k} carries its definition`)
    }
    await shotBoth(page, 'overview-figures')
    await page.goto(url(base, '/admin/billing'))
    const bill = page.getByTestId('billing-figures')
    await bill.getByTestId('figure-net').waitFor()
    for (const k of keys) assert.equal(await cents(bill.getByTestId(`figure-${k}`)), overview[k], `billing ${k} = overview ${k}`)
    await shotBoth(page, 'billing-figures')
  })
})
