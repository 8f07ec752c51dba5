import { createHmac } from 'node:crypto';

/** GitHub's `X-Hub-Signature-256` value: HMAC-SHA256 of the exact raw body, hex, prefixed `sha256=`. */
export function signPayload(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}
