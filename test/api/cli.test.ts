import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngest, titleFrom } from '../../src/cli/ingest-command.ts';
import { runUsersAdd, runUsersRevoke, runUsersToken } from '../../src/cli/users-command.ts';
import { authenticate } from '../../src/accounts/users.ts';
import { openApiHarness, uniqueArticle, type ApiHarness } from './support.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), readStdin: async () => Buffer.from('') } };
}

describe('claimdesk ingest', () => {
  let h: ApiHarness;
  let apiUrl: string;
  let dir: string;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    apiUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-ingest-'));
  });
  afterAll(async () => h.close());

  it('submits a file, takes the headline from its first line, and is idempotent', async () => {
    const a = uniqueArticle();
    const file = path.join(dir, 'a.txt');
    writeFileSync(file, `${a.title}\n\n${a.body}\n`);
    const first = capture();
    expect(await runIngest(file, { apiUrl, token: h.tokens.fact_checker, url: a.url, json: true }, first.io)).toBe(0);
    const r = JSON.parse(first.out.join('')) as { article: { id: string; title: string; url: string }; created: boolean };
    expect(r).toMatchObject({ created: true, article: { title: a.title, url: a.url } });
    const again = capture();
    expect(await runIngest(file, { apiUrl, token: h.tokens.fact_checker }, again.io)).toBe(0);
    expect(again.out.join('')).toBe(`article ${r.article.id} already submitted: workflow article-${r.article.id}\n`);
  });

  it('reads standard input with --title', async () => {
    const a = uniqueArticle();
    const c = capture();
    // Real fetch, with the headers it sent noted: the contract says the CLI sends an Idempotency-Key.
    const sent: Headers[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      sent.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    const code = await runIngest('-', { apiUrl, token: h.tokens.editor, title: 'From stdin' }, { ...c.io, readStdin: async () => Buffer.from(a.body), fetch: recordingFetch });
    expect(code).toBe(0);
    expect(c.out.join('')).toMatch(/^article \d+ submitted: workflow article-\d+\n$/);
    expect(sent.map((hs) => hs.get('idempotency-key'))).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });

  it('fails in one line with exit 2 for what the user can fix, 1 when the service is unreachable', async () => {
    const cases: [string, Parameters<typeof runIngest>[1], RegExp, number][] = [
      [path.join(dir, 'missing.txt'), { apiUrl, token: h.tokens.editor }, /file not found/, 2],
      [path.join(dir, 'a.txt'), { apiUrl, token: undefined }, /CLAIMDESK_TOKEN/, 2],
      [path.join(dir, 'a.txt'), { apiUrl, token: 'cdk_wrong' }, /401 invalid or revoked token/, 2],
      [path.join(dir, 'a.txt'), { apiUrl, token: h.tokens.editor, url: 'not-a-url' }, /400 url: /, 2],
      [path.join(dir, 'a.txt'), { apiUrl: 'http://127.0.0.1:9', token: h.tokens.editor }, /cannot reach claimdesk/, 1],
    ];
    writeFileSync(path.join(dir, 'bad.bin'), Buffer.from([0x66, 0xff, 0xfe, 0x67]));
    cases.push([path.join(dir, 'bad.bin'), { apiUrl, token: h.tokens.editor }, /not valid UTF-8/, 2]);
    for (const [file, opts, message, exit] of cases) {
      const c = capture();
      expect(await runIngest(file, opts, c.io), String(message)).toBe(exit);
      const text = c.err.join('');
      expect(text).toMatch(message);
      expect(text.trim().split('\n')).toHaveLength(1);
      expect(c.out).toEqual([]);
    }
  });

  it('uses the first non-empty line as the title', () => {
    expect(titleFrom('\n\n  Budget row erupts  \nBody')).toBe('Budget row erupts');
  });
});

describe('claimdesk users', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  it('adds a user printing only the token, issues another, and revokes them', async () => {
    const name = `cli-${Date.now().toString(36)}`;
    const add = capture();
    expect(await runUsersAdd(h.env.db, { name, role: 'fact_checker' }, add.io)).toBe(0);
    expect(add.out).toHaveLength(1);
    const token = (add.out[0] ?? '').trim();
    expect(token).toMatch(/^cdk_[A-Za-z0-9_-]{43}$/);
    expect((await authenticate(h.env.db, token))?.user).toMatchObject({ name, role: 'fact_checker' });
    // Stored hashed: the plain token is nowhere in the table.
    const stored = await h.env.db.selectFrom('api_tokens').select('token_hash').execute();
    expect(stored.some((r) => r.token_hash === token)).toBe(false);

    const dup = capture();
    expect(await runUsersAdd(h.env.db, { name, role: 'editor' }, dup.io)).toBe(2);
    expect(dup.err.join('')).toMatch(/already exists/);
    const badRole = capture();
    expect(await runUsersAdd(h.env.db, { name: `${name}-x`, role: 'boss' }, badRole.io)).toBe(2);

    const second = capture();
    expect(await runUsersToken(h.env.db, { name }, second.io)).toBe(0);
    const token2 = (second.out[0] ?? '').trim();
    expect(token2).not.toBe(token);

    // A token in argv is refused, naming the stdin way, and revokes nothing.
    const inArgv = capture();
    expect(await runUsersRevoke(h.env.db, { token }, inArgv.io)).toBe(2);
    expect(inArgv.err.join('')).toContain('--token-stdin');
    expect(await authenticate(h.env.db, token)).not.toBeNull();

    const revokeOne = capture();
    expect(await runUsersRevoke(h.env.db, { tokenStdin: true }, { ...revokeOne.io, readStdin: async () => Buffer.from(`${token}\n`) })).toBe(0);
    expect(await authenticate(h.env.db, token)).toBeNull();
    expect(await authenticate(h.env.db, token2)).not.toBeNull();
    expect((await h.req({ method: 'GET', url: '/api/me', token })).statusCode).toBe(401);

    const revokeAll = capture();
    expect(await runUsersRevoke(h.env.db, { name }, revokeAll.io)).toBe(0);
    expect(revokeAll.err.join('')).toContain('revoked 1 token');
    expect(await authenticate(h.env.db, token2)).toBeNull();

    const unknown = capture();
    expect(await runUsersRevoke(h.env.db, { name: 'nobody-at-all' }, unknown.io)).toBe(2);
    const neither = capture();
    expect(await runUsersRevoke(h.env.db, {}, neither.io)).toBe(2);
  });
});
