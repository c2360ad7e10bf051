// Lead's screenshot helper (not a test; not committed).
import { launch, person, logIn, enrolTOTP, url } from './support.mjs'
const base = process.env.BASE, who = { email: process.env.EMAIL, password: process.env.PASS }
const pages = (process.env.PAGES || '/admin').split(',')
const browser = await launch()
const { page } = await person(browser, 'lead')
page.on('response', async (r) => { if (r.url().includes('/api/auth/login')) console.log(r.status(), await r.text()) })
await logIn(page, base, who)
await page.waitForURL((u) => !u.pathname.startsWith('/login'))
await page.waitForTimeout(2000)
if (await page.getByTestId('mfa-required-banner').count()) { await enrolTOTP(page); await page.waitForTimeout(1500) }
for (const p of pages) {
  await page.goto(url(base, p))
  await page.waitForLoadState('networkidle').catch(() => {})
  await page.waitForTimeout(1500)
  const name = p.replace(/\W+/g, '_') || 'root'
  await page.screenshot({ path: `/tmp/shots/${process.env.PREFIX || ''}${name}.png`, fullPage: true })
  if (process.env.PHONE) {
    await page.setViewportSize({ width: 375, height: 812 })
    await page.screenshot({ path: `/tmp/shots/${process.env.PREFIX || ''}${name}-375.png`, fullPage: true })
    await page.setViewportSize({ width: 1440, height: 900 })
  }
}
await browser.close()
