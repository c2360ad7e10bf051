// End-to-end test of the operations pages in headless Chromium against the real server:
// a storefront's support staff searching its customers and opening one; a super-admin
// on the console's Accounts (search, disable and enable again), Node operators and Jobs
// (queue sizes, a failed task's redacted error, retry, delete, the periodic schedule).
//
// Run with `node --test web/ui/e2e/`. It needs:
//   FD_E2E_STOREFRONT_URL, FD_E2E_SUPPORT_EMAIL, FD_E2E_SUPPORT_PASSWORD
//       the demo storefront and a support member of it; the storefront has the customer
//       regular@demo.localhost with payments, credit and a running server
//   FD_E2E_CONSOLE_URL, FD_E2E_CONSOLE_ADMIN_EMAIL, FD_E2E_CONSOLE_ADMIN_PASSWORD
//       a super-admin without 2FA yet; the console has the node operator
//       gridfarm@console.localhost (twin, two nodes) and a worker that failed test:charge
//   FD_E2E_SCREENSHOT_DIR   optional; PNGs at 1440 and 375 px
// Each group skips, naming what is missing, without its variables.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { enrolTOTP, env, eventually, launch, logIn, missingEnv, person, shooter, url } from './support.mjs'

const storefrontURL = env('FD_E2E_STOREFRONT_URL')
const consoleURL = env('FD_E2E_CONSOLE_URL')
const support = { email: env('FD_E2E_SUPPORT_EMAIL'), password: env('FD_E2E_SUPPORT_PASSWORD') }
const admin = { email: env('FD_E2E_CONSOLE_ADMIN_EMAIL'), password: env('FD_E2E_CONSOLE_ADMIN_PASSWORD') }
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'console')

const skipCustomers = missingEnv({
  FD_E2E_STOREFRONT_URL: storefrontURL,
  FD_E2E_SUPPORT_EMAIL: support.email,
  FD_E2E_SUPPORT_PASSWORD: support.password,
})
const skipConsole = missingEnv({
  FD_E2E_CONSOLE_URL: consoleURL,
  FD_E2E_CONSOLE_ADMIN_EMAIL: admin.email,
  FD_E2E_CONSOLE_ADMIN_PASSWORD: admin.password,
})

/** @type {import('playwright-core').Browser | undefined} */
let browser
const contexts = []

before(async () => {
  if (skipCustomers && skipConsole) return
  browser = await launch()
})

after(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  await browser?.close()
})

async function open(name) {
  assert.ok(browser, 'browser was not launched')
  const p = await person(browser, name)
  contexts.push(p.context)
  return p
}

const text = async (locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim()

describe('the storefront’s customers', { skip: skipCustomers }, () => {
  test('support staff search the customers and open one with its servers and payments', { timeout: 90_000 }, async () => {
    const { page, errors } = await open('support')
    await logIn(page, storefrontURL, support)
    await page.getByTestId('user-menu-button').waitFor()
    await page.goto(url(storefrontURL, '/admin/customers'))
    await page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor()
    assert.equal(await page.getByTestId('section-pending').count(), 0, 'the customers page is still "being built"')
    assert.ok(await page.getByTestId('admin-nav-customers').isVisible(), 'the admin nav has no Customers link')

    const row = page.locator('[data-testid="customer-row"][data-email="regular@demo.localhost"]:visible')
    await row.waitFor()
    const line = await text(row)
    assert.match(line, /\$37\.20/, `the customer's total paid ($12.40 + $24.80) is missing: ${line}`)
    assert.match(line, /\$4\.50/, `the customer's credit is missing: ${line}`)
    await shotBoth(page, 'admin-customers')

    // Search by e-mail prefix, kept in the address.
    await page.getByTestId('customer-search').fill('REG')
    await page.waitForURL(/[?&]q=REG/)
    await eventually(async () => {
      const emails = await page.locator('[data-testid="customer-row"]:visible').evaluateAll((rows) => rows.map((r) => r.dataset.email))
      assert.deepEqual(emails, ['regular@demo.localhost'])
    })
    await page.getByTestId('customer-search').fill('nobody-by-that-name')
    await page.getByTestId('empty-state').waitFor()
    assert.match(await text(page.getByTestId('empty-state')), /No customer matches/)
    await shotBoth(page, 'admin-customers-no-match')
    await page.getByTestId('customer-search').fill('regular')
    await row.waitFor()

    // The detail: the running server, both payments.
    await row.getByTestId('customer-open').click()
    const dialog = page.getByTestId('customer-dialog')
    await dialog.getByTestId('customer-detail').waitFor()
    await eventually(async () => assert.equal(await dialog.getByTestId('customer-deployment').count(), 2))
    assert.equal(await dialog.getByTestId('customer-payment').count(), 2)
    assert.match(await text(dialog), /Running/)
    await shotBoth(page, 'admin-customer-detail')
    await page.keyboard.press('Escape')
    assert.deepEqual(errors, [])
  })
})

describe('the console’s operations pages', { skip: skipConsole, concurrency: false }, () => {
  /** @type {{ page: import('playwright-core').Page, errors: string[] } | undefined} */
  let sa

  test('the super-admin signs in with a second factor', { timeout: 90_000 }, async () => {
    sa = await open('console-admin')
    const { page } = sa
    await logIn(page, consoleURL, admin)
    await page.waitForURL(/\/account\/two-factor\?/)
    await enrolTOTP(page)
    await page.getByTestId('user-menu-button').waitFor()
  })

  test('accounts: roles, 2FA and tokens; search; disable and enable with a confirmation', { timeout: 90_000 }, async () => {
    assert.ok(sa, 'the sign-in step did not run')
    const { page } = sa
    const nav = page.getByRole('navigation', { name: 'Main' }).first()
    await nav.getByRole('link', { name: 'Accounts', exact: true }).click()
    await page.waitForURL(/\/accounts$/)
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor()
    assert.equal(await page.getByTestId('section-pending').count(), 0, 'the accounts page is still "being built"')
    const me = page.locator(`[data-testid="account-row"][data-email="${admin.email}"]:visible`)
    await me.waitFor()
    assert.match(await text(me), /Super-admin/)
    assert.match(await text(me), /You/)
    assert.equal(await me.getByTestId('account-disable').count(), 0, 'a super-admin is offered to disable themself')
    const farm = page.locator('[data-testid="account-row"][data-email="gridfarm@console.localhost"]:visible')
    await farm.waitFor()
    assert.match(await text(farm), /Node operator/)
    await shotBoth(page, 'accounts')

    await page.getByTestId('account-search').fill('gridf')
    await eventually(async () => {
      const emails = await page.locator('[data-testid="account-row"]:visible').evaluateAll((rows) => rows.map((r) => r.dataset.email))
      assert.deepEqual(emails, ['gridfarm@console.localhost'])
    })

    await farm.getByTestId('account-disable').click()
    const confirm = page.getByTestId('disable-dialog')
    await confirm.waitFor()
    assert.match(await text(confirm), /signed out everywhere/)
    await shotBoth(page, 'accounts-disable')
    await confirm.getByTestId('confirm-submit').or(confirm.getByRole('button', { name: 'Disable account' })).first().click()
    await page.getByTestId('accounts-notice').waitFor()
    await farm.getByTestId('account-disabled').waitFor()
    await shotBoth(page, 'accounts-disabled')

    await farm.getByTestId('account-enable').click()
    const enable = page.getByTestId('enable-dialog')
    await enable.getByRole('button', { name: 'Enable account' }).click()
    await farm.getByTestId('account-disable').waitFor()
    assert.equal(await farm.getByTestId('account-disabled').count(), 0)
  })

  test('node operators: twin, nodes online, dashboards and earnings', { timeout: 60_000 }, async () => {
    assert.ok(sa, 'the sign-in step did not run')
    const { page } = sa
    const nav = page.getByRole('navigation', { name: 'Main' }).first()
    await nav.getByRole('link', { name: 'Node operators', exact: true }).click()
    await page.waitForURL(/\/node-operators$/)
    await page.getByRole('heading', { name: 'Node operators', level: 1 }).waitFor()
    assert.equal(await page.getByTestId('section-pending').count(), 0, 'the node operators page is still "being built"')
    const row = page.locator('[data-testid="operator-row"][data-email="gridfarm@console.localhost"]:visible')
    await row.waitFor()
    const line = await text(row)
    assert.match(line, /#9000001/, `no twin: ${line}`)
    assert.match(line, /2 \/ 2/, `not 2 of 2 nodes online: ${line}`)
    assert.match(line, /1 approved/, line)
    assert.match(line, /1 pending/, line)
    assert.match(line, /\d\.\d{2,7} TFT/, `no earnings: ${line}`)
    assert.ok((await page.locator('[data-testid="operator-row"]:visible').count()) >= 2, 'the other node operators are missing')
    await shotBoth(page, 'node-operators')
  })

  test('jobs: queues, a failed task without its payload, retry and delete, the schedule', { timeout: 90_000 }, async () => {
    assert.ok(sa, 'the sign-in step did not run')
    const { page, errors } = sa
    const nav = page.getByRole('navigation', { name: 'Main' }).first()
    await nav.getByRole('link', { name: 'Jobs', exact: true }).click()
    await page.waitForURL(/\/jobs$/)
    await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor()
    assert.equal(await page.getByTestId('section-pending').count(), 0, 'the jobs page is still "being built"')
    const critical = page.locator('[data-testid="queue-card"][data-queue="critical"]')
    await critical.waitFor()
    assert.equal(await page.getByTestId('queue-card').count(), 3, 'not three queues')
    await page.getByTestId('workers').waitFor()
    await page.locator('[data-testid="schedule-row"][data-type="system:heartbeat"]:visible').first().waitFor()

    const failed = page.locator('[data-testid="task-row"][data-type="test:charge"]:visible')
    await failed.first().waitFor()
    const err = await text(failed.first().getByTestId('task-error'))
    assert.match(err, /card declined/)
    assert.match(err, /\[redacted\]/, `the Stripe key in the error is shown: ${err}`)
    const body = await page.evaluate(() => document.body.innerText)
    assert.doesNotMatch(body, /hunter2|sk_test_51/, 'a payload or secret reached the page')
    await shotBoth(page, 'jobs')

    // Retry the failed task: it leaves the failed list.
    const id = await failed.first().getAttribute('data-id')
    await failed.first().getByTestId('task-retry').click()
    await page.getByTestId('jobs-notice').waitFor()
    await eventually(async () => assert.equal(await page.locator(`[data-testid="task-row"][data-id="${id}"]`).count(), 0))

    // Delete the retrying one, after a confirmation.
    await page.getByTestId('task-state-retry').click()
    const retrying = page.locator('[data-testid="task-row"][data-type="test:charge"]:visible').first()
    await retrying.waitFor()
    const rid = await retrying.getAttribute('data-id')
    await shotBoth(page, 'jobs-retrying')
    await retrying.getByTestId('task-delete').click()
    const confirm = page.getByTestId('task-delete-dialog')
    await confirm.waitFor()
    await confirm.getByRole('button', { name: 'Delete task' }).click()
    await eventually(async () => assert.equal(await page.locator(`[data-testid="task-row"][data-id="${rid}"]`).count(), 0))
    assert.deepEqual(errors, [])
  })
})
