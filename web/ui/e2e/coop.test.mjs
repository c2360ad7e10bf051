// End-to-end test of co-ops (issue 7) in headless Chromium against the real server:
//
//  1. The co-op's owner enrols TOTP, sees the revenue split and the payments divided among
//     the members, and publishes a GPU offer on the Offers page.
//  2. A visitor finds the offer on the co-op's storefront home; "Deploy" opens the deploy
//     form restricted to the offer: in "Choose nodes" mode only the pool's GPU nodes show.
//  3. A member signs in on the console and sees its share of the payment, its transfer and
//     the refund's reversal, on the Co-op shares page.
//  4. Issue 13: a customer orders a server from the GPU offer and pays with a saved card; the
//     node is rented whole (ZOS attaches a GPU only on a rented node) and the deployment page
//     lists the VM's GPUs (device, vendor, PCI id) and the rent contract. The Go harness then
//     checks the simulator holds that rent contract and the VM's GPUs.
//  5. The admin invited a console account in step 1 (it waits under "Invitations", it is not
//     a member); that account sees the invitation on its console home and accepts it.
//
// It needs (web/e2e_test.go seeds them):
//   FD_E2E_COOP_URL, FD_E2E_CONSOLE_URL
//   FD_E2E_COOP_ADMIN_EMAIL, FD_E2E_COOP_ADMIN_PASSWORD    the co-op's owner, no 2FA yet
//   FD_E2E_COOP_MEMBER_EMAIL, FD_E2E_COOP_MEMBER_PASSWORD  a member with a transferred share
//   FD_E2E_COOP_INVITEE_EMAIL, FD_E2E_COOP_INVITEE_PASSWORD a console account, not a member
//   FD_E2E_COOP_GPU_NODES                                  the pool's GPU nodes: "a,b"
//   FD_E2E_COOP_CUSTOMER_EMAIL, FD_E2E_COOP_CUSTOMER_PASSWORD  a customer with a saved card
//   FD_E2E_SCREENSHOT_DIR                                  optional; PNGs at 1440 and 375 px

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { enrolTOTP, env, eventually, launch, logIn, missingEnv, person, shooter, url } from './support.mjs'

const coopURL = env('FD_E2E_COOP_URL')
const consoleURL = env('FD_E2E_CONSOLE_URL')
const admin = { email: env('FD_E2E_COOP_ADMIN_EMAIL'), password: env('FD_E2E_COOP_ADMIN_PASSWORD') }
const member = { email: env('FD_E2E_COOP_MEMBER_EMAIL'), password: env('FD_E2E_COOP_MEMBER_PASSWORD') }
const invitee = { email: env('FD_E2E_COOP_INVITEE_EMAIL'), password: env('FD_E2E_COOP_INVITEE_PASSWORD') }
const buyer = { email: env('FD_E2E_COOP_CUSTOMER_EMAIL'), password: env('FD_E2E_COOP_CUSTOMER_PASSWORD') }
const gpuNodes = env('FD_E2E_COOP_GPU_NODES').split(',').filter(Boolean)
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'coop')
const offerName = 'GPU render nodes'

const skip = missingEnv({
  FD_E2E_COOP_URL: coopURL,
  FD_E2E_CONSOLE_URL: consoleURL,
  FD_E2E_COOP_ADMIN_EMAIL: admin.email,
  FD_E2E_COOP_ADMIN_PASSWORD: admin.password,
  FD_E2E_COOP_MEMBER_EMAIL: member.email,
  FD_E2E_COOP_MEMBER_PASSWORD: member.password,
  FD_E2E_COOP_INVITEE_EMAIL: invitee.email,
  FD_E2E_COOP_INVITEE_PASSWORD: invitee.password,
  FD_E2E_COOP_GPU_NODES: gpuNodes.join(','),
  FD_E2E_COOP_CUSTOMER_EMAIL: buyer.email,
  FD_E2E_COOP_CUSTOMER_PASSWORD: buyer.password,
})

/** sshPublicKey makes a fresh ed25519 key in OpenSSH's authorized_keys form. */
function sshPublicKey() {
  const { publicKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const field = (b) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)])
  return `ssh-ed25519 ${blob.toString('base64')} gpu@e2e`
}

describe('co-ops', { skip }, () => {
  let browser
  before(async () => {
    browser = await launch()
  })
  after(async () => {
    await browser?.close()
  })

  test('the co-op admin publishes an offer, the storefront shows it, and its deploy form offers only GPU nodes', async () => {
    const { page, context, errors } = await person(browser, 'coop admin')
    try {
      await logIn(page, coopURL, admin)
      await enrolTOTP(page)
      await page.waitForURL(/\/admin/, { timeout: 30_000 }).catch(() => {})

      // The members, their split and how the payment was divided.
      await page.goto(url(coopURL, '/admin/coop-members'))
      await page.getByTestId('coop-split').waitFor()
      const inputs = page.getByTestId('coop-share-input')
      await eventually(async () => assert.equal(await inputs.count(), 2))
      // The split's inputs fill in once the members' shares have loaded.
      await eventually(async () =>
        assert.equal(await page.locator(`[data-testid="coop-share-input"][data-email="${member.email}"]`).inputValue(), '70'),
      )
      const payment = page.getByTestId('coop-payment-row').filter({ visible: true }).first()
      await payment.waitFor()
      assert.match(await payment.innerText(), /\$19\.76/, 'the admin sees the member’s $19.76 share')
      await shotBoth(page, 'admin-members')

      // Inviting a console account: it waits for an answer and is not a member yet.
      await page.getByTestId('coop-add').first().click()
      const invite = page.getByTestId('coop-dialog')
      await invite.waitFor()
      await invite.locator('input[name="email"]').fill(invitee.email)
      await invite.getByTestId('coop-submit').click()
      await page.getByTestId('coop-notice').filter({ hasText: /become a member when they accept/ }).waitFor()
      await page.locator(`[data-testid="coop-invitation-row"][data-email="${invitee.email}"]`).filter({ visible: true }).first().waitFor()
      assert.equal(await page.locator(`[data-testid="coop-row"][data-email="${invitee.email}"]`).count(), 0, 'the invitee is not a member')
      await shotBoth(page, 'admin-invitation')

      // A new offer on the Offers page.
      await page.goto(url(coopURL, '/admin/offers'))
      await page.getByTestId('offer-add').first().click()
      const dialog = page.getByTestId('offer-dialog')
      await dialog.waitFor()
      // The server names the field it refuses: a one-letter name.
      await dialog.locator('input[name="name"]').fill('G')
      await dialog.getByTestId('offer-submit').click()
      await dialog.getByTestId('field-error-name').waitFor()
      await dialog.locator('input[name="name"]').fill(offerName)
      await dialog.locator('textarea[name="description"]').fill('Rendering and inference on our members’ GPU nodes.')
      await dialog.getByTestId('offer-capability-gpu').check()
      await dialog.getByTestId('offer-submit').click()
      await page.getByTestId('offer-notice').waitFor()
      const row = page.locator(`[data-testid="offer-row"][data-name="${offerName}"]`).filter({ visible: true }).first()
      await row.waitFor()
      assert.match(await row.innerText(), new RegExp(`${gpuNodes.length} nodes`), 'the offer runs on the pool’s GPU nodes')
      await shotBoth(page, 'admin-offers')
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }

    // A visitor on the storefront.
    const visitor = await person(browser, 'visitor')
    try {
      const p = visitor.page
      await p.goto(coopURL)
      const card = p.locator(`[data-testid="coop-offer"][data-name="${offerName}"]`)
      await card.waitFor()
      assert.match(await card.innerText(), /GPU/)
      await shotBoth(p, 'storefront-offers')
      await card.getByTestId('coop-offer-deploy').click()
      await p.waitForURL(/\/deploy\?offer=/)
      await p.getByTestId('deploy-offer').waitFor()
      await p.getByTestId('placement-advanced').click()
      await p.getByTestId('node-picker').waitFor()
      const options = p.getByTestId('node-option')
      await eventually(async () => assert.equal(await options.count(), gpuNodes.length))
      const shown = await options.evaluateAll((els) => els.map((e) => e.getAttribute('data-node')))
      assert.deepEqual(shown.sort(), [...gpuNodes].sort(), 'advanced mode lists exactly the pool’s GPU nodes')
      await shotBoth(p, 'deploy-offer')
      assert.deepEqual(visitor.errors, [])
    } finally {
      await visitor.context.close()
    }
  })

  test('a member sees its share of a payment, its transfer and the refund’s reversal', async () => {
    const { page, context, errors } = await person(browser, 'coop member')
    try {
      await logIn(page, consoleURL, member)
      await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 30_000 })
      await page.goto(url(consoleURL, '/coop'))
      await page.getByTestId('coop-membership').first().waitFor()
      assert.match(await page.getByTestId('coop-membership').first().innerText(), /70 %/)
      const row = page.getByTestId('coop-payment').filter({ visible: true }).first()
      await row.waitFor()
      assert.equal(await row.getAttribute('data-status'), 'transferred')
      const text = await row.innerText()
      assert.match(text, /\$19\.76/, 'the share')
      assert.match(text, /Transferred/)
      assert.match(text, /−\$3\.29/, 'the reversal of the refund')
      assert.match(text, /\$16\.47/, 'what the member keeps')
      await shotBoth(page, 'member-shares')
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })
  test('a customer orders from the GPU offer: the node is rented and the page lists the VM’s GPUs', { timeout: 180_000 }, async () => {
    const { page, context, errors } = await person(browser, 'gpu buyer')
    try {
      await logIn(page, coopURL, buyer)
      await page.getByTestId('user-menu-button').waitFor()
      await page.goto(coopURL)
      const card = page.locator(`[data-testid="coop-offer"][data-name="${offerName}"]`)
      await card.waitFor()
      await card.getByTestId('coop-offer-deploy').click()
      await page.waitForURL(/\/deploy\?offer=/)
      await page.getByTestId('deploy-offer').waitFor()
      await page.getByTestId('size-options').waitFor()
      await page.getByTestId('deploy-name').fill('gpu-render-1')
      await page.getByTestId('size-small').click()
      await page.getByTestId('deploy-ssh-key').fill(sshPublicKey())
      await page.getByTestId('ssh-key-ok').waitFor()
      await page.getByTestId('placement-default').click()
      await page.getByTestId('payment-step').getByTestId('card-picker').waitFor()
      await eventually(async () => assert.match(await page.getByTestId('summary-total').innerText(), /\d/))
      // The order rents a GPU node whole: the rent is its own line, and the
      // price shown is what the card is charged.
      await page.getByTestId('summary-line-rent').waitFor()
      const due = await page.getByTestId('summary-total').innerText()
      await shotBoth(page, 'deploy-gpu-offer')
      await page.getByTestId('pay-button').click()
      await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/, { timeout: 30_000 })
      {
        const id = page.url().split('/').pop()
        const d = await page.evaluate(async (id) => (await fetch(`/api/deployments/${id}`)).json(), id)
        const o = await page.evaluate(async (id) => (await fetch(`/api/orders/${id}`)).json(), d.order_id)
        assert.ok(o.lines.some((l) => l.kind === 'rent'), `the order has no rent line: ${JSON.stringify(o.lines)}`)
        assert.equal(due.replace(/[^\d.]/g, ''), (o.amount_cents / 100).toFixed(2), 'charged another amount than the summary showed')
      }
      await page.locator('[data-testid="deployment-progress"][data-state="running"]').waitFor({ timeout: 90_000 })

      // The GPU card: every GPU ZOS attached, with its device and vendor, and the rent.
      const gpus = page.getByTestId('deployment-gpu')
      await gpus.first().waitFor({ timeout: 30_000 })
      const id = page.url().split('/').pop()
      const record = await page.evaluate(async (id) => (await fetch(`/api/deployments/${id}`)).json(), id)
      assert.ok(gpuNodes.includes(String(record.node_id)), `the server runs on node ${record.node_id}, not one of the pool’s GPU nodes`)
      assert.ok(record.gpus?.length > 0, 'the API lists no GPU')
      assert.equal(await gpus.count(), record.gpus.length)
      for (const [i, g] of record.gpus.entries()) {
        assert.equal(g.node_id, record.node_id, 'a GPU of another node')
        assert.ok(g.vendor && g.device, `GPU ${g.id} without vendor or device`)
        const row = gpus.nth(i)
        assert.equal(await row.getAttribute('data-gpu'), g.id)
        assert.equal(await row.getByTestId('gpu-device').innerText(), g.device)
        assert.equal(await row.getByTestId('gpu-vendor').innerText(), g.vendor)
      }
      assert.ok(Number.isInteger(record.rent_contract_id) && record.rent_contract_id > 0, `rent contract ${record.rent_contract_id}`)
      const rent = await page.getByTestId('gpu-rent').innerText()
      assert.match(rent, new RegExp(`Node ${record.node_id} is rented whole`))
      assert.match(rent, new RegExp(`rent contract #${record.rent_contract_id}`))
      await page.getByTestId('gpu-card').scrollIntoViewIfNeeded()
      await shotBoth(page, 'deployment-gpu')
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })

  test('an invited console account sees the invitation on its console home and accepts it', async () => {
    const { page, context, errors } = await person(browser, 'coop invitee')
    try {
      await logIn(page, consoleURL, invitee)
      await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 30_000 })
      await page.goto(url(consoleURL, '/'))
      const card = page.locator('[data-testid="coop-invitation"][data-coop="commons"]')
      await card.waitFor()
      assert.match(await card.innerText(), /Grid Commons Co-op invites you to join as a node operator/)
      await shotBoth(page, 'invitation')
      await card.getByTestId('coop-invitation-accept').click()
      await page.getByTestId('coop-invitation-notice').filter({ hasText: /You are now a member of Grid Commons Co-op/ }).waitFor()
      await eventually(async () => assert.equal(await page.getByTestId('coop-invitation').count(), 0, 'the answered invitation is gone'))
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })
})
