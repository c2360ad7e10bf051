// End-to-end test of one-click apps (issue 19) in headless Chromium against the real server
// on the grid simulator:
//
//  1. The storefront's owner enrols TOTP and puts Kubernetes, Nextcloud, Open WebUI and
//     LiveKit on sale on the admin Apps page, and gives one of them a margin of its own (its
//     "from" price rises).
//  2. A customer opens the Apps catalog from the nav and, for each of the four apps: opens
//     its form, fills it, sees the price as one line per part of the plan (the app VM or
//     control plane, workers, data disk, public IPv4, gateway name, the GPU node's rent),
//     pays with the saved card (charged what the summary said, line by line), follows the
//     progress to running, uses the Access panel (HTTPS URLs, Nextcloud's setup page,
//     LiveKit's ports and its key and secret shown once then refused, the kubeconfig
//     download, Kubernetes workers added and removed) and cancels it.
//  3. The GPU co-op's owner publishes an offer that sells Open WebUI on its GPU nodes; a
//     customer orders it from the co-op's home page: the form is the app's, the price has the
//     node's rent, and the app runs on one of the co-op's GPU nodes.
//
// It needs (web/apps_e2e_test.go seeds them):
//   FD_E2E_APPS_URL                                          the apps storefront
//   FD_E2E_APPS_ADMIN_EMAIL, FD_E2E_APPS_ADMIN_PASSWORD      its owner, no 2FA yet
//   FD_E2E_APPS_CUSTOMER_EMAIL, FD_E2E_APPS_CUSTOMER_PASSWORD  a customer with a saved card
//   FD_E2E_GPUCOOP_URL                                       the GPU co-op's storefront
//   FD_E2E_GPUCOOP_ADMIN_EMAIL, FD_E2E_GPUCOOP_ADMIN_PASSWORD  its owner, no 2FA yet
//   FD_E2E_GPUCOOP_CUSTOMER_EMAIL, FD_E2E_GPUCOOP_CUSTOMER_PASSWORD  a customer with a saved card
//   FD_E2E_GPUCOOP_GPU_NODES                                 the co-op pool's GPU nodes: "a,b"
//   FD_E2E_SCREENSHOT_DIR                                    optional; PNGs at 1440 and 375 px

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import { enrolTOTP, env, eventually, launch, logIn, missingEnv, person, shooter, url } from './support.mjs'

const appsURL = env('FD_E2E_APPS_URL')
const admin = { email: env('FD_E2E_APPS_ADMIN_EMAIL'), password: env('FD_E2E_APPS_ADMIN_PASSWORD') }
const buyer = { email: env('FD_E2E_APPS_CUSTOMER_EMAIL'), password: env('FD_E2E_APPS_CUSTOMER_PASSWORD') }
const coopURL = env('FD_E2E_GPUCOOP_URL')
const coopAdmin = { email: env('FD_E2E_GPUCOOP_ADMIN_EMAIL'), password: env('FD_E2E_GPUCOOP_ADMIN_PASSWORD') }
const coopBuyer = { email: env('FD_E2E_GPUCOOP_CUSTOMER_EMAIL'), password: env('FD_E2E_GPUCOOP_CUSTOMER_PASSWORD') }
const gpuNodes = env('FD_E2E_GPUCOOP_GPU_NODES').split(',').filter(Boolean)
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'apps')

const skip = missingEnv({
  FD_E2E_APPS_URL: appsURL,
  FD_E2E_APPS_ADMIN_EMAIL: admin.email,
  FD_E2E_APPS_ADMIN_PASSWORD: admin.password,
  FD_E2E_APPS_CUSTOMER_EMAIL: buyer.email,
  FD_E2E_APPS_CUSTOMER_PASSWORD: buyer.password,
  FD_E2E_GPUCOOP_URL: coopURL,
  FD_E2E_GPUCOOP_ADMIN_EMAIL: coopAdmin.email,
  FD_E2E_GPUCOOP_ADMIN_PASSWORD: coopAdmin.password,
  FD_E2E_GPUCOOP_CUSTOMER_EMAIL: coopBuyer.email,
  FD_E2E_GPUCOOP_CUSTOMER_PASSWORD: coopBuyer.password,
  FD_E2E_GPUCOOP_GPU_NODES: gpuNodes.join(','),
})

const FOUR = ['kubernetes', 'nextcloud', 'openwebui', 'livekit']

// What each app's price must list (APPS.md §2: one line per part of the plan), and whether
// its access panel has credentials to show once.
const plans = {
  kubernetes: { name: 'e2e-k8s', lines: ['vm', 'worker'], credentials: false, kubeconfig: true },
  // Nextcloud's image creates its admin on its own setup page (<url>/aio), linked from the panel.
  nextcloud: { name: 'e2e-cloud', lines: ['vm', 'disk', 'gateway'], credentials: false, kubeconfig: false },
  // On a node rented whole the VM is part of the rent (as a GPU VM order's is).
  openwebui: { name: 'e2e-chat', lines: ['rent', 'gateway'], credentials: false, kubeconfig: false },
  livekit: { name: 'e2e-meet', lines: ['vm', 'ipv4', 'gateway'], credentials: true, kubeconfig: false },
}

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
  return `ssh-ed25519 ${blob.toString('base64')} apps@e2e`
}

const centsOf = (text) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100)

const getJSON = (page, path) =>
  page.evaluate(async (p) => {
    const r = await fetch(p, { headers: { Accept: 'application/json' } })
    return { status: r.status, body: await r.json().catch(() => null) }
  }, path)

/** postJSON sends a write with the CSRF header, as the app's client does. */
const postJSON = (page, path, body = {}) =>
  page.evaluate(
    async ([p, b]) => {
      const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )fd_csrf=([^;]*)/) ?? [])[1] ?? '')
      const r = await fetch(p, {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify(b),
      })
      return { status: r.status, body: await r.json().catch(() => null) }
    },
    [path, body],
  )

/**
 * fillForm names the app and sets the fields the script changes from their defaults
 * (Nextcloud's storage, the cluster's workers), and the SSH key: pasted the first time
 * (and saved), the saved one afterwards.
 */
async function fillForm(page, app, name) {
  await page.locator(`[data-testid="app-form"][data-app="${app}"]`).waitFor()
  await page.getByTestId('deploy-name').fill(name)
  const set = async (key, value) => {
    assert.equal(await page.getByTestId(`app-field-${key}`).count(), 1, `the ${app} form has no ${key} field`)
    const option = page.getByTestId(`app-option-${key}-${value}`)
    if ((await option.count()) > 0) await option.click()
    else await page.getByTestId(`app-input-${key}`).fill(String(value))
  }
  if (app === 'nextcloud') {
    // Out of the bounds the server gave the field: said beside it, and nothing to pay.
    await set('storage_gb', 5000)
    await page.getByTestId('app-input-storage_gb').blur()
    assert.match(await page.getByTestId('field-error-app_config.storage_gb').innerText(), /At most 2000/)
    assert.equal(await page.getByTestId('pay-button').isEnabled(), false, 'an out-of-bounds form can be paid')
    await set('storage_gb', 100)
  }
  if (app === 'kubernetes') await set('workers', 2)
  if ((await page.getByTestId('deploy-ssh-key').count()) > 0) {
    await page.getByTestId('deploy-ssh-key').fill(sshPublicKey())
    await page.getByTestId('ssh-key-ok').waitFor()
    if ((await page.getByTestId('ssh-key-name').count()) > 0) await page.getByTestId('ssh-key-name').fill('apps laptop')
  }
  await page.getByTestId('payment-step').getByTestId('card-picker').waitFor()
}

/**
 * payAndCheck waits for the live price, checks its lines, pays, and checks the order was
 * charged what the summary said with the same lines. It answers the deployment's id.
 */
async function payAndCheck(page, lines) {
  // The price is read once the live quote has settled: the pay button waits for it.
  const pay = page.getByTestId('pay-button')
  const summary = page.getByTestId('order-summary')
  try {
    await eventually(async () => assert.equal(await pay.isEnabled(), true), { timeout: 20_000 })
    for (const kind of lines) await page.getByTestId(`summary-line-${kind}`).waitFor({ timeout: 5_000 })
  } catch (err) {
    throw new Error(`the order summary is not ready: ${await summary.innerText()}\n${err.message}`)
  }
  await page.waitForTimeout(600)
  await eventually(async () => assert.equal(await pay.isEnabled(), true))
  const shown = await page.locator('[data-testid^="summary-line-"]').evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-testid').slice('summary-line-'.length), e.textContent]),
  )
  const monthly = centsOf(await page.getByTestId('summary-monthly').innerText())
  assert.equal(
    shown.reduce((s, [, t]) => s + centsOf(t), 0),
    monthly,
    `the lines ${JSON.stringify(shown)} do not add up to the monthly price`,
  )
  const due = centsOf(await page.getByTestId('summary-total').innerText())
  assert.match(await pay.innerText(), /^Pay .*\d.* and deploy$/)
  return { due, shown, pay }
}

async function followToRunning(page, lines, due) {
  await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/, { timeout: 30_000 })
  const id = page.url().split('/').pop()
  const d = (await getJSON(page, `/api/deployments/${id}`)).body
  const o = (await getJSON(page, `/api/orders/${d.order_id}`)).body
  for (const kind of lines) assert.ok(o.lines?.some((l) => l.kind === kind), `the order has no ${kind} line: ${JSON.stringify(o.lines)}`)
  assert.equal(o.amount_cents, due, 'charged another amount than the summary showed')
  await page.locator('[data-testid="deployment-progress"][data-state="running"]').waitFor({ timeout: 120_000 })
  await page.locator('[data-testid="deployment-status"][data-status="running"]').first().waitFor()
  await page.getByTestId('app-access').waitFor()
  return id
}

async function cancel(page, name) {
  await page.getByTestId('cancel-deployment').click()
  const dialog = page.getByTestId('cancel-dialog')
  await dialog.waitFor()
  assert.match(await dialog.innerText(), new RegExp(`every machine of ${name}`))
  await dialog.getByTestId('confirm-button').click()
  await page.locator('[data-testid="deployment-status"][data-status="terminated"]').first().waitFor({ timeout: 60_000 })
  await page.getByTestId('deployment-deleted').waitFor()
}

describe('one-click apps', { skip }, () => {
  let browser
  let customer
  before(async () => {
    browser = await launch()
  })
  after(async () => {
    await customer?.context.close()
    await browser?.close()
  })

  test('the owner puts the four apps on sale and gives one a margin of its own', { timeout: 120_000 }, async () => {
    const { page, context, errors } = await person(browser, 'apps owner')
    try {
      await logIn(page, appsURL, admin)
      await enrolTOTP(page)
      await page.waitForURL(/\/admin/, { timeout: 30_000 }).catch(() => {})
      await page.goto(url(appsURL, '/admin'))
      await page.getByTestId('admin-nav-apps').first().click()
      await page.getByTestId('admin-apps').waitFor()
      for (const app of FOUR) {
        const row = page.locator(`[data-testid="admin-app"][data-app="${app}"]`)
        await row.waitFor()
        if ((await row.getAttribute('data-enabled')) !== 'true') {
          await row.getByTestId(`switch-enabled-${app}`).click()
          await row.getByTestId('admin-app-save').click()
          await page.locator(`[data-testid="admin-app"][data-app="${app}"][data-enabled="true"]`).waitFor()
        }
      }
      await shotBoth(page, 'admin-apps')

      // A margin of Nextcloud's own: its "from" price rises; a bad one is refused beside the field.
      const row = page.locator('[data-testid="admin-app"][data-app="nextcloud"]')
      const before = centsOf(await row.getByTestId('admin-app-from').innerText())
      await row.getByTestId('admin-app-margin').fill('abc')
      await row.getByTestId('field-error-margin_bps').waitFor()
      await row.getByTestId('admin-app-margin').fill('80')
      await row.getByTestId('admin-app-save').click()
      await page.getByTestId('apps-notice').filter({ hasText: /Nextcloud is on sale, at a 80 % margin/ }).waitFor()
      await eventually(async () => assert.ok(centsOf(await row.getByTestId('admin-app-from').innerText()) > before, 'the margin did not raise the price'))
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })

  for (const app of FOUR) {
    test(`${app}: catalog → form → price lines → pay → running → access → cancel`, { timeout: 300_000 }, async () => {
      if (!customer) {
        customer = await person(browser, 'apps customer')
        await logIn(customer.page, appsURL, buyer)
        await customer.page.getByTestId('user-menu-button').waitFor()
      }
      const { page, errors } = customer
      const plan = plans[app]

      // The home page lists the apps; the catalog, from the nav: the VM first, then the four
      // apps with their "from" price.
      await page.goto(appsURL)
      await eventually(async () => {
        const home = await page.getByTestId('home-app').evaluateAll((els) => els.map((e) => e.getAttribute('data-app')))
        assert.deepEqual(home, FOUR, 'the home page does not list the four apps')
      })
      if (app === 'kubernetes') {
        await page.getByTestId('home-apps').scrollIntoViewIfNeeded()
        await shotBoth(page, 'home')
      }
      await page.getByRole('navigation', { name: 'Main' }).first().getByRole('link', { name: 'Apps', exact: true }).click()
      await page.getByTestId('app-catalog').waitFor()
      const keys = await page.getByTestId('app-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-app')))
      assert.equal(keys[0], 'vm', 'the VM is not first in the catalog')
      for (const k of FOUR) assert.ok(keys.includes(k), `the catalog lacks ${k}: ${keys}`)
      const card = page.locator(`[data-testid="app-card"][data-app="${app}"]`)
      assert.match(await card.getByTestId('app-from').innerText(), /From .*\d.* \/ month/)
      if (app === 'openwebui') assert.match(await card.getByTestId('app-requires').innerText(), /GPU/)
      if (app === 'kubernetes') await shotBoth(page, 'catalog')
      await card.getByTestId('app-deploy').click()
      await page.waitForURL(new RegExp(`/deploy/app/${app}$`))

      await fillForm(page, app, plan.name)
      // Nextcloud goes on a node the customer picks (the others on one we choose).
      let picked = ''
      if (app === 'nextcloud') {
        await page.getByTestId('placement-advanced').click()
        const option = page.locator('[data-testid="node-picker"] [data-testid="node-option"][data-pickable="true"][data-gpu="false"]').first()
        await option.waitFor()
        picked = await option.getAttribute('data-node')
        await option.click()
        assert.equal(await page.getByTestId('summary-placement').innerText(), `Node ${picked}`)
      }
      const { due, pay } = await payAndCheck(page, plan.lines)
      if (app === 'nextcloud') assert.match(await page.getByTestId('summary-line-disk').innerText(), /\d/, 'no data disk line')
      if (app === 'nextcloud') assert.match(await page.getByTestId('order-summary').innerText(), /100 GB/, 'the summary does not price the 100 GB asked for')
      await shotBoth(page, `${app}-form`)
      await pay.click()
      const id = await followToRunning(page, plan.lines, due)
      const d = (await getJSON(page, `/api/deployments/${id}`)).body
      assert.equal(d.app, app)
      if (picked) assert.equal(String(d.node_id), picked, 'Nextcloud does not run on the node picked')

      // Access: HTTPS URLs as links.
      const access = page.getByTestId('app-access')
      const urls = await access.getByTestId('app-url-link').evaluateAll((els) => els.map((e) => e.getAttribute('data-url')))
      assert.deepEqual(urls, d.access.urls.map((u) => u.url))
      // Behind a gateway name: HTTPS (LiveKit's signalling is its WebSocket form, wss://).
      const scheme = app === 'livekit' ? 'wss://' : 'https://'
      assert.ok(urls.length > 0 && urls.every((u) => u.startsWith(scheme)), `URLs ${urls}`)
      if (app === 'nextcloud') assert.ok(urls.some((u) => u.endsWith('/aio')), `no link to Nextcloud's setup page: ${urls}`)
      if (app === 'livekit') {
        const ports = await access.getByTestId('app-port').allInnerTexts()
        for (const p of ['7880', '7881', '50000-60000']) assert.ok(ports.some((t) => t.includes(p)), `LiveKit's ports lack ${p}: ${ports}`)
      }

      // Credentials, shown once.
      const creds = access.getByTestId('app-credentials')
      if (plan.credentials) assert.equal(await creds.getAttribute('data-state'), 'available')
      else assert.equal(await creds.count(), 0, `${app} shows credentials`)
      if ((await creds.count()) > 0 && (await creds.getAttribute('data-state')) === 'available') {
        await creds.getByTestId('credentials-show').click()
        await page.getByTestId('credentials-dialog').getByTestId('confirm-button').click()
        await creds.getByTestId('credentials-warning').waitFor()
        const values = await creds.getByTestId('credential-value').allInnerTexts()
        // LiveKit's API key and secret: the secret is long and random.
        assert.ok(values.length >= 2 && values.every((v) => v.trim() !== ''), `credentials ${values.length}`)
        assert.ok(values.some((v) => v.trim().length >= 16), 'no credential looks like a generated secret')
        await shotBoth(page, `${app}-credentials`)
        const again = await postJSON(page, `/api/deployments/${id}/credentials`)
        assert.equal(again.status, 409, 'the credentials were shown a second time')
        assert.equal(again.body?.error?.field, 'credentials')
        // The deployment and its events never carry them.
        const record = JSON.stringify((await getJSON(page, `/api/deployments/${id}`)).body)
        for (const v of values) assert.ok(!record.includes(v.trim()), 'the deployment record carries a credential')
        await page.reload()
        await page.locator('[data-testid="app-credentials"][data-state="shown"]').waitFor()
        assert.equal(await page.getByTestId('credential-value').count(), 0)
      }

      if (plan.kubeconfig) {
        // The kubeconfig downloads as <name>-kubeconfig.yaml and is a kubeconfig.
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('kubeconfig-download').click()])
        assert.equal(download.suggestedFilename(), `${plan.name}-kubeconfig.yaml`)
        const yaml = await readFile(await download.path(), 'utf8')
        assert.match(yaml, /apiVersion: v1/)
        assert.match(yaml, /kind: Config/)
        assert.match(yaml, /server: https:\/\//)

        // Workers: one more (charged for the rest of the period), then back down.
        const workers = page.getByTestId('workers-card')
        const have = await workers.getByTestId('worker').count()
        assert.ok(have >= 1, 'the cluster lists no worker')
        await workers.getByTestId('workers-plus').click()
        await workers.getByTestId('workers-apply').click()
        await page.getByTestId('workers-dialog').getByTestId('confirm-button').click()
        await page.getByTestId('deployment-notice').filter({ hasText: new RegExp(`now has ${have + 1} workers`) }).waitFor()
        await eventually(
          async () => {
            const r = (await getJSON(page, `/api/deployments/${id}`)).body
            assert.equal(r.workers.length, have + 1)
          },
          { timeout: 60_000, interval: 1000 },
        )
        await page.reload()
        await eventually(async () => assert.equal(await page.getByTestId('worker').count(), have + 1), { timeout: 30_000 })
        await shotBoth(page, `${app}-workers`)
        await page.getByTestId('workers-minus').click()
        await page.getByTestId('workers-apply').click()
        await page.getByTestId('workers-dialog').getByTestId('confirm-button').click()
        await page.getByTestId('deployment-notice').filter({ hasText: new RegExp(`now has ${have} worker`) }).waitFor()
      }
      await page.getByTestId('app-access').scrollIntoViewIfNeeded()
      await shotBoth(page, `${app}-running`)

      await cancel(page, plan.name)
      await shotBoth(page, `${app}-cancelled`)
      assert.deepEqual(errors, [])
    })
  }

  test('the GPU co-op sells Open WebUI through an offer', { timeout: 300_000 }, async () => {
    const offerName = 'Open WebUI on our GPUs'
    {
      const { page, context, errors } = await person(browser, 'gpu co-op owner')
      try {
        await logIn(page, coopURL, coopAdmin)
        await enrolTOTP(page)
        await page.waitForURL(/\/admin/, { timeout: 30_000 }).catch(() => {})
        // Open WebUI on sale, then an offer of it on the co-op's GPU nodes.
        await page.goto(url(coopURL, '/admin/apps'))
        const row = page.locator('[data-testid="admin-app"][data-app="openwebui"]')
        await row.waitFor()
        if ((await row.getAttribute('data-enabled')) !== 'true') {
          await row.getByTestId('switch-enabled-openwebui').click()
          await row.getByTestId('admin-app-save').click()
          await page.locator('[data-testid="admin-app"][data-app="openwebui"][data-enabled="true"]').waitFor()
        }
        await page.goto(url(coopURL, '/admin/offers'))
        await page.getByTestId('offer-add').first().click()
        const dialog = page.getByTestId('offer-dialog')
        await dialog.waitFor()
        await dialog.locator('input[name="name"]').fill(offerName)
        await dialog.locator('textarea[name="description"]').fill('Private AI chat with a local model, on a GPU rented for you.')
        await dialog.getByTestId('offer-capability-gpu').check()
        await eventually(async () => assert.ok((await dialog.locator('select[name="app"] option[value="openwebui"]').count()) > 0))
        await dialog.locator('select[name="app"]').selectOption('openwebui')
        await shotBoth(page, 'coop-offer-form')
        await dialog.getByTestId('offer-submit').click()
        await page.getByTestId('offer-notice').waitFor()
        const offer = page.locator(`[data-testid="offer-row"][data-name="${offerName}"]`).filter({ visible: true }).first()
        await offer.waitFor()
        assert.match(await offer.innerText(), /Sells Open WebUI/)
        assert.deepEqual(errors, [])
      } finally {
        await context.close()
      }
    }

    const { page, context, errors } = await person(browser, 'gpu co-op customer')
    try {
      await logIn(page, coopURL, coopBuyer)
      await page.getByTestId('user-menu-button').waitFor()
      await page.goto(coopURL)
      const card = page.locator(`[data-testid="coop-offer"][data-name="${offerName}"]`)
      await card.waitFor()
      await shotBoth(page, 'coop-home')
      await card.getByTestId('coop-offer-deploy').click()
      await page.waitForURL(/\/deploy\/app\/openwebui\?offer=/)
      await page.getByTestId('deploy-offer').waitFor()
      await page.getByTestId('deploy-offer-rent').waitFor()
      await fillForm(page, 'openwebui', 'e2e-coop-chat')
      const { due, pay } = await payAndCheck(page, plans.openwebui.lines)
      await shotBoth(page, 'coop-openwebui-form')
      await pay.click()
      const id = await followToRunning(page, plans.openwebui.lines, due)
      const d = (await getJSON(page, `/api/deployments/${id}`)).body
      assert.equal(d.app, 'openwebui')
      assert.ok(gpuNodes.includes(String(d.node_id)), `Open WebUI runs on node ${d.node_id}, not one of the co-op's GPU nodes ${gpuNodes}`)
      assert.ok(d.gpus?.length > 0, 'no GPU attached')
      await page.getByTestId('gpu-card').waitFor()
      const urls = await page.getByTestId('app-url-link').evaluateAll((els) => els.map((e) => e.getAttribute('data-url')))
      assert.ok(urls.length > 0 && urls.every((u) => u.startsWith('https://')), `URLs ${urls}`)
      await shotBoth(page, 'coop-openwebui-running')
      await cancel(page, 'e2e-coop-chat')
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })
})
