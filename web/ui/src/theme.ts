// Theme tokens as the server stores them (themes.Theme), and what the UI does with
// them before they are saved: the CSS variables of the live preview, WCAG contrast
// ratios computed the way the server checks them, and re-theming the open page after a
// save. The server stays the judge: it validates every token again on PUT.

import type { CSSProperties } from 'react'

export type ThemeMode = 'light' | 'dark'

export interface Theme {
  product_name?: string
  primary: string
  primary_contrast: string
  accent: string
  background: string
  surface: string
  text: string
  muted: string
  border: string
  radius: string
  font: string
  mode: ThemeMode
  logo_url?: string
  favicon_url?: string
}

export interface Preset {
  name: string
  label: string
  theme: Theme
}

export type ColorToken = 'primary' | 'primary_contrast' | 'accent' | 'background' | 'surface' | 'text' | 'muted' | 'border'

export const colorTokens: ColorToken[] = ['primary', 'primary_contrast', 'accent', 'background', 'surface', 'text', 'muted', 'border']

/**
 * Font stacks of the allow-list, as the server prints them into --fd-font
 * (themes.Fonts). Only Inter ships with the app; the others are system stacks.
 */
export const fontStacks: Record<string, string> = {
  inter: 'Inter, ui-sans-serif, system-ui, sans-serif',
  system: 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  serif: 'ui-serif, Georgia, Cambria, "Times New Roman", serif',
  rounded: 'ui-rounded, "SF Pro Rounded", "Nunito", ui-sans-serif, system-ui, sans-serif',
  mono: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
}

export const fontLabels: Record<string, string> = {
  inter: 'Inter',
  system: 'System',
  serif: 'Serif',
  rounded: 'Rounded',
  mono: 'Monospace',
}

export function fontStack(font: string): string {
  return fontStacks[font] ?? fontStacks.system ?? 'system-ui, sans-serif'
}

// ——— Colours ———

const hexPattern = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i

export function isHex(v: string): boolean {
  return hexPattern.test(v.trim())
}

/** fullHex turns #abc into #aabbcc (what <input type="color"> needs); null when not a hex colour. */
export function fullHex(v: string): string | null {
  const s = v.trim().toLowerCase()
  if (!hexPattern.test(s)) return null
  if (s.length === 4) return '#' + [...s.slice(1)].map((c) => c + c).join('')
  return s
}

function channel(c: number): number {
  const s = c / 255
  return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4)
}

/** luminance is the WCAG relative luminance of a hex colour (0 black … 1 white). */
export function luminance(hex: string): number {
  const h = fullHex(hex)
  if (!h) return 0
  const n = parseInt(h.slice(1), 16)
  return 0.2126 * channel((n >> 16) & 0xff) + 0.7152 * channel((n >> 8) & 0xff) + 0.0722 * channel(n & 0xff)
}

/** contrast is the WCAG 2.1 contrast ratio of two hex colours, from 1 to 21; null if either is not a colour. */
export function contrast(a: string, b: string): number | null {
  if (!isHex(a) || !isHex(b)) return null
  let la = luminance(a)
  let lb = luminance(b)
  if (la < lb) [la, lb] = [lb, la]
  return (la + 0.05) / (lb + 0.05)
}

/** formatRatio shows a ratio the way the server's messages do: cut (not rounded) to two decimals. */
export function formatRatio(r: number): string {
  return `${(Math.floor(r * 100) / 100).toString()}:1`
}

/** AA is WCAG 2.1 AA for normal text, which the server enforces. */
export const AA = 4.5

export interface ContrastPair {
  id: string
  label: string
  /** The token the server names when this pair fails. */
  field: ColorToken
  fg: ColorToken
  bg: ColorToken
  /** Checked by the server on save; the others are advice. */
  enforced: boolean
}

export const contrastPairs: ContrastPair[] = [
  { id: 'text-background', label: 'Text on background', field: 'text', fg: 'text', bg: 'background', enforced: true },
  { id: 'text-surface', label: 'Text on surface', field: 'text', fg: 'text', bg: 'surface', enforced: true },
  { id: 'button', label: 'Button text on primary', field: 'primary_contrast', fg: 'primary_contrast', bg: 'primary', enforced: true },
  { id: 'muted-surface', label: 'Secondary text on surface', field: 'muted', fg: 'muted', bg: 'surface', enforced: false },
]

// ——— CSS ———

/** cssVars are the theme as the --fd-* custom properties, for a scoped preview. */
export function cssVars(t: Theme): CSSProperties {
  const safe = (v: string, fallback: string) => fullHex(v) ?? fallback
  return {
    colorScheme: t.mode,
    '--fd-primary': safe(t.primary, '#4f46e5'),
    '--fd-primary-contrast': safe(t.primary_contrast, '#ffffff'),
    '--fd-accent': safe(t.accent, '#0ea5e9'),
    '--fd-bg': safe(t.background, '#f8fafc'),
    '--fd-surface': safe(t.surface, '#ffffff'),
    '--fd-text': safe(t.text, '#0f172a'),
    '--fd-muted': safe(t.muted, '#64748b'),
    '--fd-border': safe(t.border, '#e2e8f0'),
    '--fd-radius': /^(0|[0-9]{1,2}(\.[0-9]{1,3})?(rem|px|em))$/.test(t.radius) ? t.radius : '0.75rem',
    '--fd-font': fontStack(t.font),
  } as CSSProperties
}

/** rootCSS is the :root rule the server injects (themes.Theme.CSS), for a saved theme. */
export function rootCSS(t: Theme): string {
  return (
    `:root{color-scheme:${t.mode};--fd-primary:${t.primary};--fd-primary-contrast:${t.primary_contrast};` +
    `--fd-accent:${t.accent};--fd-bg:${t.background};--fd-surface:${t.surface};--fd-text:${t.text};` +
    `--fd-muted:${t.muted};--fd-border:${t.border};--fd-radius:${t.radius};--fd-font:${fontStack(t.font)}}`
  )
}

/**
 * applyTheme re-themes the open page after a save, as the server will on the next load:
 * it rewrites the injected <style id="fd-theme"> (or adds one in vite dev).
 */
export function applyTheme(t: Theme) {
  if (typeof document === 'undefined') return
  let el = document.getElementById('fd-theme')
  if (!el) {
    el = document.createElement('style')
    el.id = 'fd-theme'
    document.head.appendChild(el)
  }
  el.textContent = rootCSS(t)
}

/** sameTokens: the colours, radius, font and mode of two themes are equal (a preset is "in use"). */
export function sameTokens(a: Theme, b: Theme): boolean {
  return (
    colorTokens.every((k) => (fullHex(a[k]) ?? a[k]) === (fullHex(b[k]) ?? b[k])) &&
    a.radius === b.radius &&
    a.font === b.font &&
    a.mode === b.mode
  )
}
