// End-to-end test of tenancy in headless Chromium against the real server: two
// storefronts served by one process on two hosts, each branded as itself from the first
// paint and showing nothing of the other; a suspended storefront's maintenance page; a
// storefront owner editing the branding (live preview, the contrast check, saving),
// verifying a custom domain and editing settings; and a super-admin running the
// console's tenant pages (applications, new tenant, suspend and reactivate, fee).
//
// Run with `node --test web/ui/e2e/`. It needs:
//   FD_E2E_STOREFRONT_URL, FD_E2E_SECOND_STOREFRONT_URL   two active storefronts with logos
//   FD_E2E_SUSPENDED_URL                                  a suspended storefront
//   FD_E2E_SECOND_ADMIN_EMAIL, FD_E2E_SECOND_ADMIN_PASSWORD  owner of the second storefront, no 2FA yet
//   FD_E2E_CUSTOM_DOMAIN                                  optional: a pending domain of the second
//                                                         storefront whose TXT record DNS answers
//   FD_E2E_CONSOLE_URL, FD_E2E_SECOND_SUPERADMIN_EMAIL, FD_E2E_SECOND_SUPERADMIN_PASSWORD
//                                                         a super-admin without 2FA yet (not the one
//                                                         identity.test.mjs enrols)
//   FD_E2E_SCREENSHOT_DIR                                 optional; PNGs at 1440 and 375 px
// Each group skips, naming what is missing, without its variables.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  cssColor,
  enrolTOTP,
  env,
  eventually,
  launch,
  logIn,
  missingEnv,
  person,
  shooter,
  url,
} from './support.mjs'

const storefrontA = env('FD_E2E_STOREFRONT_URL')
const storefrontB = env('FD_E2E_SECOND_STOREFRONT_URL')
const suspendedURL = env('FD_E2E_SUSPENDED_URL')
const consoleURL = env('FD_E2E_CONSOLE_URL')
const customDomain = env('FD_E2E_CUSTOM_DOMAIN')
const ownerB = { email: env('FD_E2E_SECOND_ADMIN_EMAIL'), password: env('FD_E2E_SECOND_ADMIN_PASSWORD') }
const ops = { email: env('FD_E2E_SECOND_SUPERADMIN_EMAIL'), password: env('FD_E2E_SECOND_SUPERADMIN_PASSWORD') }
const shotBoth = shooter(env('FD_E2E_SCREENSHOT_DIR'), 'tenancy')

const skipHosts = missingEnv({
  FD_E2E_STOREFRONT_URL: storefrontA,
  FD_E2E_SECOND_STOREFRONT_URL: storefrontB,
  FD_E2E_SUSPENDED_URL: suspendedURL,
})
const skipAdmin = missingEnv({
  FD_E2E_SECOND_STOREFRONT_URL: storefrontB,
  FD_E2E_SECOND_ADMIN_EMAIL: ownerB.email,
  FD_E2E_SECOND_ADMIN_PASSWORD: ownerB.password,
})
const skipConsole = missingEnv({
  FD_E2E_CONSOLE_URL: consoleURL,
  FD_E2E_SECOND_STOREFRONT_URL: storefrontB,
  FD_E2E_SECOND_SUPERADMIN_EMAIL: ops.email,
  FD_E2E_SECOND_SUPERADMIN_PASSWORD: ops.password,
})

/** The server itself, for /internal/tls-ask (which answers on any host). */
const origin = storefrontB ? `http://127.0.0.1:${new URL(storefrontB).port || 80}` : ''
const customURL = customDomain && storefrontB ? `http://${customDomain}:${new URL(storefrontB).port || 80}/` : ''

/** @type {import('playwright-core').Browser | undefined} */
let browser
const contexts = []

before(async () => {
  if (skipHosts && skipAdmin && skipConsole) return
  // The custom domain resolves to this machine in the browser only, as a DNS record would.
  browser = await launch(customDomain ? [`--host-resolver-rules=MAP ${customDomain} 127.0.0.1`] : [])
})

after(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  await browser?.close()
})

async function open(name, options) {
  assert.ok(browser, 'browser was not launched')
  const p = await person(browser, name, options)
  contexts.push(p.context)
  return p
}

/** served reads what the server put into the page head, from the HTML as sent. */
function served(html) {
  const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? ''
  const css = /<style id="fd-theme">([^<]*)<\/style>/.exec(html)?.[1] ?? ''
  const cfg = JSON.parse(/<script id="fd-config" type="application\/json">([^<]*)<\/script>/.exec(html)?.[1] ?? '{}')
  const primary = /--fd-primary:(#[0-9a-fA-F]{3,6})/.exec(css)?.[1] ?? ''
  return { title, css, cfg, primary }
}

async function tlsAsk(domain) {
  const res = await fetch(`${origin}/internal/tls-ask?domain=${encodeURIComponent(domain)}`)
  return res.status
}

// ——— Two storefronts, one process ———

describe('two storefronts on one process', { skip: skipHosts, concurrency: false }, () => {
  /** What each storefront showed: its name, primary colour and logo address. */
  const brands = {}

  for (const [key, base] of [
    ['A', storefrontA],
    ['B', storefrontB],
  ]) {
    test(`storefront ${key} is branded as itself from the first paint`, { timeout: 60_000 }, async () => {
      // Without JavaScript: the HTML as served already carries the name, theme and logo.
      const bare = await open(`first-paint-${key}`, { javaScriptEnabled: false })
      const res = await bare.page.goto(base)
      assert.ok(res)
      assert.equal(res.status(), 200, `GET ${base} answered ${res.status()}`)
      const head = served(await res.text())
      const name = head.cfg?.tenant?.name
      assert.ok(name, 'the served config names no tenant')
      assert.equal(head.title, name, 'the served <title> is the tenant’s name')
      assert.match(head.primary, /^#[0-9a-f]{3,6}$/i, `no --fd-primary in the served theme: ${head.css}`)
      assert.match(head.cfg.tenant.logo_url ?? '', /^\/branding\/logo\?v=[0-9a-f]{12}$/, 'the served config has the logo')
      const painted = await bare.page.evaluate(() => ({
        primary: getComputedStyle(document.documentElement).getPropertyValue('--fd-primary').trim(),
        background: getComputedStyle(document.documentElement).backgroundColor,
        title: document.title,
      }))
      assert.equal(painted.primary.toLowerCase(), head.primary.toLowerCase(), 'the theme applies before any script runs')
      assert.equal(painted.title, name)
      await bare.context.close()

      // With the app running: the header shows the logo, the button the tenant's colour.
      const { page, errors } = await open(`storefront-${key}`)
      await page.goto(base)
      await page.getByTestId('hero-title').waitFor()
      assert.equal((await page.getByTestId('brand-name').textContent())?.trim(), name)
      const logo = page.locator('header [data-testid="brand-logo"]')
      await logo.waitFor()
      assert.equal(await logo.getAttribute('src'), head.cfg.tenant.logo_url)
      const loaded = await eventually(async () => {
        const l = await logo.evaluate((img) => ({ complete: img.complete, width: img.naturalWidth }))
        assert.ok(l.complete && l.width > 0, `the logo did not load: ${JSON.stringify(l)}`)
        return l
      })
      assert.ok(loaded.width > 0)
      const button = await page.getByTestId('primary-cta').evaluate((el) => getComputedStyle(el).backgroundColor)
      assert.equal(button, await cssColor(page, head.primary), 'the primary button is painted in the tenant’s primary')
      const text = await page.evaluate(() => `${document.title}\n${document.body.innerText}`)
      assert.doesNotMatch(text, /fiatdashboard/i, 'the storefront names the platform')
      brands[key] = { name, primary: head.primary.toLowerCase(), button, logo: head.cfg.tenant.logo_url, text, html: await page.content() }
      await shotBoth(page, `storefront-${key}`)
      assert.deepEqual(errors, [])
    })
  }

  test('the two storefronts differ and show nothing of each other', () => {
    const { A, B } = brands
    assert.ok(A && B, 'a storefront step did not run')
    assert.notEqual(A.name, B.name)
    assert.notEqual(A.button, B.button, 'both storefronts paint the same primary colour')
    assert.notEqual(A.logo, B.logo, 'both storefronts show the same logo')
    assert.ok(!A.text.includes(B.name), `${A.name}'s page shows ${B.name}`)
    assert.ok(!B.text.includes(A.name), `${B.name}'s page shows ${A.name}`)
    assert.ok(!A.html.includes(B.name) && !B.html.includes(A.name), 'a page’s HTML names the other storefront')
  })

  test('a suspended storefront answers with the maintenance page', { timeout: 30_000 }, async () => {
    const { page, errors } = await open('suspended')
    const res = await page.goto(suspendedURL)
    assert.ok(res)
    assert.equal(res.status(), 503)
    const text = await page.evaluate(() => document.body.innerText)
    assert.match(text, /is down for maintenance/)
    assert.match(text, /Running servers are not affected/)
    for (const b of Object.values(brands)) assert.ok(!text.includes(b.name), `the maintenance page names ${b.name}`)
    await shotBoth(page, 'suspended')
    assert.deepEqual(errors, [])
  })
})

// ——— The second storefront's owner: branding, domains, settings ———

describe('storefront admin: branding, domains and settings', { skip: skipAdmin, concurrency: false }, () => {
  /** @type {{ page: import('playwright-core').Page, errors: string[] }} */
  let owner
  const newPrimary = '#1d4ed8'

  test('the owner enrols TOTP at first login and reaches the admin pages', { timeout: 90_000 }, async () => {
    owner = await open('owner')
    const { page } = owner
    await logIn(page, storefrontB, ownerB)
    await page.waitForURL(/\/account\/two-factor\?/)
    await enrolTOTP(page)
    await page.waitForURL(/\/admin$/)
    await page.getByTestId('admin-overview').waitFor()
    for (const id of ['admin-nav-branding', 'admin-nav-domains', 'admin-nav-settings']) {
      assert.ok(await page.getByTestId(id).isVisible(), `the admin nav lacks ${id}`)
    }
    assert.equal(await page.getByTestId('admin-nav-coop').count(), 0, 'an operator storefront has no co-op members page')
    // The business dashboard: money, deployments, wallet and what needs attention, loaded.
    await page.getByTestId('business-dashboard').waitFor()
    for (const id of ['kpi-revenue', 'kpi-net', 'kpi-deployments', 'kpi-runway', 'kpi-tier']) {
      await page.waitForFunction(
        (tid) => {
          const v = document.querySelector(`[data-testid="${tid}-value"]`)?.textContent?.trim() ?? ''
          return v !== '' && v !== '…'
        },
        id,
      )
    }
    assert.match(await page.getByTestId('kpi-revenue-value').innerText(), /\d/, 'revenue shows no amount')
    await page.getByTestId('revenue-chart').waitFor()
    await page.getByTestId('overview-alerts').waitFor()
    assert.equal(await page.getByTestId('section-pending').count(), 0, 'a section of the overview is still being built')
    await shotBoth(page, 'admin-overview')
  })

  test('branding: the preview follows the edits, the contrast check refuses unreadable text, a good theme is saved', { timeout: 90_000 }, async () => {
    assert.ok(owner, 'the login step did not run')
    const { page } = owner
    await page.getByTestId('admin-nav-branding').click()
    await page.waitForURL(/\/admin\/branding$/)
    const preview = page.getByTestId('branding-preview')
    await preview.waitFor()
    const previewButton = page.getByTestId('preview-primary-button')
    const before = await previewButton.evaluate((el) => getComputedStyle(el).backgroundColor)
    await shotBoth(page, 'admin-branding')

    // A new primary colour shows in the preview before anything is saved.
    const primary = page.locator('input[name="primary"]')
    await primary.fill(newPrimary)
    const want = await cssColor(page, newPrimary)
    assert.notEqual(before, want)
    await eventually(async () => {
      assert.equal(await previewButton.evaluate((el) => getComputedStyle(el).backgroundColor), want)
    })
    assert.equal(await page.getByTestId('contrast-button').first().getAttribute('data-pass'), 'true')
    // …while the page itself keeps the saved theme.
    assert.notEqual(await page.getByTestId('branding-save').evaluate((el) => getComputedStyle(el).backgroundColor), want)

    // Light grey text on the light background: flagged as you type, refused on save.
    const text = page.locator('input[name="text"]')
    await text.fill('#b5b5b5')
    await eventually(async () => {
      assert.equal(await page.getByTestId('contrast-text-background').first().getAttribute('data-pass'), 'false')
    })
    await page.getByTestId('branding-save').click()
    const err = page.getByTestId('field-error-text')
    await err.waitFor()
    assert.match((await err.textContent()) ?? '', /contrast of \d+(\.\d+)?:1.*4\.5:1/)
    assert.ok(await text.evaluate((el) => el === document.activeElement), 'the field at fault gets the focus')
    await shotBoth(page, 'admin-branding-contrast-error')

    await text.fill('#111827')
    await eventually(async () => {
      assert.equal(await page.getByTestId('contrast-text-background').first().getAttribute('data-pass'), 'true')
    })
    await page.getByTestId('branding-save').click()
    await page.getByTestId('branding-saved').waitFor()
    assert.equal(await err.count(), 0)
    // The open page takes the saved theme at once.
    await eventually(async () => {
      assert.equal(await page.getByTestId('admin-nav-branding').evaluate((el) => getComputedStyle(el).color), want)
    })
  })

  test('branding: an SVG logo with a script is refused; a clean one replaces the logo', { timeout: 60_000 }, async () => {
    const { page } = owner
    const input = page.getByTestId('asset-logo-input')
    await input.setInputFiles({
      name: 'evil.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    })
    const err = page.getByTestId('field-error-logo')
    await err.waitFor()
    assert.match((await err.textContent()) ?? '', /script/i)

    const oldSrc = await page.locator('header [data-testid="brand-logo"]').getAttribute('src')
    await input.setInputFiles({
      name: 'logo.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><circle cx="32" cy="32" r="28" fill="#1d4ed8"/></svg>',
      ),
    })
    await eventually(async () => {
      const src = await page.locator('header [data-testid="brand-logo"]').getAttribute('src')
      assert.ok(src && src !== oldSrc && /^\/branding\/logo\?v=[0-9a-f]{12}$/.test(src), `header logo is ${src}`)
    })
    assert.equal(await err.count(), 0)
    await shotBoth(page, 'admin-branding-saved')
  })

  test('the storefront shows the saved colour and logo on its next load', { timeout: 60_000 }, async () => {
    const { page, errors } = await open('visitor-after-branding')
    await page.goto(storefrontB)
    await page.getByTestId('hero-title').waitFor()
    const button = await page.getByTestId('primary-cta').evaluate((el) => getComputedStyle(el).backgroundColor)
    assert.equal(button, await cssColor(page, newPrimary))
    const logo = page.locator('header [data-testid="brand-logo"]')
    await eventually(async () => {
      assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the new logo did not load')
    })
    assert.deepEqual(errors, [])
  })

  test('domains: the records are shown, “Verify now” verifies, and the domain serves the storefront', { timeout: 90_000 }, async () => {
    const { page } = owner
    await page.getByTestId('admin-nav-domains').click()
    await page.waitForURL(/\/admin\/domains$/)

    // A malformed domain is refused beside the field.
    await page.locator('input[name="domain"]').fill('not a domain')
    await page.getByTestId('add-domain-submit').click()
    await page.getByTestId('field-error-domain').waitFor()

    // A domain without its TXT record stays pending and says why; it can be removed.
    const extra = `www-${randomBytes(3).toString('hex')}.example.org`
    await page.locator('input[name="domain"]').fill(extra)
    await page.getByTestId('add-domain-submit').click()
    const extraRow = page.locator(`[data-testid="domain-row"][data-domain="${extra}"]`)
    await extraRow.waitFor()
    assert.equal(
      (await extraRow.getByTestId('record-txt-name').textContent())?.trim(),
      `_fiatdashboard.${extra}`,
      'the TXT record’s name',
    )
    assert.match((await extraRow.getByTestId('record-txt-value').textContent()) ?? '', /^fiatdashboard-verify=[0-9a-f]+$/)
    assert.match((await extraRow.getByTestId('record-cname-value').textContent()) ?? '', /^acme\./)
    await extraRow.getByTestId('domain-verify').click()
    await extraRow.getByTestId('domain-error').waitFor()
    assert.match((await extraRow.getByTestId('domain-error').textContent()) ?? '', /no TXT record/i)
    assert.equal(await extraRow.getAttribute('data-status'), 'pending')
    await shotBoth(page, 'admin-domains')
    await extraRow.getByTestId('domain-remove').click()
    await page.getByTestId('confirm-dialog').getByTestId('confirm-button').click()
    await extraRow.waitFor({ state: 'detached' })

    if (!customDomain) return
    const row = page.locator(`[data-testid="domain-row"][data-domain="${customDomain}"]`)
    await row.waitFor()
    assert.equal(await row.getAttribute('data-status'), 'pending')
    assert.equal(await tlsAsk(customDomain), 404, 'tls-ask allows a certificate for a pending domain')
    await row.getByTestId('domain-verify').click()
    await page.locator(`[data-testid="domain-row"][data-domain="${customDomain}"][data-status="verified"]`).waitFor()
    await page.getByTestId('domains-notice').waitFor()
    assert.equal(await tlsAsk(customDomain), 200, 'tls-ask refuses a verified domain')
    await shotBoth(page, 'admin-domains-verified')

    const visitor = await open('custom-domain-visitor')
    const res = await visitor.page.goto(customURL)
    assert.ok(res)
    assert.equal(res.status(), 200)
    await visitor.page.getByTestId('hero-title').waitFor()
    assert.equal(await visitor.page.title(), 'Acme Compute')
    assert.deepEqual(visitor.errors, [])
  })

  test('settings: the server’s message shows beside the field, and a change is saved', { timeout: 60_000 }, async () => {
    const { page, errors } = owner
    await page.getByTestId('admin-nav-settings').click()
    await page.waitForURL(/\/admin\/settings$/)
    const form = page.getByTestId('settings-form')
    await form.waitFor()
    const name = form.locator('input[name="name"]')
    const original = await name.inputValue()
    await name.fill('')
    await page.getByTestId('settings-save').click()
    await page.getByTestId('field-error-name').waitFor()
    await name.fill(original)

    await form.locator('textarea[name="pitch"]').fill('Sovereign compute for European teams, billed by card.')
    await form.locator('select[name="base_currency"]').selectOption('eur')
    await form.locator('input[name="support_email"]').fill('help@acme.example')
    await page.getByTestId('settings-save').click()
    await page.getByTestId('settings-saved').waitFor()
    await page.reload()
    await form.waitFor()
    assert.equal(await form.locator('select[name="base_currency"]').inputValue(), 'eur')
    assert.equal(await form.locator('input[name="support_email"]').inputValue(), 'help@acme.example')
    await shotBoth(page, 'admin-settings')
    assert.deepEqual(errors, [])
  })
})

// ——— The console's tenant pages ———

describe('console: applications, tenants, platform fee and domains', { skip: skipConsole, concurrency: false }, () => {
  /** @type {{ page: import('playwright-core').Page, errors: string[] }} */
  let sa
  const suffix = randomBytes(3).toString('hex')
  const applicant = { name: `E2E Co-op ${suffix}`, slug: `e2e-co-op-${suffix}`, email: `coop-${suffix}@example.com` }
  const created = { name: `E2E Tenant ${suffix}`, slug: `e2e-tenant-${suffix}`, owner: `owner-${suffix}@example.com` }
  const storefrontPort = storefrontB ? new URL(storefrontB).port : ''
  const storefrontOf = (slug) => `http://${slug}.localhost${storefrontPort ? `:${storefrontPort}` : ''}/`

  test('a visitor applies for a co-op from the console’s home page', { timeout: 60_000 }, async () => {
    const { page, errors } = await open('applicant')
    await page.goto(consoleURL)
    await page.getByTestId('apply-operator').waitFor()
    await page.getByTestId('apply-coop').click()
    await page.waitForURL(/\/apply\?kind=coop$/)
    const form = page.getByTestId('apply-form')
    await form.waitFor()
    assert.equal(await form.locator('input[name="kind"][value="coop"]').isChecked(), true)
    await shotBoth(page, 'console-apply')

    await form.locator('input[name="name"]').fill(applicant.name)
    assert.equal(await form.locator('input[name="slug"]').inputValue(), applicant.slug, 'the address follows the name')
    // A reserved address is refused beside its field.
    await form.locator('input[name="slug"]').fill('console')
    await form.locator('input[name="contact_email"]').fill(applicant.email)
    await page.getByTestId('apply-submit').click()
    await page.getByTestId('field-error-slug').waitFor()
    await shotBoth(page, 'console-apply-error')

    await form.locator('input[name="slug"]').fill(applicant.slug)
    await form.locator('textarea[name="message"]').fill('Six farmers in Ghent with 30 certified nodes between us.')
    await page.getByTestId('apply-submit').click()
    await page.getByTestId('apply-done').waitFor()
    assert.match((await page.getByTestId('apply-done').textContent()) ?? '', /e-mail you/)
    await shotBoth(page, 'console-apply-done')
    assert.deepEqual(errors, [])
  })

  test('the super-admin approves the application', { timeout: 90_000 }, async () => {
    sa = await open('ops')
    const { page } = sa
    await logIn(page, consoleURL, ops)
    await page.waitForURL(/\/account\/two-factor\?/)
    await enrolTOTP(page)
    await page.getByTestId('pending-applications').waitFor()
    await shotBoth(page, 'console-home')
    await page.getByTestId('pending-applications').getByRole('link').click()
    await page.waitForURL(/\/tenants\/applications$/)
    // Tables are also drawn as cards for phones: .first() is the table's row.
    const row = page.locator(`[data-testid="application-row"][data-slug="${applicant.slug}"]`).first()
    await row.waitFor()
    await shotBoth(page, 'console-applications')
    await row.getByTestId('application-approve').click()
    await page.getByTestId('approve-dialog').getByTestId('confirm-button').click()
    await page.getByTestId('applications-notice').waitFor()
    await row.waitFor({ state: 'detached' })
    await page.getByTestId('status-tab-approved').click()
    await page.locator(`[data-testid="application-row"][data-slug="${applicant.slug}"][data-status="approved"]`).first().waitFor()
    await shotBoth(page, 'console-applications-approved')

    // The new co-op's storefront is open.
    const visitor = await open('new-coop-visitor')
    const res = await visitor.page.goto(storefrontOf(applicant.slug))
    assert.equal(res?.status(), 200)
    assert.equal((await visitor.page.getByTestId('brand-name').textContent())?.trim(), applicant.name)
  })

  test('the super-admin creates a tenant, suspends it with a reason and reactivates it', { timeout: 90_000 }, async () => {
    assert.ok(sa, 'the approval step did not run')
    const { page } = sa
    await page.getByTestId('tenancy-nav-tenants').click()
    await page.waitForURL(/\/tenants$/)
    await page.locator('[data-testid="tenant-row"]').first().waitFor()
    await shotBoth(page, 'console-tenants')

    await page.getByTestId('tenant-new').click()
    const dialog = page.getByTestId('tenant-dialog')
    await dialog.locator('input[name="name"]').fill(created.name)
    assert.equal(await dialog.locator('input[name="slug"]').inputValue(), created.slug)
    await dialog.getByTestId('tenant-create').click()
    await dialog.getByTestId('field-error-owner_email').waitFor()
    await dialog.locator('input[name="owner_email"]').fill(created.owner)
    await shotBoth(page, 'console-tenant-new')
    await dialog.getByTestId('tenant-create').click()
    await page.getByTestId('tenants-notice').waitFor()
    const row = page.locator(`[data-testid="tenant-row"][data-slug="${created.slug}"]`).first()
    await row.waitFor()
    assert.equal(await row.getAttribute('data-status'), 'active')

    await row.getByTestId('tenant-suspend').click()
    const suspend = page.getByTestId('suspend-dialog')
    await suspend.getByTestId('reason-submit').click()
    await suspend.getByTestId('field-error-reason').waitFor()
    await suspend.locator('textarea[name="reason"]').fill('E2E: unpaid platform fees')
    await shotBoth(page, 'console-tenant-suspend')
    await suspend.getByTestId('reason-submit').click()
    await page.locator(`[data-testid="tenant-row"][data-slug="${created.slug}"][data-status="suspended"]`).first().waitFor()

    const visitor = await open('suspended-visitor')
    let res = await visitor.page.goto(storefrontOf(created.slug))
    assert.equal(res?.status(), 503, 'the suspended storefront is not the maintenance page')

    await page.getByTestId('status-tab-suspended').click()
    const suspendedRow = page.locator(`[data-testid="tenant-row"][data-slug="${created.slug}"]`).first()
    await suspendedRow.waitFor()
    await shotBoth(page, 'console-tenants-suspended')
    await suspendedRow.getByTestId('tenant-activate').click()
    await page.getByTestId('confirm-dialog').getByTestId('confirm-button').click()
    await page.getByTestId('tenants-notice').waitFor()
    res = await visitor.page.goto(storefrontOf(created.slug))
    assert.equal(res?.status(), 200, 'the reactivated storefront is still closed')
    await visitor.page.getByTestId('brand-name').waitFor()
  })

  test('the platform fee is shown as a percentage and an amount, and checked by the server', { timeout: 60_000 }, async () => {
    const { page } = sa
    await page.getByTestId('tenancy-nav-fee').click()
    await page.waitForURL(/\/tenants\/platform-fee$/)
    const form = page.getByTestId('fee-form')
    await form.waitFor()
    const pct = form.locator('input[name="platform_fee_bps"]')
    const fixed = form.locator('input[name="platform_fee_fixed_cents"]')
    await pct.fill('60')
    await page.getByTestId('fee-save').click()
    await page.getByTestId('field-error-platform_fee_bps').waitFor()
    await pct.fill('2.5')
    await fixed.fill('0.30')
    await page.getByTestId('fee-save').click()
    await page.getByTestId('fee-saved').waitFor()
    assert.match((await page.getByTestId('fee-examples').textContent()) ?? '', /\$0\.80/, '2.5 % + $0.30 of $20.00 is $0.80')
    await page.reload()
    await form.waitFor()
    assert.equal(await pct.inputValue(), '2.5')
    assert.equal(await fixed.inputValue(), '0.30')
    await shotBoth(page, 'console-platform-fee')
  })

  test('the domain overview lists the storefronts’ custom domains', { timeout: 60_000 }, async () => {
    const { page, errors } = sa
    await page.getByTestId('tenancy-nav-domains').click()
    await page.waitForURL(/\/tenants\/domains$/)
    if (customDomain) await page.locator(`[data-testid="console-domain-row"][data-domain="${customDomain}"]`).first().waitFor()
    else await page.locator('[data-testid="console-domain-row"]').first().or(page.getByTestId('empty-state')).first().waitFor()
    await shotBoth(page, 'console-domains')
    assert.deepEqual(errors, [])
  })
})
