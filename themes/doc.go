// Package themes owns tenant branding: design tokens, presets, validation and the CSS variables injected into the storefront.
package themes
