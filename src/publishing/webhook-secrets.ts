import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Webhook HMAC keys are stored encrypted (AES-256-GCM) under a key from configuration (WEBHOOK_SECRET_KEY), so a
// copy of the database alone cannot forge deliveries. Stored form: `v1.` + base64url(iv[12] | tag[16] | ciphertext).

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_BYTES = 32;

export class WebhookSecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretKeyError';
  }
}

/** The 32-byte key from its configured text: 64 hex digits or base64/base64url of 32 bytes. Null when it is neither. */
export function parseSecretKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === SECRET_KEY_BYTES ? key : null;
  }
  return null;
}

export function encryptWebhookSecret(key: Buffer, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** Throws WebhookSecretKeyError when the stored value was not encrypted under `key` (a changed or wrong key). */
export function decryptWebhookSecret(key: Buffer, stored: string): string {
  if (!stored.startsWith(VERSION)) throw new WebhookSecretKeyError('stored webhook secret has an unknown format');
  const raw = Buffer.from(stored.slice(VERSION.length), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new WebhookSecretKeyError('stored webhook secret is truncated');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new WebhookSecretKeyError('webhook secret does not decrypt under WEBHOOK_SECRET_KEY (was the key changed?)');
  }
}
