import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/session.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { openApiHarness, type ApiHarness } from './support.ts';

/** Everything the service logs at trace level, as one string. */
function memoryLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger('trace', { name: 'claimdesk-test', destination: stream }), text: () => lines.join('') };
}

describe('credentials never reach the log', () => {
  let h: ApiHarness;
  const memory = memoryLog();
  beforeAll(async () => {
    h = await openApiHarness({ worker: false, log: memory.log });
  });
  afterAll(async () => h.close());

  it('keeps passwords, tokens and session ids out of a trace-level log of a sign-in session', async () => {
    const password = 'very-secret-password-7731';
    const newPassword = 'another-secret-password-9902';
    const created = await h.req({ method: 'POST', url: '/api/users', token: h.tokens.admin, payload: { name: `log-${Date.now()}`, role: 'editor', password } });
    expect(created.statusCode).toBe(201);
    const { user, token } = created.json<{ user: { id: string; name: string }; token: string }>();
    const signIn = await h.app.inject({ method: 'POST', url: '/api/session', headers: { origin: 'http://localhost:80' }, payload: { name: user.name, password } });
    expect(signIn.statusCode).toBe(200);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? '';
    const sessionId = cookie.slice(SESSION_COOKIE.length + 1);
    await h.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    await h.app.inject({ method: 'POST', url: '/api/session', payload: { name: user.name, password: 'wrong-secret-password-1' } });
    await h.req({ method: 'GET', url: '/api/me', token });
    await h.req({ method: 'POST', url: `/api/users/${user.id}/password`, token: h.tokens.admin, payload: { password: newPassword } });
    await h.req({ method: 'POST', url: `/api/users/${user.id}/password`, token: h.tokens.admin, payload: { password: 'short' } });
    // Whatever a future log line carries, the logger itself redacts credentials by name.
    memory.log.info({ req: { headers: { authorization: `Bearer ${token}`, cookie } }, body: { password }, headers: { 'set-cookie': cookie } }, 'explicit credential fields');

    const text = memory.text();
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain('request completed');
    expect(text).toContain('[redacted]');
    for (const secret of [password, newPassword, 'wrong-secret-password-1', token, h.tokens.admin, sessionId]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(text).not.toContain(secret);
    }
  });
});
