// Helpers for the end-to-end scripts: RFC 6238 codes, the browser, sign-in with TOTP
// enrolment, and screenshots at 1440 and 375 px. Not a test file itself (node --test
// only runs *.test.mjs here).

import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

export const DESKTOP = { width: 1440, height: 900 }
export const PHONE = { width: 375, height: 812 }

export const env = (k) => process.env[k] ?? ''

/** missingEnv returns a skip reason naming the unset variables, or false. */
export function missingEnv(vars) {
  const missing = Object.entries(vars)
    .filter(([, v]) => !v)
    .map(([k]) => k)
  return missing.length ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set` : false
}

// ——— RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits), as authenticator apps compute it ———

function base32Decode(input) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const clean = input.toUpperCase().replace(/[\s=-]/g, '')
  let bits = 0
  let value = 0
  const out = []
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch)
    if (idx < 0) throw new Error(`not base32: ${ch}`)
    value = (value << 5) | idx
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

export function totp(secret, now = Date.now(), step = 30, digits = 6) {
  const counter = Math.floor(now / 1000 / step)
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits
  return String(bin).padStart(digits, '0')
}

// The server accepts each time step's code once, and no code of an earlier step after it.
const usedSteps = new Map()

/**
 * freshCode avoids a code about to expire, so the server sees it inside its window, and a
 * step already used for this secret (it waits for the next one).
 */
export async function freshCode(secret) {
  for (;;) {
    const left = 30 - (Math.floor(Date.now() / 1000) % 30)
    if (left < 4) {
      await new Promise((r) => setTimeout(r, (left + 1) * 1000))
      continue
    }
    const step = Math.floor(Date.now() / 1000 / 30)
    if (step <= (usedSteps.get(secret) ?? -1)) {
      await new Promise((r) => setTimeout(r, (left + 1) * 1000))
      continue
    }
    usedSteps.set(secret, step)
    return totp(secret)
  }
}

// ——— Browser ———

/** launch starts Debian's Chromium; extraArgs e.g. --host-resolver-rules for a custom domain. */
export async function launch(extraArgs = []) {
  return chromium.launch({
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
      ...extraArgs,
    ],
  })
}

/** person opens a browser context of its own (its own cookies) with one page, recording page errors. */
export async function person(browser, name, options = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, ...options })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const errors = []
  page.on('pageerror', (err) => errors.push(`${name}: ${err.message}`))
  return { context, page, errors }
}

export const url = (base, path) => new URL(path, base).href

/** shooter returns shotBoth(page, name): 1440 and 375 px screenshots that fail when the page scrolls sideways. */
export function shooter(dir, prefix) {
  if (dir) mkdirSync(dir, { recursive: true })
  const shot = async (page, name) => {
    if (!dir) return
    // animations: 'disabled' finishes colour transitions, so a tab just left is not caught half-way.
    // A full-page screenshot of a long page takes seconds on a loaded 2-core machine: its own timeout.
    await page.screenshot({ path: join(dir, `${prefix}-${name}.png`), fullPage: true, animations: 'disabled', timeout: 60_000 })
  }
  return async function shotBoth(page, name) {
    await page.waitForLoadState('networkidle').catch(() => {})
    await shot(page, `${name}-1440`)
    const before = page.viewportSize() ?? DESKTOP
    await page.setViewportSize(PHONE)
    try {
      await page.waitForTimeout(200)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at 375 px`)
      await shot(page, `${name}-375`)
    } finally {
      await page.setViewportSize(before)
    }
  }
}

export async function logIn(page, base, who) {
  await page.goto(url(base, '/login'))
  const form = page.getByTestId('login-form')
  await form.waitFor()
  await form.locator('input[name="email"]').fill(who.email)
  await form.locator('input[name="password"]').fill(who.password)
  await page.getByTestId('login-submit').click()
}

/** enrolTOTP walks the 2FA page: start, read the key, confirm a code, keep the recovery codes. */
export async function enrolTOTP(page) {
  await page.getByTestId('mfa-required-banner').waitFor()
  await page.getByTestId('totp-start').click()
  const secretEl = page.getByTestId('totp-secret')
  await secretEl.waitFor()
  const secret = await secretEl.getAttribute('data-secret')
  assert.ok(secret && /^[A-Z2-7=]+$/i.test(secret), `the page shows no usable TOTP secret: ${secret}`)
  await page.getByTestId('totp-code').fill(await freshCode(secret))
  await page.getByTestId('totp-confirm').click()
  await page.getByTestId('recovery-codes').waitFor()
  await page.getByTestId('recovery-saved').check()
  await page.getByTestId('totp-continue').click()
  return secret
}

/** cssColor resolves any CSS colour (a hex, a var()) to the browser's rgb() form. */
export async function cssColor(page, value) {
  return page.evaluate((v) => {
    const probe = document.createElement('div')
    probe.style.backgroundColor = v
    document.body.appendChild(probe)
    const c = getComputedStyle(probe).backgroundColor
    probe.remove()
    return c
  }, value)
}

/** eventually retries fn until it stops throwing, for values that settle after a render. */
export async function eventually(fn, { timeout = 10_000, interval = 100 } = {}) {
  const end = Date.now() + timeout
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (Date.now() > end) throw err
      await new Promise((r) => setTimeout(r, interval))
    }
  }
}
