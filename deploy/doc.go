// Package deploy owns the deployments domain: orders, the lifecycle state machine, backups and reconciliation, from a paid order to a running VM.
package deploy
