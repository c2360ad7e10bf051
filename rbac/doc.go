// Package rbac owns identity — accounts, sessions, two-factor authentication — and the Casbin roles each account holds per tenant domain.
package rbac
