import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/accounts/users.ts';
import { SESSION_COOKIE } from '../../src/api/session.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/claimdesk.js');

/** Runs the real `claimdesk` command against this file's database, with `stdin` piped in. */
function claimdesk(databaseUrl: string, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('claimdesk users: passwords from stdin', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await openApiHarness({ worker: false });
  });
  afterAll(async () => h.close());

  const signIn = (name: string, password: string) => h.app.inject({ method: 'POST', url: '/api/session', payload: { name, password } });

  it('users add --password-stdin prints only the token and the password signs in; set-password replaces it and ends sessions', async () => {
    const name = `cli-pw-${randomUUID().slice(0, 8)}`;
    const added = await claimdesk(h.env.databaseUrl, ['users', 'add', '--name', name, '--role', 'fact_checker', '--password-stdin'], 'first-password-123\n');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^cdk_[\w-]{43}\n$/);
    expect(added.stdout + added.stderr).not.toContain('first-password-123');
    expect((await authenticate(h.env.db, added.stdout.trim()))?.user.name).toBe(name);
    const row = await h.env.db.selectFrom('users').select('password_hash').where('name', '=', name).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain('first-password-123');

    const first = await signIn(name, 'first-password-123');
    expect(first.statusCode).toBe(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';

    const set = await claimdesk(h.env.databaseUrl, ['users', 'set-password', '--name', name, '--password-stdin'], 'second-password-456');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe('');
    expect((await signIn(name, 'first-password-123')).statusCode).toBe(401);
    expect((await signIn(name, 'second-password-456')).statusCode).toBe(200);
    // The session opened with the old password is over.
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    expect((await h.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).statusCode).toBe(401);
  }, 120_000);

  it('refuses a short password, an unknown user and set-password without --password-stdin, in one line with exit 2', async () => {
    const name = `cli-pw-${randomUUID().slice(0, 8)}`;
    const short = await claimdesk(h.env.databaseUrl, ['users', 'add', '--name', name, '--role', 'editor', '--password-stdin'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stdout).toBe('');
    expect(short.stderr).toMatch(/at least 8 characters/);
    expect(await h.env.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst()).toBeUndefined();
    const unknown = await claimdesk(h.env.databaseUrl, ['users', 'set-password', '--name', name, '--password-stdin'], 'long-enough-password');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no user named/);
    const noFlag = await claimdesk(h.env.databaseUrl, ['users', 'set-password', '--name', name], '');
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toMatch(/--password-stdin/);
  }, 120_000);
});
