import type { ApiError } from '../../api'
import type { Order } from '../../billing'
import { initialVmChoice, type VmChoice } from './VmSections'

// The deploy page's one state: what the customer picked (size, network, period, coupon,
// card, and the server's own sections) and where the checkout stands. Every section
// reads it and changes it only through deployReducer's actions.

export const CUSTOM = 'custom'

export interface CustomSpec {
  cpu: string
  ram_gb: string
  disk_gb: string
}

export interface Declined {
  title: string
  message: string
}

export interface DeployState {
  size: string
  custom: CustomSpec
  ipv4: boolean
  months: number
  /** The coupon field's text, and the code the server accepted (applied to the quote). */
  couponText: string
  coupon: string
  couponError: ApiError | null
  applying: boolean
  /** The saved card picked ('' = the default), and whether the add-card form is open. */
  cardChoice: string
  adding: boolean
  vm: VmChoice
  /** The checkout: paid (confirmation shown), declined, still pending, confirming, or waiting for 3-D Secure. */
  paid: Order | null
  declined: Declined | null
  pending: Order | null
  confirming: boolean
  auth: Order | null
}

export function initialDeployState(size: string): DeployState {
  return {
    size,
    custom: { cpu: '2', ram_gb: '4', disk_gb: '50' },
    ipv4: false,
    months: 1,
    couponText: '',
    coupon: '',
    couponError: null,
    applying: false,
    cardChoice: '',
    adding: false,
    vm: initialVmChoice,
    paid: null,
    declined: null,
    pending: null,
    confirming: false,
    auth: null,
  }
}

export const authCancelled: Declined = {
  title: 'Your payment was not completed',
  message: 'Authentication was cancelled, so the payment did not go through.',
}

export type DeployAction =
  | { type: 'size'; size: string }
  | { type: 'custom'; patch: Partial<CustomSpec> }
  | { type: 'ipv4'; on: boolean }
  | { type: 'months'; months: number }
  | { type: 'vm'; patch: Partial<VmChoice> }
  // The coupon field: typing clears its error; applying asks the server; remove clears both.
  | { type: 'coupon-typed'; text: string }
  | { type: 'coupon-check' }
  | { type: 'coupon-unset' }
  | { type: 'coupon-applying'; on: boolean }
  | { type: 'coupon-applied'; code: string }
  | { type: 'coupon-refused'; error: ApiError }
  | { type: 'coupon-removed' }
  // The card to charge.
  | { type: 'card-picked'; id: string }
  | { type: 'card-adding'; on: boolean }
  | { type: 'card-added'; id?: string }
  // The checkout.
  | { type: 'checkout-started' }
  | { type: 'confirming'; on: boolean }
  | { type: 'declined'; declined: Declined }
  | { type: 'pending'; order: Order }
  | { type: 'paid'; order: Order }
  | { type: 'authenticate'; order: Order | null }
  | { type: 'auth-cancelled' }
  | { type: 'again' }

export function deployReducer(s: DeployState, a: DeployAction): DeployState {
  switch (a.type) {
    case 'size':
      return { ...s, size: a.size }
    case 'custom':
      return { ...s, custom: { ...s.custom, ...a.patch } }
    case 'ipv4':
      return { ...s, ipv4: a.on }
    case 'months':
      return { ...s, months: a.months }
    case 'vm':
      return { ...s, vm: { ...s.vm, ...a.patch } }
    case 'coupon-typed':
      return { ...s, couponText: a.text, couponError: null }
    case 'coupon-check':
      return { ...s, couponError: null }
    case 'coupon-unset':
      return { ...s, coupon: '' }
    case 'coupon-applying':
      return { ...s, applying: a.on }
    case 'coupon-applied':
      return { ...s, coupon: a.code, couponText: a.code }
    case 'coupon-refused':
      return { ...s, couponError: a.error }
    case 'coupon-removed':
      return { ...s, coupon: '', couponText: '' }
    case 'card-picked':
      return { ...s, cardChoice: a.id, adding: false }
    case 'card-adding':
      return { ...s, adding: a.on }
    case 'card-added':
      return { ...s, adding: false, cardChoice: a.id ?? s.cardChoice }
    case 'checkout-started':
      return { ...s, declined: null, pending: null }
    case 'confirming':
      return { ...s, confirming: a.on }
    case 'declined':
      return { ...s, declined: a.declined }
    case 'pending':
      return { ...s, pending: a.order }
    case 'paid':
      return { ...s, paid: a.order }
    case 'authenticate':
      return { ...s, auth: a.order }
    case 'auth-cancelled':
      return { ...s, auth: null, declined: authCancelled }
    case 'again':
      return { ...s, paid: null, declined: null, pending: null }
  }
}
