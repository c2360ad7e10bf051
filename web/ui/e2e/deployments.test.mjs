// End-to-end test of deployments and node operators in headless Chromium against the
// real server (the Go harness provisions on the grid simulator in the background):
//
//  1. Issue 8: a customer with a card deploys a VM with a backup VM on the demo
//     storefront, watches the progress bar reach "running", sees the addresses and the
//     SSH command, and cancels it (the Go test then checks that the simulator had the
//     contracts and cancelled every one).
//  2. Issue 7: a node operator links a twin by signing the challenge with the farm
//     twin's key, registers two nodes of that farm, asks to join the demo storefront; the
//     storefront's owner enrols TOTP and approves; the operator exposes ONE node; a
//     customer's advanced-mode deploy form then offers only that node.
//
// Run with `node --test web/ui/e2e/`. It needs:
//   FD_E2E_STOREFRONT_URL, FD_E2E_CONSOLE_URL
//   FD_E2E_DEPLOYER_EMAIL, FD_E2E_DEPLOYER_PASSWORD      a verified customer of the storefront of its
//                                                        own (else FD_E2E_CUSTOMER_EMAIL/_PASSWORD)
//   FD_E2E_DEPLOYMENT_NAME                               optional; the server's name (default e2e-web)
//   FD_E2E_OPERATOR2_EMAIL, FD_E2E_OPERATOR2_PASSWORD    a node operator without a twin yet
//   FD_E2E_POOL_ADMIN_EMAIL, FD_E2E_POOL_ADMIN_PASSWORD  the storefront's owner, no 2FA yet
//   FD_E2E_TWIN_ID, FD_E2E_TWIN_SEED_HEX                 a farm twin and its ed25519 seed (hex)
//   FD_E2E_OPERATOR_NODES                                two node ids of that farm: "a,b"
//   FD_E2E_TENANT_SLUG                                   optional; the storefront's slug (default demo)
//   FD_E2E_SCREENSHOT_DIR                                optional; PNGs at 1440 and 375 px
// The demo pool must offer customers no pickable node besides the operator's.

import assert from 'node:assert/strict'
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { enrolTOTP, env, eventually, launch, logIn, missingEnv, person, shooter, url } from './support.mjs'

const storefrontURL = env('FD_E2E_STOREFRONT_URL')
const consoleURL = env('FD_E2E_CONSOLE_URL')
const tenantSlug = env('FD_E2E_TENANT_SLUG') || 'demo'
// Its own customer when given one: payments.test.mjs counts the cards and orders of
// FD_E2E_CUSTOMER_EMAIL while this script runs beside it.
const customer = env('FD_E2E_DEPLOYER_EMAIL')
  ? { email: env('FD_E2E_DEPLOYER_EMAIL'), password: env('FD_E2E_DEPLOYER_PASSWORD') }
  : { email: env('FD_E2E_CUSTOMER_EMAIL'), password: env('FD_E2E_CUSTOMER_PASSWORD') }
const operator = { email: env('FD_E2E_OPERATOR2_EMAIL'), password: env('FD_E2E_OPERATOR2_PASSWORD') }
const poolAdmin = { email: env('FD_E2E_POOL_ADMIN_EMAIL'), password: env('FD_E2E_POOL_ADMIN_PASSWORD') }
const twinId = env('FD_E2E_TWIN_ID')
const twinSeed = env('FD_E2E_TWIN_SEED_HEX')
const [nodeA, nodeB] = env('FD_E2E_OPERATOR_NODES').split(',').filter(Boolean)
const deployName = env('FD_E2E_DEPLOYMENT_NAME') || 'e2e-web'
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'deployments')

const skipDeploy = missingEnv({
  FD_E2E_STOREFRONT_URL: storefrontURL,
  FD_E2E_CUSTOMER_EMAIL: customer.email,
  FD_E2E_CUSTOMER_PASSWORD: customer.password,
})
const skipOperator = missingEnv({
  FD_E2E_STOREFRONT_URL: storefrontURL,
  FD_E2E_CONSOLE_URL: consoleURL,
  FD_E2E_CUSTOMER_EMAIL: customer.email,
  FD_E2E_OPERATOR2_EMAIL: operator.email,
  FD_E2E_OPERATOR2_PASSWORD: operator.password,
  FD_E2E_POOL_ADMIN_EMAIL: poolAdmin.email,
  FD_E2E_POOL_ADMIN_PASSWORD: poolAdmin.password,
  FD_E2E_TWIN_ID: twinId,
  FD_E2E_TWIN_SEED_HEX: twinSeed,
  FD_E2E_OPERATOR_NODES: nodeB,
})

// ——— Keys ———

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
  return `ssh-ed25519 ${blob.toString('base64')} e2e@laptop`
}

/** ed25519Sign signs text with a raw 32-byte ed25519 seed (wrapped in PKCS#8 for node:crypto). */
function ed25519Sign(seedHex, text) {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')])
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
  return sign(null, Buffer.from(text, 'utf8'), key).toString('hex')
}

// ——— Browser ———

/** @type {import('playwright-core').Browser | undefined} */
let browser
const contexts = []

before(async () => {
  if (skipDeploy && skipOperator) return
  browser = await launch()
})

after(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  await browser?.close()
})

async function someone(name) {
  assert.ok(browser, 'the browser did not start')
  const p = await person(browser, name)
  contexts.push(p.context)
  return p
}

/**
 * useCard makes sure the deploy page has a card to charge: the customer's saved card
 * (the Go harness saves one for its deployer, see e2e_test.go), else Stripe's
 * always-succeeding test card, added from the payment step.
 */
async function useCard(page) {
  const step = page.getByTestId('payment-step')
  await step.waitFor()
  const picker = step.getByTestId('card-picker')
  const form = step.getByTestId('add-card')
  await eventually(async () => assert.ok((await picker.isVisible()) || (await form.isVisible()), 'no card and no card form'))
  if (await picker.isVisible()) return
  await form.getByTestId('test-card-pm_card_visa').check()
  await form.getByTestId('save-card').click()
  await picker.waitFor()
  await form.waitFor({ state: 'detached' })
}

describe('a customer deploys a VM with a backup VM and cancels it', { skip: skipDeploy }, () => {
  test('deploy, follow the progress to running, connect, cancel', { timeout: 180_000 }, async () => {
    const c = await someone('customer')
    const { page } = c
    await logIn(page, storefrontURL, customer)
    await page.getByTestId('user-menu-button').waitFor()

    await page.goto(url(storefrontURL, '/deployments'))
    await page.getByRole('heading', { name: 'Deployments', level: 1 }).waitFor()
    await page.waitForLoadState('networkidle')
    if (await page.getByTestId('empty-deploy').isVisible()) await shotBoth(page, 'storefront-deployments-empty')

    await page.goto(url(storefrontURL, '/deploy'))
    await page.getByTestId('size-options').waitFor()

    // The name and the key are checked as they are typed.
    const name = page.getByTestId('deploy-name')
    await name.fill('9 bad')
    await page.getByTestId('field-error-name').waitFor()
    await name.fill(deployName)
    await page.getByTestId('field-error-name').waitFor({ state: 'detached' })

    await page.locator('[data-testid="image-card"][data-image="debian-12"]').click()
    await page.getByTestId('size-small').click()

    const key = page.getByTestId('deploy-ssh-key')
    await key.fill('ssh-ed25519 not-a-key')
    await page.getByTestId('field-error-ssh_key').waitFor()
    await key.fill(sshPublicKey())
    await page.getByTestId('ssh-key-ok').waitFor()

    await page.getByTestId('placement-default').click()
    await page.getByTestId('backup-vm').click()
    await useCard(page)

    await eventually(async () => assert.match(await page.getByTestId('summary-total').innerText(), /\d/))
    assert.equal(await page.getByTestId('summary-name').innerText(), deployName)
    assert.equal(await page.getByTestId('summary-backup').innerText(), 'Backup VM')
    await shotBoth(page, 'storefront-deploy')

    const pay = page.getByTestId('pay-button')
    assert.match(await pay.innerText(), /^Pay .*\d.* and deploy$/)
    await pay.click()
    await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/, { timeout: 30_000 })
    await page.getByTestId('deployment-progress').waitFor()
    await shotBoth(page, 'storefront-deployment-progress')

    // The stream moves the bar through its named steps to running.
    await page.locator('[data-testid="deployment-progress"][data-state="running"]').waitFor({ timeout: 90_000 })
    const steps = await page.getByTestId('progress-step').evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-step'), e.getAttribute('data-state')]),
    )
    assert.deepEqual(steps, [
      ['payment', 'done'],
      ['network', 'done'],
      ['vm', 'done'],
      ['backup', 'done'],
      ['running', 'done'],
    ])
    for (const step of ['payment', 'network', 'vm', 'backup', 'running']) {
      await page.locator(`[data-testid="event-row"][data-step="${step}"]`).first().waitFor()
    }
    await page.locator('[data-testid="deployment-status"][data-status="running"]').first().waitFor()

    // Addresses and the SSH line.
    const mycelium = (await page.getByTestId('mycelium').innerText()).trim()
    assert.match(mycelium, /:/, `mycelium address: ${mycelium}`)
    const ssh = (await page.getByTestId('ssh-command').innerText()).trim()
    assert.match(ssh, /^ssh root@\S+$/)
    assert.ok(ssh.endsWith(mycelium) || (await page.getByTestId('ipv4').count()) > 0, `ssh line ${ssh}`)
    await page.locator('[data-testid="backup-card"][data-backup="vm"]').waitFor()
    await page.getByTestId('receipt-link').waitFor()
    await shotBoth(page, 'storefront-deployment-running')

    // The list shows it running.
    await page.goto(url(storefrontURL, '/deployments'))
    await page.locator(`[data-testid="deployment-row"][data-name="${deployName}"][data-status="running"]`).first().waitFor()
    await shotBoth(page, 'storefront-deployments')
    await page.locator(`[data-testid="deployment-row"][data-name="${deployName}"]`).first().getByTestId('deployment-link').first().click()
    await page.getByTestId('cancel-deployment').waitFor()

    // Cancel, after a confirmation that says what is lost.
    await page.getByTestId('cancel-deployment').click()
    const dialog = page.getByTestId('cancel-dialog')
    await dialog.waitFor()
    const text = await dialog.innerText()
    assert.match(text, /everything on its disk/)
    assert.match(text, /backup VM/)
    assert.match(text, /credit/)
    await shotBoth(page, 'storefront-deployment-cancel')
    await dialog.getByTestId('confirm-button').click()
    await page.locator('[data-testid="deployment-status"][data-status="terminated"]').first().waitFor({ timeout: 30_000 })
    await page.getByTestId('deployment-deleted').waitFor()
    await page.locator('[data-testid="event-row"][data-step="terminated"]').first().waitFor()
    await shotBoth(page, 'storefront-deployment-cancelled')
    assert.deepEqual(c.errors, [])
  })
})

describe('a node operator brings nodes and a customer can pick only the exposed one', { skip: skipOperator }, () => {
  /** @type {Awaited<ReturnType<typeof someone>> | undefined} */
  let op
  /** @type {Awaited<ReturnType<typeof someone>> | undefined} */
  let admin

  test('the operator links the farm twin by signing the challenge', { timeout: 60_000 }, async () => {
    op = await someone('operator')
    const { page } = op
    await logIn(page, consoleURL, operator)
    await page.waitForURL(/\/dashboards$/)

    // Nodes wait for a twin.
    await page.goto(url(consoleURL, '/nodes'))
    await page.getByTestId('nodes-need-twin').waitFor()

    await page.goto(url(consoleURL, '/twin'))
    await page.getByTestId('twin-id').fill(twinId)
    await page.getByTestId('twin-challenge-button').click()
    const challenge = await page.getByTestId('twin-challenge').textContent()
    assert.ok(challenge && challenge.includes(`link twin ${twinId}`), `challenge: ${challenge}`)
    await page.getByTestId('key-type-ed25519').check()

    // Checked as typed, then refused by the server when another key signed it.
    const signature = page.getByTestId('twin-signature')
    await signature.fill('0x1234')
    await page.getByTestId('field-error-signature').waitFor()
    const stranger = Buffer.alloc(32, 7).toString('hex')
    await signature.fill(ed25519Sign(stranger, challenge))
    await page.getByTestId('twin-link-button').click()
    await eventually(async () =>
      assert.match(await page.getByTestId('field-error-signature').innerText(), /does not match/),
    )
    await shotBoth(page, 'console-twin-challenge')

    await signature.fill('0x' + ed25519Sign(twinSeed, challenge))
    await page.getByTestId('twin-link-button').click()
    await page.locator(`[data-testid="twin-linked"][data-twin="${twinId}"]`).waitFor()
    await shotBoth(page, 'console-twin-linked')
    assert.deepEqual(op.errors, [])
  })

  test('the operator registers two nodes and asks to join the storefront', { timeout: 60_000 }, async () => {
    assert.ok(op, 'the twin step did not run')
    const { page } = op
    await page.getByTestId('twin-to-nodes').click()
    await page.waitForURL(/\/nodes$/)

    // A node that does not exist is refused beside the field.
    await page.getByTestId('register-node-id').fill('999999')
    await page.getByTestId('register-node').click()
    await page.getByTestId('field-error-node_id').waitFor()

    for (const id of [nodeA, nodeB]) {
      await page.getByTestId('register-node-id').fill(id)
      await page.getByTestId('register-node').click()
      await page.locator(`[data-testid="node-row"][data-node="${id}"]`).first().waitFor()
    }
    await page.getByTestId('nodes-notice').waitFor()
    await shotBoth(page, 'console-nodes-registered')

    await page.goto(url(consoleURL, '/dashboards'))
    const row = page.locator(`[data-testid="dashboard-row"][data-slug="${tenantSlug}"]`).first()
    await row.getByTestId('request-join').click()
    const dialog = page.getByTestId('request-dialog')
    await dialog.getByTestId('request-message').fill(`Two nodes of twin ${twinId}'s farm.`)
    await dialog.getByTestId('request-submit').click()
    await page.locator(`[data-testid="dashboard-row"][data-slug="${tenantSlug}"][data-status="pending"]`).first().waitFor()
    assert.deepEqual(op.errors, [])
  })

  test('the storefront owner enrols TOTP and approves the operator', { timeout: 90_000 }, async () => {
    admin = await someone('pool-admin')
    const { page } = admin
    await logIn(page, storefrontURL, poolAdmin)
    await page.waitForURL(/\/account\/two-factor\?/)
    await enrolTOTP(page)
    await page.waitForURL(/\/admin$/, { timeout: 30_000 }).catch(async (err) => {
      // Say where the enrolment ended up instead, then carry on from the requests page.
      console.error(`after TOTP enrolment the owner is on ${page.url()}: ${err.message}`)
    })
    await page.goto(url(storefrontURL, '/admin/node-operator-requests'))
    const row = page.locator(`[data-testid="request-row"][data-email="${operator.email.toLowerCase()}"]`).first()
    await row.getByTestId('request-approve').click()
    await page.getByTestId('confirm-dialog').getByTestId('confirm-button').click()
    await page.getByTestId('requests-notice').waitFor()
    assert.deepEqual(admin.errors, [])
  })

  test('the operator exposes one node, and withdraws the other', { timeout: 60_000 }, async () => {
    assert.ok(op, 'the operator steps did not run')
    const { page } = op
    await page.goto(url(consoleURL, '/nodes'))
    const exposure = (id) => page.locator(`[data-testid="exposure"][data-node="${id}"][data-slug="${tenantSlug}"]`).first()
    await exposure(nodeA).waitFor()

    await exposure(nodeA).getByTestId('exposure-toggle').click()
    await page.locator(`[data-testid="exposure"][data-node="${nodeA}"][data-slug="${tenantSlug}"][data-exposed="true"]`).first().waitFor()

    // Exposing B and withdrawing it again says what stays.
    await exposure(nodeB).getByTestId('exposure-toggle').click()
    await page.locator(`[data-testid="exposure"][data-node="${nodeB}"][data-slug="${tenantSlug}"][data-exposed="true"]`).first().waitFor()
    await exposure(nodeB).getByTestId('exposure-toggle').click()
    const dialog = page.getByTestId('withdraw-dialog')
    assert.match(await dialog.getByTestId('withdraw-running').innerText(), /^0 running deployments stay/)
    await dialog.getByTestId('confirm-button').click()
    await page.locator(`[data-testid="exposure"][data-node="${nodeB}"][data-slug="${tenantSlug}"][data-exposed="false"]`).first().waitFor()
    assert.match(await page.getByTestId('nodes-notice').innerText(), /0 running deployments stay/)
    await shotBoth(page, 'console-nodes-exposed')

    await page.goto(url(consoleURL, '/earnings'))
    await page.getByTestId('earnings-summary').waitFor()
    assert.match((await page.getByTestId('earnings-csv').getAttribute('href')) ?? '', /^\/api\/node-operator\/earnings\.csv\?/)
    await shotBoth(page, 'console-earnings')
    assert.deepEqual(op.errors, [])
  })

  test('the pool shows the operator’s node; the admin pages render', { timeout: 60_000 }, async () => {
    assert.ok(admin, 'the approval step did not run')
    const { page } = admin
    await page.getByTestId('admin-nav-pool').click()
    const row = page.locator(`[data-testid="pool-row"][data-node="${nodeA}"][data-source="operator"]`).first()
    await row.waitFor()
    assert.equal(await row.getByTestId('pool-contributor').first().innerText(), operator.email.toLowerCase())
    await page.getByTestId('pool-summary').waitFor()
    await page.getByTestId('catalog-row').first().waitFor()
    await shotBoth(page, 'storefront-admin-pool')

    await page.getByTestId('admin-nav-deployments').click()
    await page.getByRole('heading', { name: 'Deployments', level: 1 }).waitFor()
    // The first part's server, cancelled by its customer, is listed with its state.
    if (!skipDeploy) {
      await page.locator(`[data-testid="admin-deployment-row"][data-name="${deployName}"][data-status="terminated"]`).first().waitFor()
    }
    await page.waitForLoadState('networkidle')
    await shotBoth(page, 'storefront-admin-deployments')
    assert.deepEqual(admin.errors, [])
  })

  test('a customer choosing nodes is offered only the exposed node', { timeout: 60_000 }, async () => {
    const c = await someone('picker')
    const { page } = c
    await logIn(page, storefrontURL, customer)
    await page.getByTestId('user-menu-button').waitFor()
    await page.goto(url(storefrontURL, '/deploy'))
    await page.getByTestId('size-options').waitFor()
    await page.getByTestId('placement-advanced').click()
    const picker = page.getByTestId('node-picker')
    await picker.getByTestId('node-option').first().waitFor()
    const offered = await picker.getByTestId('node-option').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')))
    assert.deepEqual(offered, [nodeA], `the advanced deploy form offers ${offered.join(', ')}`)
    await picker.locator(`[data-testid="node-option"][data-node="${nodeA}"]`).click()
    assert.equal(await page.getByTestId('summary-placement').innerText(), `Node ${nodeA}`)
    await shotBoth(page, 'storefront-deploy-advanced')
    assert.deepEqual(c.errors, [])
  })
})
