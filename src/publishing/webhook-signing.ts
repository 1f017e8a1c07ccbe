import { createHmac, randomBytes } from 'node:crypto';

/** A subscription's HMAC key when the editor gives none. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

/** `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`: receivers recompute it and reject stale timestamps. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}
