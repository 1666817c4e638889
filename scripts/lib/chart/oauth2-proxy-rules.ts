/**
 * oauth2-proxy's rules, restated from its source (v7.15.6) so tests can check rendered values
 * against them without the binary.
 */

/** Key bytes oauth2-proxy derives from a cookie secret (pkg/encryption SecretBytes). */
export function cookieKeyBytes(secret: string): number {
  const trimmed = secret.replace(/=+$/, '');
  if (/^[A-Za-z0-9_-]*$/.test(trimmed) && trimmed.length % 4 !== 1) {
    const decoded = Buffer.from(trimmed, 'base64url');
    if ([16, 24, 32].includes(decoded.length)) return decoded.length;
  }
  return Buffer.byteLength(secret, 'utf8');
}

export const VALID_KEY_LENGTHS = [16, 24, 32];
