import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { freePort } from '../../src/services/net.ts';
import { provisionPostgres } from '../../src/services/postgres.ts';
import { devServerArgs } from '../../src/services/temporal.ts';
import { fileDatabaseUrl } from '../support/test-database.ts';

const execFileAsync = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../bin/claimdesk.js');
const quiet = { info: () => undefined, warn: () => undefined };

async function claimdesk(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('start-up failures are one clear line, never a stack trace', () => {
  it('invalid configuration: one line per problem naming the variable, exit 2', async () => {
    const r = await claimdesk(['migrate'], { PORT: 'abc', TEMPORAL_ADDRESS: 'nohostport' });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.startsWith('config: PORT'))).toBe(true);
    expect(lines.some((l) => l.startsWith('config: TEMPORAL_ADDRESS'))).toBe(true);
  });

  it('Postgres unreachable: names it and the address', async () => {
    const port = await freePort();
    const r = await claimdesk(['migrate'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nothing` });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^claimdesk: Postgres at 127\\.0\\.0\\.1:${port}/nothing \\(DATABASE_URL\\) is unreachable`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('Temporal unreachable: names it and the address', async () => {
    const port = await freePort();
    const r = await claimdesk(['worker'], { DATABASE_URL: await fileDatabaseUrl(), TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`claimdesk: Temporal at 127.0.0.1:${port} (TEMPORAL_ADDRESS) is unreachable`);
  });

  it('port in use: says so, with the variable that changes it', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await claimdesk(['start', '--no-demo'], { PORT: String(port), HOST: '127.0.0.1' });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`claimdesk: port ${port} is already in use; set PORT to a free port`);
    } finally {
      server.close();
    }
  });

  it('`claimdesk migrate` applies migrations to a database and is repeatable', async () => {
    const url = await fileDatabaseUrl();
    const first = await claimdesk(['migrate'], { DATABASE_URL: url, LOG_LEVEL: 'warn' });
    expect(first.code).toBe(0);
    const again = await claimdesk(['migrate'], { DATABASE_URL: url, LOG_LEVEL: 'warn' });
    expect(again.code).toBe(0);
  });
});

describe('embedded PostgreSQL fallback', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-embedded-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('starts from the npm package binaries, migrates, and keeps its data across restarts', async () => {
    const port = await freePort();
    const opts = { mode: 'embedded' as const, localUrl: 'postgres://postgres@127.0.0.1:5432/postgres', database: 'claimdesk', stateDir, embeddedPort: port };
    const first = await provisionPostgres(opts, quiet);
    expect(first.source).toBe('embedded');
    let db = createDb(first.url, { max: 1 });
    await migrateToLatest(db);
    await db.insertInto('users').values({ name: 'embedded-check', role: 'editor' }).execute();
    await db.destroy();
    await first.stop();

    const second = await provisionPostgres(opts, quiet);
    db = createDb(second.url, { max: 1 });
    const users = await db.selectFrom('users').select('name').execute();
    await db.destroy();
    await second.stop();
    expect(users).toEqual([{ name: 'embedded-check' }]);
  });
});

describe('Temporal dev server arguments', () => {
  it('persist with WAL pragmas, enable Updates and register the search attributes', () => {
    const args = devServerArgs({ binary: 'temporal', port: 7233, uiPort: 8233, dbFilename: '/tmp/t.db', logFile: null, namespace: 'default' }).join(' ');
    expect(args).toContain('--db-filename /tmp/t.db');
    expect(args).toContain('--sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=OFF');
    for (const key of ['frontend.enableUpdateWorkflowExecution', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted', 'frontend.enableExecuteMultiOperation']) {
      expect(args).toContain(`--dynamic-config-value ${key}=true`);
    }
    expect(args).toContain('--search-attribute ClaimStatus=Keyword');
    expect(args).toContain('--search-attribute Assignee=Keyword');
    expect(args).toContain('--search-attribute Priority=Keyword');
    // Speed: the search-attribute cache the CLI turns off (ours exist before it starts), eager activity dispatch.
    expect(args).toContain('--dynamic-config-value system.forceSearchAttributesCacheRefreshOnRead=false');
    expect(args).toContain('--dynamic-config-value system.enableActivityEagerExecution=true');
  });
});
