import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * GitHub's `X-Hub-Signature-256`: HMAC-SHA256 of the raw body, hex, prefixed
 * `sha256=`. Compared in constant time so the signature cannot be guessed byte by byte.
 */
export function verifyGithubSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`, 'utf8');
  const given = Buffer.from(header, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
