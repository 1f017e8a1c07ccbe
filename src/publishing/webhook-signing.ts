import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_BYTES = 32;

/** A subscription's HMAC key when the editor gives none: 32 random bytes, as long as the SHA-256 block it keys. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64url')}`;
}

/** `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`: receivers recompute it and reject stale timestamps. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}
