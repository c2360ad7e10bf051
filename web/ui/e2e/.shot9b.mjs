import { freshCode, launch, logIn, person } from './support.mjs'
const [pw, secret] = process.argv.slice(2)
const base = 'http://demo.localhost:18099/'
const browser = await launch()
const { page, errors } = await person(browser, 'owner')
await logIn(page, base, { email: 'owner@demo.localhost', password: pw })
await page.getByTestId('mfa-form').waitFor()
await page.getByTestId('mfa-code').first().fill(await freshCode(secret))
await page.getByTestId('mfa-submit').click()
await page.waitForURL(/\/admin/)
await page.goto(base + 'admin/wallet')
await page.getByTestId('wallet-chart').waitFor()
await page.getByTestId('topup-now').click()
await page.waitForTimeout(15000)
await page.screenshot({ path: '/tmp/shots9/after-topup-1440.png', fullPage: true })
await page.setViewportSize({ width: 375, height: 812 })
await page.waitForTimeout(400)
const wide = await page.evaluate(() => {
  const out = []
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect()
    if (r.right > 376 && r.width > 0) out.push(`${el.tagName}.${(el.className?.baseVal ?? el.className ?? '').toString().slice(0, 60)} [${el.getAttribute('data-testid') ?? ''}] right=${Math.round(r.right)} w=${Math.round(r.width)}`)
  }
  return { sw: document.documentElement.scrollWidth, out: out.slice(0, 25) }
})
console.log(JSON.stringify(wide, null, 1))
await page.screenshot({ path: '/tmp/shots9/after-topup-375.png', fullPage: true })
console.log('errors', errors)
await browser.close()
