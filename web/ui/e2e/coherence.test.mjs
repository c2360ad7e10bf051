// Money coherence (issue 15 items 2, 3, 4 and 6), in headless Chromium against the real
// server, on the "orbit" storefront whose pool is all pickable:
//
//  2. The customer's node picker shows free capacity, public IPv4 free at the farm, GPU,
//     certified and uptime, with filters; with IPv4 on, a node without a free IPv4 cannot be
//     picked; when the list was stale, the server refuses before charging and the picker
//     shows the error naming IPv4.
//  3. A server whose payment never succeeded says "Payment failed" with a retry; a failed and
//     refunded one shows no renewal. The owner's "Needs attention" lists each item with its
//     actions (retry, refund, dismiss), and each clears when handled.
//  4. The owner's overview and billing page and the console's tenant list show the same
//     month's figures.
//  6. A co-op owner's Pricing page without tiers works and adds a tier; the co-op's billing
//     page names no internal ledger key.
//
// Needs FD_E2E_ORBIT_* (web/coherence_e2e_test.go seeds them), FD_E2E_CONSOLE_URL,
// FD_E2E_COHERENCE_ADMIN_*, FD_E2E_COOP_URL and FD_E2E_COOP_PRICING_*; FD_E2E_SCREENSHOT_DIR optional.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { enrolTOTP, env, eventually, launch, logIn, missingEnv, person, shooter, url } from './support.mjs'

const orbit = env('FD_E2E_ORBIT_URL')
const consoleURL = env('FD_E2E_CONSOLE_URL')
const coopURL = env('FD_E2E_COOP_URL')
const owner = { email: env('FD_E2E_ORBIT_OWNER_EMAIL'), password: env('FD_E2E_ORBIT_OWNER_PASSWORD') }
const customer = { email: env('FD_E2E_ORBIT_CUSTOMER_EMAIL'), password: env('FD_E2E_ORBIT_CUSTOMER_PASSWORD') }
const root = { email: env('FD_E2E_COHERENCE_ADMIN_EMAIL'), password: env('FD_E2E_COHERENCE_ADMIN_PASSWORD') }
const coopOwner = { email: env('FD_E2E_COOP_PRICING_EMAIL'), password: env('FD_E2E_COOP_PRICING_PASSWORD') }
const ipv4Node = env('FD_E2E_ORBIT_IPV4_NODE')
const noIPv4Node = env('FD_E2E_ORBIT_NOIPV4_NODE')
const gpuNode = env('FD_E2E_ORBIT_GPU_NODE')
const unpaid = env('FD_E2E_ORBIT_UNPAID')
const refunded = env('FD_E2E_ORBIT_REFUNDED')
const sshKey = env('FD_E2E_ORBIT_SSH_KEY')
const skip = missingEnv({
  FD_E2E_ORBIT_URL: orbit,
  FD_E2E_CONSOLE_URL: consoleURL,
  FD_E2E_COOP_URL: coopURL,
  FD_E2E_ORBIT_OWNER_EMAIL: owner.email,
  FD_E2E_ORBIT_CUSTOMER_EMAIL: customer.email,
  FD_E2E_COHERENCE_ADMIN_EMAIL: root.email,
  FD_E2E_COOP_PRICING_EMAIL: coopOwner.email,
  FD_E2E_ORBIT_NOIPV4_NODE: noIPv4Node,
  FD_E2E_ORBIT_UNPAID: unpaid,
})
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'coherence')

let browser
const people = []
before(async () => {
  if (!skip) browser = await launch()
})
after(async () => {
  for (const p of people) assert.deepEqual(p.errors, [], `page errors of ${p.name ?? 'someone'}`)
  await browser?.close()
})

async function someone(name) {
  const p = await person(browser, name)
  p.name = name
  people.push(p)
  return p
}

const option = (page, id) => page.locator(`[data-testid="node-option"][data-node="${id}"]`)
const attrs = (loc, name) => loc.evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name)

describe('money coherence', { skip }, () => {
  test('the node picker shows IPv4, GPU, certified, free capacity and uptime, with filters', { timeout: 90_000 }, async () => {
    const { page } = await someone('picker')
    await logIn(page, orbit, customer)
    await page.getByTestId('user-menu-button').waitFor()
    await page.goto(url(orbit, '/deploy?size=small'))
    await page.getByTestId('size-options').waitFor()
    await page.getByTestId('placement-advanced').click()
    const picker = page.getByTestId('node-picker')
    await picker.getByTestId('node-option').first().waitFor()
    const none = option(page, noIPv4Node)
    assert.equal(await none.getAttribute('data-ipv4'), '0')
    assert.match(await none.getByTestId('node-ipv4').innerText(), /None/)
    assert.match(await option(page, ipv4Node).getByTestId('node-ipv4').innerText(), /\d+ free/)
    assert.match(await option(page, ipv4Node).getByTestId("node-free").innerText(), /\d+ vCPU · \d+ GB RAM\s+· [\d.]+ [GT]B SSD/)
    assert.match(await option(page, gpuNode).innerText(), /GPU/)
    assert.equal(await none.getAttribute('data-pickable'), 'true', 'without IPv4 asked, a node without a free IPv4 can be picked')

    // IPv4 on: the node whose farm has none free cannot be picked, and says why.
    await page.locator('[role="switch"][name="ipv4"]').click()
    await eventually(async () => assert.equal(await none.getAttribute('data-pickable'), 'false'))
    assert.match(await none.innerText(), /No free public IPv4 at this farm/)
    assert.equal(await none.locator('input[type="radio"]').isDisabled(), true)

    // The filters: IPv4 available, GPU, free RAM.
    await picker.getByTestId('node-filter-ipv4').check()
    await eventually(async () => {
      const v = await attrs(picker.getByTestId('node-option'), 'data-ipv4')
      assert.ok(v.length > 0 && v.every((x) => Number(x) > 0), `IPv4 filter shows ${v}`)
    })
    await picker.getByTestId('node-filter-ipv4').uncheck()
    await picker.getByTestId('node-filter-gpu').check()
    await eventually(async () => {
      const v = await attrs(picker.getByTestId('node-option'), 'data-gpu')
      assert.ok(v.length > 0 && v.every((x) => x === 'true'), `GPU filter shows ${v}`)
    })
    await picker.getByTestId('node-filter-gpu').uncheck()
    await picker.getByTestId('node-filter-ram').selectOption('8')
    await eventually(async () => {
      const v = await attrs(picker.getByTestId('node-option'), 'data-free-ram')
      assert.ok(v.every((x) => Number(x) >= 8), `free RAM filter shows ${v}`)
    })
    await picker.getByTestId('node-filter-ram').selectOption('0')
    await picker.scrollIntoViewIfNeeded()
    await shotBoth(page, 'node-picker')
    const dir = env('FD_E2E_SCREENSHOT_DIR')
    if (dir) {
      await picker.screenshot({ path: `${dir}/coherence-node-picker-table.png` })
      await page.setViewportSize({ width: 375, height: 812 })
      await picker.screenshot({ path: `${dir}/coherence-node-picker-table-375.png` })
      await page.setViewportSize({ width: 1440, height: 900 })
    }
  })

  test('a stale list: the server refuses a node without IPv4 before charging, and the picker says so', { timeout: 90_000 }, async () => {
    const { page } = await someone('stale picker')
    // The list claims the node's farm still has IPv4 free (another order took the last one).
    // (In the page: the browser alone resolves *.localhost.)
    await page.addInitScript((stale) => {
      const real = window.fetch.bind(window)
      window.fetch = async (input, init) => {
        const res = await real(input, init)
        const u = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
        if (!new URL(u, location.href).pathname.endsWith('/api/nodes')) return res
        const body = await res.clone().json()
        for (const n of body.items ?? []) if (String(n.ID) === stale) n.free_ipv4 = 1
        return new Response(JSON.stringify(body), { status: res.status, headers: res.headers })
      }
    }, noIPv4Node)
    await logIn(page, orbit, customer)
    await page.getByTestId('user-menu-button').waitFor()
    await page.goto(url(orbit, '/deploy?size=small'))
    await page.getByTestId('size-options').waitFor()
    await page.getByTestId('deploy-name').fill('stale-pick')
    await page.locator('[data-testid="image-card"][data-image="debian-12"]').click()
    await page.getByTestId('size-small').click()
    const key = page.getByTestId('deploy-ssh-key')
    if (await key.count()) {
      await key.fill(sshKey)
      await page.getByTestId('ssh-key-ok').waitFor()
    }
    await page.locator('[role="switch"][name="ipv4"]').click()
    await page.getByTestId('placement-advanced').click()
    await option(page, noIPv4Node).click()
    await page.getByTestId('card-picker').waitFor()
    await page.getByTestId('pay-button').click()
    const err = page.getByTestId('node-picker').getByTestId('field-error-node_id')
    await err.waitFor({ timeout: 20_000 })
    assert.match(await err.innerText(), /IPv4/)
    assert.match(new URL(page.url()).pathname, /^\/deploy/, 'the order went on to payment')
    await err.scrollIntoViewIfNeeded()
    await shotBoth(page, 'node-picker-refused')
    const orders = await page.evaluate(async () => (await (await fetch('/api/deployments')).json()).items.map((d) => d.name))
    assert.ok(!orders.includes('stale-pick'), `a refused order is listed: ${orders}`)
  })

  test('payment failed says so with a retry; a refunded server shows no renewal', { timeout: 60_000 }, async () => {
    const { page } = await someone('customer')
    await logIn(page, orbit, customer)
    await page.getByTestId('user-menu-button').waitFor()
    await page.goto(url(orbit, `/deployments/${unpaid}`))
    await page.getByTestId('deployment-payment-failed').waitFor()
    await page.getByTestId('retry-payment').waitFor()
    assert.equal(await page.getByTestId('deployment-deleted').count(), 0)
    await shotBoth(page, 'payment-failed')
    await page.goto(url(orbit, `/deployments/${refunded}`))
    await page.getByTestId('billing-card').waitFor()
    await page.waitForLoadState('networkidle') // its subscription (still active) has loaded
    const billing = await page.getByTestId('billing-card').innerText()
    assert.match(billing, /Refunded/)
    assert.doesNotMatch(billing, /Renews/)
    await shotBoth(page, 'refunded-no-renewal')
  })

  let figures = {}
  test("the owner's Needs attention: each item has its actions and clears when handled", { timeout: 120_000 }, async () => {
    const { page } = await someone('owner')
    await logIn(page, orbit, owner)
    await enrolTOTP(page)
    await page.goto(url(orbit, '/admin'))
    const items = page.getByTestId('attention-item')
    await eventually(async () => assert.equal(await items.count(), 4), { timeout: 20_000 })
    const item = (name) => page.locator(`[data-testid="attention-item"][data-name="${name}"]`)
    const buttons = async (name) =>
      (await item(name).locator('button').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).join(' ')
    assert.equal(await buttons('render-1'), 'attention-refund attention-dismiss')
    assert.equal(await buttons('old-api'), 'attention-dismiss')
    assert.equal(await buttons('queue-2'), 'attention-retry attention-dismiss')
    assert.equal(await buttons('shop-3'), 'attention-dismiss')
    assert.match(await item('render-1').getByTestId('attention-refund').innerText(), /\$6\.08/)
    await page.getByTestId('overview-alerts').scrollIntoViewIfNeeded()
    await shotBoth(page, 'needs-attention')
    const dir = env('FD_E2E_SCREENSHOT_DIR')
    if (dir) await page.getByTestId('overview-alerts').screenshot({ path: `${dir}/coherence-needs-attention-panel.png` })

    await item('render-1').getByTestId('attention-refund').click()
    const dialog = page.getByTestId('attention-refund-dialog')
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Refund' }).click()
    await item('render-1').waitFor({ state: 'detached' })
    assert.match(await page.getByTestId('attention-notice').innerText(), /\$6\.08 is being refunded/)
    await item('old-api').getByTestId('attention-dismiss').click()
    await item('old-api').waitFor({ state: 'detached' })
    await item('queue-2').getByTestId('attention-retry').click()
    await eventually(async () => assert.equal(await page.locator('[data-testid="attention-item"][data-name="queue-2"][data-kind="stuck"]').count(), 0))
    await item('shop-3').getByTestId('attention-dismiss').click()
    await item('shop-3').waitFor({ state: 'detached' })
    await page.reload()
    await page.getByTestId('overview-alerts').waitFor()
    await eventually(async () => assert.equal(await page.locator('[data-testid="attention-item"][data-kind="stuck"], [data-testid="attention-item"][data-kind="payment_failed"]').count(), 0))
    await page.getByTestId('overview-alerts').scrollIntoViewIfNeeded()
    await shotBoth(page, 'needs-attention-handled')

    // Item 4: the overview and the billing page show the same figures, each defined.
    const keys = ['gross', 'stripe_fees', 'platform_fees', 'refunds', 'credits', 'disputes', 'net']
    await page.waitForTimeout(1500) // the refund's webhook settles
    await page.reload()
    const ov = page.getByTestId('overview-figures')
    await ov.waitFor()
    for (const k of keys) {
      const f = ov.getByTestId(`figure-${k}`)
      figures[k] = Number(await f.getAttribute('data-cents'))
      assert.ok((await f.innerText()).length > 20, `figure ${k} carries its definition`)
    }
    await page.goto(url(orbit, '/admin/billing'))
    const bill = page.getByTestId('billing-figures')
    await bill.getByTestId('figure-net').waitFor()
    for (const k of keys) assert.equal(Number(await bill.getByTestId(`figure-${k}`).getAttribute('data-cents')), figures[k], `billing ${k} = overview ${k}`)
  })

  test("the console's tenant list shows the storefront's gross and net as its overview does", { timeout: 90_000 }, async () => {
    assert.ok('net' in figures, 'the owner test read no figures')
    const { page } = await someone('super-admin')
    await logIn(page, consoleURL, root)
    await enrolTOTP(page)
    await page.goto(url(consoleURL, '/tenants'))
    const row = page.locator('[data-testid="tenant-row"][data-slug="orbit"]:visible').first()
    await row.waitFor()
    assert.equal(Number(await row.getByTestId('tenant-revenue').getAttribute('data-cents')), figures.gross, 'console gross = overview gross')
    assert.equal(Number(await row.getByTestId('tenant-net').getAttribute('data-cents')), figures.net, 'console net = overview net')
    await shotBoth(page, 'console-tenants')
  })

  test("a co-op owner's Pricing page without tiers adds one; the co-op's billing names no ledger key", { timeout: 90_000 }, async () => {
    const { page } = await someone('co-op owner')
    await logIn(page, coopURL, coopOwner)
    await enrolTOTP(page)
    await page.goto(url(coopURL, '/admin/pricing'))
    const editor = page.getByTestId('tiers-editor')
    await editor.waitFor()
    const before = await editor.getByTestId('tier-row').count()
    await editor.getByTestId('add-tier').click()
    await eventually(async () => assert.equal(await editor.getByTestId('tier-row').count(), before + 1))
    const row = editor.getByTestId('tier-row').last()
    await row.locator('input[name$=".threshold"]').fill('3')
    await row.locator('input[name$=".pct_bps"]').fill('5')
    await page.getByTestId('save-pricing').click()
    await eventually(async () => assert.equal(await page.getByTestId('save-pricing').isDisabled(), true), { timeout: 10_000 })
    await page.reload()
    await eventually(async () => assert.equal(await page.getByTestId('tiers-editor').getByTestId('tier-row').count(), before + 1))
    await page.getByTestId('tiers-editor').scrollIntoViewIfNeeded()
    await shotBoth(page, 'coop-pricing-tier')

    await page.goto(url(coopURL, '/admin/billing'))
    await page.getByTestId('admin-billing').waitFor()
    await page.getByTestId('coop-payments-model').waitFor()
    await page.waitForLoadState('networkidle')
    const text = await page.getByTestId('admin-billing').innerText()
    assert.doesNotMatch(text, /member_payouts:|[a-z_]+:[0-9a-f]{8}-[0-9a-f]{4}/, 'the billing page names an internal ledger key')
    assert.doesNotMatch(text, /customers cannot pay/i)
    await shotBoth(page, 'coop-billing')
  })
})
