// End-to-end checks of the UI shell in headless Chromium, driven by the real server.
//
// Run with `node --test web/ui/e2e/`. A Go test starts the server and sets:
//   FD_E2E_STOREFRONT_URL   e.g. http://demo.localhost:8080/
//   FD_E2E_CONSOLE_URL      e.g. http://console.localhost:8080/
//   FD_E2E_SCREENSHOT_DIR   optional; full-page PNGs are written there
//   FD_CHROMIUM             optional; defaults to Debian's /usr/bin/chromium
// No browser is ever downloaded: playwright-core drives the system Chromium.

import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { chromium } from 'playwright-core'

const storefrontURL = process.env.FD_E2E_STOREFRONT_URL ?? ''
const consoleURL = process.env.FD_E2E_CONSOLE_URL ?? ''
const screenshotDir = process.env.FD_E2E_SCREENSHOT_DIR ?? ''

const DESKTOP = { width: 1440, height: 900 }
const PHONE = { width: 375, height: 812 }

/** @type {import('playwright-core').Browser | undefined} */
let browser

before(async () => {
  if (!storefrontURL && !consoleURL) return
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
  await browser?.close()
})

/**
 * openPage loads url at the given viewport and waits for the shell to render. It
 * records uncaught page errors so each test can assert the page ran cleanly.
 * expectOK: false skips the HTTP 200 check (for paths the app itself answers as 404).
 */
async function openPage(url, viewport, { expectOK = true } = {}) {
  assert.ok(browser, 'browser was not launched')
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 })
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (err) => errors.push(err.message))
  const res = await page.goto(url, { waitUntil: 'load' })
  assert.ok(res, `no response for ${url}`)
  if (expectOK) assert.equal(res.status(), 200, `GET ${url} answered ${res.status()}`)
  await page.getByTestId('brand-name').waitFor({ state: 'visible', timeout: 15_000 })
  return { context, page, errors }
}

/** injectedConfig returns the JSON the server put into <script id="fd-config">. */
async function injectedConfig(page) {
  const text = await page.locator('#fd-config').textContent()
  assert.ok(text, 'the page has no #fd-config script: the server did not inject the head')
  return JSON.parse(text)
}

async function screenshot(page, name) {
  if (!screenshotDir) return
  await page.screenshot({ path: join(screenshotDir, name), fullPage: true })
}

describe('storefront', { skip: storefrontURL ? false : 'FD_E2E_STOREFRONT_URL is not set' }, () => {
  test('is branded as the tenant from the first paint and never names the platform', { timeout: 60_000 }, async () => {
    const { context, page, errors } = await openPage(storefrontURL, DESKTOP)
    try {
      const cfg = await injectedConfig(page)
      assert.equal(cfg.realm, 'tenant')
      const name = cfg.tenant?.name
      assert.ok(name, 'the injected config has no tenant name')

      assert.equal((await page.getByTestId('brand-name').textContent())?.trim(), name)
      await page.getByTestId('hero-title').waitFor({ state: 'visible' })
      assert.equal((await page.getByTestId('hero-title').textContent())?.trim(), name)
      assert.equal(await page.title(), name)

      // The theme variable is set and the main call to action is painted with it.
      const colors = await page.evaluate(() => {
        const raw = getComputedStyle(document.documentElement).getPropertyValue('--fd-primary').trim()
        // Resolve the variable to the browser's canonical rgb() form for comparison.
        const probe = document.createElement('div')
        probe.style.backgroundColor = 'var(--fd-primary)'
        document.body.appendChild(probe)
        const resolved = getComputedStyle(probe).backgroundColor
        probe.remove()
        const cta = document.querySelector('[data-testid="primary-cta"]')
        return { raw, resolved, button: cta ? getComputedStyle(cta).backgroundColor : null }
      })
      assert.notEqual(colors.raw, '', '--fd-primary is empty on :root')
      assert.ok(colors.button, 'the primary call to action is missing')
      assert.equal(colors.button, colors.resolved, `button is ${colors.button}, --fd-primary is ${colors.raw}`)

      const cta = page.getByTestId('primary-cta')
      assert.equal(await cta.getAttribute('href'), '/deploy')

      const testMode = page.getByTestId('test-mode')
      if (cfg.stripe_mode === 'mock') {
        await testMode.waitFor({ state: 'visible' })
      } else {
        assert.equal(await testMode.count(), 0, 'live mode must not show the test-mode badge')
      }

      const text = await page.evaluate(() => `${document.title}\n${document.body.innerText}`)
      assert.doesNotMatch(text, /fiatdashboard/i, 'the storefront mentions the platform')

      assert.deepEqual(errors, [])
      await screenshot(page, 'storefront-1440.png')
    } finally {
      await context.close()
    }
  })

  test('works on a 375 px phone with a menu button that toggles the links', { timeout: 60_000 }, async () => {
    const { context, page, errors } = await openPage(storefrontURL, PHONE)
    try {
      await page.getByTestId('hero-title').waitFor({ state: 'visible' })
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 375px`)

      await screenshot(page, 'storefront-375.png')

      const menu = page.getByRole('button', { name: 'Open menu' })
      assert.equal(await menu.getAttribute('aria-expanded'), 'false')
      const deployLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deployments' })
      assert.equal(await deployLink.isVisible(), false, 'nav links should be folded away on a phone')

      await menu.click()
      await deployLink.waitFor({ state: 'visible' })
      assert.equal(await page.getByRole('button', { name: 'Close menu' }).getAttribute('aria-expanded'), 'true')
      if (screenshotDir) await page.screenshot({ path: join(screenshotDir, 'storefront-375-menu.png') })

      await deployLink.click()
      // The deployments list is the customer's own: a visitor is asked to log in first.
      await page.waitForURL(/\/login\?next=%2Fdeployments$/)
      await page.getByTestId('login-form').waitFor({ state: 'visible' })
      assert.equal(await deployLink.isVisible(), false, 'the menu should close after navigating')

      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })

  test('answers an unknown path with a branded 404 page', { timeout: 60_000 }, async () => {
    const url = new URL('/no-such-page', storefrontURL).href
    // The server answers every non-API path with the app; the app decides it is a 404.
    const { context, page, errors } = await openPage(url, DESKTOP, { expectOK: false })
    try {
      await page.getByTestId('not-found').waitFor({ state: 'visible' })
      const cfg = await injectedConfig(page)
      assert.equal((await page.getByTestId('brand-name').textContent())?.trim(), cfg.tenant.name)
      assert.deepEqual(errors, [])
    } finally {
      await context.close()
    }
  })
})

describe('console', { skip: consoleURL ? false : 'FD_E2E_CONSOLE_URL is not set' }, () => {
  test('serves the platform realm and renders the console landing', { timeout: 60_000 }, async () => {
    const { context, page, errors } = await openPage(consoleURL, DESKTOP)
    try {
      const cfg = await injectedConfig(page)
      assert.equal(cfg.realm, 'platform')

      await page.getByTestId('console-home').waitFor({ state: 'visible' })
      assert.equal((await page.getByTestId('hero-title').textContent())?.trim(), 'Platform console')
      assert.equal((await page.getByTestId('brand-name').textContent())?.trim(), cfg.tenant.name)

      const nav = page.getByRole('navigation', { name: 'Main' }).first()
      for (const label of ['Tenants', 'Node operators', 'Accounts', 'Jobs', 'Outbox']) {
        assert.ok(await nav.getByRole('link', { name: label, exact: true }).isVisible(), `console nav lacks ${label}`)
      }
      assert.ok(await page.getByRole('link', { name: 'Log in' }).first().isVisible())

      assert.deepEqual(errors, [])
      await screenshot(page, 'console-1440.png')
    } finally {
      await context.close()
    }
  })
})
