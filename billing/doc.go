// Package billing owns money: Stripe Connect, saved cards, checkout, webhooks, renewals, the double-entry ledger, payouts and TFT top-ups.
package billing
