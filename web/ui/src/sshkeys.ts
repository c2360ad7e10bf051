// Saved SSH public keys: the account page lists them, the deploy form offers them.

export interface SSHKey {
  id: string
  name: string
  public_key: string
  key_type: string
  bits: number
  fingerprint: string
  created_at: string
}

/** keyKind names a key's type for people: "ed25519", "RSA 4096", "ECDSA P-256". */
export function keyKind(type: string, bits?: number): string {
  if (type === 'ssh-ed25519') return 'ed25519'
  if (type === 'ssh-rsa') return bits ? `RSA ${bits}` : 'RSA'
  const m = /^ecdsa-sha2-nistp(\d+)$/.exec(type)
  if (m) return `ECDSA P-${m[1]}`
  return type.replace(/^ssh-/, '')
}

/** keyComment is the comment at the end of a pasted key ("you@laptop"), or ''. */
export function keyComment(key: string): string {
  const parts = key.trim().split(/\s+/)
  return parts.slice(2).join(' ')
}
