import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeToken } from '../../src/accounts/users.ts';
import { openApiHarness, uniqueUser, type ApiHarness } from './support.ts';

/** Reads an SSE response until it ends or `until` matches; returns the text and whether the server ended it. */
async function readStream(res: Response, until: (text: string) => boolean = () => false, ms = 10_000): Promise<{ text: string; ended: boolean }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))]);
    if (next === null) break;
    if (next.done) return { text, ended: true };
    text += decoder.decode(next.value);
    if (until(text)) {
      void reader.cancel().catch(() => undefined);
      return { text, ended: false };
    }
  }
  void reader.cancel().catch(() => undefined);
  return { text, ended: false };
}

describe('live event streams re-check their credential and are capped per user', () => {
  let h: ApiHarness;
  let baseUrl: string;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, config: { SSE_RECHECK_MS: '150', SSE_MAX_STREAMS_PER_USER: '2' } });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => h.close());

  const open = (token: string, signal?: AbortSignal) => fetch(`${baseUrl}/api/events`, { headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) });

  it("closes a revoked token's open stream, with a revoked event", async () => {
    const user = await uniqueUser(h.env, 'editor', 'sse-revoke');
    const res = await open(user.token);
    expect(res.status).toBe(200);
    const stillOpen = await open(user.token);
    // Streams stay open while the token stands (several re-checks pass).
    const first = await readStream(stillOpen, () => false, 600);
    expect(first.ended).toBe(false);
    expect(first.text).toContain(': connected');
    await revokeToken(h.env.db, { token: user.token });
    const after = await readStream(res);
    expect(after.ended).toBe(true);
    expect(after.text).toContain('event: revoked');
    // A new stream with the revoked token is refused outright.
    expect((await open(user.token)).status).toBe(401);
  });

  it("keeps another user's stream open while one token is revoked", async () => {
    const kept = await uniqueUser(h.env, 'editor', 'sse-kept');
    const gone = await uniqueUser(h.env, 'editor', 'sse-gone');
    const keptRes = await open(kept.token);
    const goneRes = await open(gone.token);
    await revokeToken(h.env.db, { token: gone.token });
    expect((await readStream(goneRes)).ended).toBe(true);
    const k = await readStream(keptRes, () => false, 500);
    expect(k.ended).toBe(false);
  });

  it('refuses a third stream of one user with 429 problem+json, and allows one again once a stream closes', async () => {
    const user = await uniqueUser(h.env, 'fact_checker', 'sse-cap');
    const a = new AbortController();
    const first = await open(user.token, a.signal);
    const second = await open(user.token);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await open(user.token);
    expect(third.status).toBe(429);
    expect(third.headers.get('content-type')).toContain('application/problem+json');
    expect(((await third.json()) as { detail: string }).detail).toMatch(/already have 2 live event streams open/);
    // Another user is not affected by this one's streams.
    const other = await uniqueUser(h.env, 'fact_checker', 'sse-cap-other');
    const otherRes = await open(other.token);
    expect(otherRes.status).toBe(200);
    a.abort();
    let again: Response | null = null;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await open(user.token);
    }
    expect(again?.status).toBe(200);
    void second.body?.cancel();
    void otherRes.body?.cancel();
    void again?.body?.cancel();
  });
});
