import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACTIVITY_SETTINGS, TEST_WEBHOOK_SECRET_KEY } from '../support/activity-settings.ts';
import { WebhookSecretKeyError, decryptWebhookSecret, encryptWebhookSecret } from '../../src/publishing/webhook-secrets.ts';
import { WEBHOOK_SECRET_BYTES } from '../../src/publishing/webhook-signing.ts';
import { parseConfig } from '../../src/config/index.ts';
import { WebhookTargetError, isPrivateAddress, postWebhook } from '../../src/publishing/webhook-target.ts';
import { waitFor } from '../../src/services/net.ts';
import { startTestWorker } from '../support/env.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

async function receiver() {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push(body);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('webhook targets: address classification and the WEBHOOK_ALLOW_PRIVATE default', () => {
  it('classifies loopback, private, link-local and mapped addresses as private, public ones not', () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1', 'not-an-ip']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });

  it('classifies NAT64 local-use, 6to4, site-local and IPv4-compatible addresses as private', () => {
    for (const ip of ['64:ff9b:1::1', '64:ff9b:1:ffff::a00:1', '2002::1', '2002:808:808::1', '2002:7f00:1::1', 'fec0::1', 'feff::1', '::2', '::8.8.8.8', '::7f00:1', '::1.2.3.4']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    // Just outside each range: the ranges are exact, not a blanket refusal of IPv6.
    for (const ip of ['64:ff9b:2::1', '2003::1', '2001:4860:4860::8888', 'fe00::1']) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });

  it('refuses private targets unless WEBHOOK_ALLOW_PRIVATE=true, in every environment', () => {
    const key = TEST_WEBHOOK_SECRET_KEY;
    expect(parseConfig({ NODE_ENV: 'production', ACTOR_SIGNING_KEY: 'k'.repeat(32), WEBHOOK_SECRET_KEY: key }).WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(parseConfig({ NODE_ENV: 'development' }).WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(parseConfig({ NODE_ENV: 'test' }).WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(parseConfig({}).WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(parseConfig({ NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE: 'true' }).WEBHOOK_ALLOW_PRIVATE).toBe(true);
    expect(parseConfig({ NODE_ENV: 'production', ACTOR_SIGNING_KEY: 'k'.repeat(32), WEBHOOK_SECRET_KEY: key, WEBHOOK_ALLOW_PRIVATE: 'true' }).WEBHOOK_ALLOW_PRIVATE).toBe(true);
    expect(parseConfig({ WEBHOOK_ALLOW_PRIVATE: 'false' }).WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(() => parseConfig({ WEBHOOK_ALLOW_PRIVATE: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
  });

  it('the delivery connection itself refuses a name that resolves to a private address (no rebinding past the check)', async () => {
    const r = await receiver();
    try {
      const send = (allowPrivate: boolean) => postWebhook(`http://localhost:${r.port}/hook`, { headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 5000, allowPrivate });
      await expect(send(false)).rejects.toBeInstanceOf(WebhookTargetError);
      expect(r.received).toHaveLength(0);
      expect(await send(true)).toBe(200);
      expect(r.received).toHaveLength(1);
    } finally {
      await r.close();
    }
  });
});

describe('webhook targets with WEBHOOK_ALLOW_PRIVATE=false', () => {
  let h: ApiHarness;
  let stopWorker: () => Promise<void>;
  beforeAll(async () => {
    // Not set at all: the default must refuse.
    h = await openApiHarness({ worker: false, config: { WEBHOOK_ALLOW_PRIVATE: '' } });
    ({ stop: stopWorker } = await startTestWorker(h.env, h.taskQueue, { settings: { ...TEST_ACTIVITY_SETTINGS, webhooks: { ...TEST_ACTIVITY_SETTINGS.webhooks, allowPrivate: false } } }));
  });
  afterAll(async () => {
    await stopWorker();
    await h.close();
  });

  it('registration refuses internal targets with a 400 naming url, and accepts a public one', async () => {
    expect(h.config.WEBHOOK_ALLOW_PRIVATE).toBe(false);
    const refused = [
      'http://127.0.0.1:9/hook',
      'http://localhost:8080/hook',
      'http://[::1]/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.5/hook',
      'http://172.20.0.1/hook',
      'http://192.168.1.10/hook',
      'http://100.64.0.1/hook',
      'http://[fe80::1]/hook',
      'http://[fd00::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0.0.0.0:5432/',
      'http://[64:ff9b:1::a00:1]/hook',
      'http://[2002:7f00:1::1]/hook',
      'http://[fec0::1]/hook',
      'http://[::7f00:1]/hook',
    ];
    for (const url of refused) {
      const res = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.editor, payload: { url } });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json<{ errors: { field: string; message: string }[] }>().errors, url).toEqual([{ field: 'url', message: expect.stringContaining('private, loopback or link-local') }]);
    }
    // A name is refused without saying what it resolved to: errors are no DNS oracle for internal names.
    const named = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.editor, payload: { url: 'http://localhost:8080/hook' } });
    expect(named.body).not.toMatch(/127\.0\.0\.1|::1/);
    const ok = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.editor, payload: { url: 'https://93.184.216.34/hook' } });
    expect(ok.statusCode, ok.body).toBe(201);
    await h.req({ method: 'DELETE', url: `/api/webhooks/${ok.json<{ webhook: { id: string } }>().webhook.id}`, token: h.tokens.editor });
  });

  it('delivery to a subscription that points inside is a final failure in the log, not retried, and nothing is sent', async () => {
    const r = await receiver();
    const db = h.env.db;
    // Registered while the switch was on (or before an address change): the row exists, delivery must still refuse.
    const hook = await db.insertInto('webhooks').values({ url: `http://127.0.0.1:${r.port}/hook`, events: ['verdict.recorded'], secret: 'whsec_test_secret_0123456789', description: null, created_by: h.names.editor }).returning(['id']).executeTakeFirstOrThrow();
    try {
      const claim = await h.env.db.insertInto('claims').values({ text: `Safety claim ${Date.now()} ${Math.random()}`, status: 'verdict_recorded', fingerprint: 'safety claim' }).returning(['id']).executeTakeFirstOrThrow();
      const verdict = await h.env.db.insertInto('verdicts').values({ claim_id: claim.id, version: 1, rating: 'false', summary: 'No.', reviewer: 'r', approver: 'a' }).returning(['id']).executeTakeFirstOrThrow();
      const handle = await h.env.client.workflow.start('deliverVerdictWebhooks', {
        taskQueue: h.taskQueue,
        workflowId: `webhooks-safety-${verdict.id}`,
        args: [{ claimId: claim.id, verdictId: verdict.id, event: 'verdict.recorded' }],
      });
      const deliveryId = `verdict.recorded:${verdict.id}:${hook.id}`;
      const result = (await handle.result()) as { delivered: string[]; failed: string[] };
      expect(result.failed).toContain(deliveryId);
      expect(result.delivered).not.toContain(deliveryId);

      let rows: { attempt: number; outcome: string; final: boolean; status_code: number | null; error: string | null }[] = [];
      await waitFor('delivery logged', async () => {
        rows = await db.selectFrom('webhook_deliveries').select(['attempt', 'outcome', 'final', 'status_code', 'error']).where('delivery_id', '=', deliveryId).execute();
        return rows.length > 0;
      }, 10_000);
      expect(rows).toEqual([{ attempt: 1, outcome: 'failed', final: true, status_code: null, error: expect.stringMatching(/^target refused: host 127\.0\.0\.1 is, or resolves to, a private/) }]);
      expect(r.received.filter((b) => b.includes(`"verdictId":"${verdict.id}"`))).toHaveLength(0);
      // The row predates encryption (plaintext secret): its first read by the worker encrypted it in place.
      const stored = await db.selectFrom('webhooks').select(['secret', 'secret_ciphertext']).where('id', '=', hook.id).executeTakeFirstOrThrow();
      expect(stored.secret).toBeNull();
      expect(decryptWebhookSecret(Buffer.from(TEST_WEBHOOK_SECRET_KEY, 'base64'), stored.secret_ciphertext ?? '')).toBe('whsec_test_secret_0123456789');
    } finally {
      await db.updateTable('webhooks').set({ deleted_at: new Date() }).where('id', '=', hook.id).execute();
      await r.close();
    }
  });
});

describe('webhook secrets: generated by the server, stored encrypted, shown once', () => {
  let h: ApiHarness;
  const key = Buffer.from(TEST_WEBHOOK_SECRET_KEY, 'base64');
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  it('generates at least 32 random bytes when none is given, and stores only ciphertext', async () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await h.req({ method: 'POST', url: '/api/webhooks', token: h.tokens.editor, payload: { url: `https://93.184.216.34/hook-${i}` } });
      expect(res.statusCode, res.body).toBe(201);
      const { webhook, secret } = res.json<{ webhook: { id: string }; secret: string }>();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]+$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64url').length).toBeGreaterThanOrEqual(WEBHOOK_SECRET_BYTES);
      secrets.add(secret);
      const row = await h.env.db.selectFrom('webhooks').select(['secret', 'secret_ciphertext']).where('id', '=', webhook.id).executeTakeFirstOrThrow();
      expect(row.secret).toBeNull();
      expect(row.secret_ciphertext).not.toContain(secret.slice(6, 20));
      expect(decryptWebhookSecret(key, row.secret_ciphertext ?? '')).toBe(secret);
      // Never listed again.
      const listed = await h.req({ method: 'GET', url: '/api/webhooks?limit=200', token: h.tokens.editor });
      expect(listed.body).not.toContain(secret);
    }
    expect(secrets.size).toBe(3);
  });

  it('ciphertext is authenticated: another key or a flipped byte does not decrypt', () => {
    const stored = encryptWebhookSecret(key, 'whsec_x');
    expect(stored).not.toBe(encryptWebhookSecret(key, 'whsec_x'));
    expect(() => decryptWebhookSecret(Buffer.alloc(32, 9), stored)).toThrow(WebhookSecretKeyError);
    const raw = Buffer.from(stored.slice(3), 'base64url');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => decryptWebhookSecret(key, `v1.${raw.toString('base64url')}`)).toThrow(WebhookSecretKeyError);
  });
});
