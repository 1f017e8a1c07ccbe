import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SECRET_KEY_BYTES, parseSecretKey } from '../publishing/webhook-secrets.ts';
import { ConfigError, type Config } from './index.ts';

/**
 * The key that encrypts stored webhook secrets: WEBHOOK_SECRET_KEY when set (production requires it); otherwise
 * one generated on first use into `webhook-secret.key` (mode 0600) in the state directory, so `npm start` and
 * `claimdesk api`/`worker` on one machine agree. Losing that file makes stored secrets unreadable (deliveries fail
 * until each webhook is registered again), like losing the configured key.
 */
export function webhookSecretKey(config: Pick<Config, 'WEBHOOK_SECRET_KEY' | 'stateDir'>): Buffer {
  if (config.WEBHOOK_SECRET_KEY) {
    const key = parseSecretKey(config.WEBHOOK_SECRET_KEY);
    if (!key) throw new ConfigError(['config: WEBHOOK_SECRET_KEY: must be 32 bytes as 64 hex digits or base64']);
    return key;
  }
  const file = path.join(config.stateDir, 'webhook-secret.key');
  const read = () => {
    const key = parseSecretKey(readFileSync(file, 'utf8'));
    if (!key) throw new ConfigError([`config: ${file} does not hold a 32-byte key; set WEBHOOK_SECRET_KEY or restore the file`]);
    return key;
  };
  if (existsSync(file)) return read();
  const key = randomBytes(SECRET_KEY_BYTES);
  mkdirSync(config.stateDir, { recursive: true });
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process (the worker next to this API) wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw err;
  }
  chmodSync(file, 0o600);
  return key;
}
