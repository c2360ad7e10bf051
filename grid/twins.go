package grid

import "context"

// MnemonicTwins finds the twin of a TFChain account from the account's
// recovery phrase, as the TF Dashboard does when a wallet is imported: the
// phrase gives the account's key, and the chain maps each account to at most
// one twin. Both grid adapters implement it.
type MnemonicTwins interface {
	// TwinOfMnemonic returns the id of the twin of the account whose
	// recovery phrase (BIP-39, sr25519 as the TF Dashboard derives it) is
	// mnemonic. Returns EINVALID on field "mnemonic" for a phrase that is
	// not a valid recovery phrase, and ENOTFOUND when the account has no
	// twin. The phrase is a secret: it never appears in an error or a log.
	TwinOfMnemonic(ctx context.Context, mnemonic string) (uint32, error)
}
