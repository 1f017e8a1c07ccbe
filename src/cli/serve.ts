import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/index.ts';
import { webhookSecretKey } from '../config/webhook-key.ts';
import type { Db } from '../../db/index.ts';
import type { ActivitySettings } from '../../activities/index.ts';
import { buildApp } from '../api/app.ts';
import { createClaimWorkflows } from '../claims-client/claim-workflows.ts';
import { ServiceError } from '../services/errors.ts';
import type { Logger } from '../logging/logger.ts';
import { portAnswers } from '../services/net.ts';
import { assertPortFree, connectTemporal, createTemporalClient, migrate, provisionDatabase, provisionOwnTemporal } from '../services/runtime.ts';
import { createWorker, installRuntime } from '../worker/index.ts';
import type { TemporalConnectOptions } from '../services/temporal-connection.ts';
import { prepareDemoUsers, seedDemo, type DemoSeedResult } from './demo.ts';
import type { DemoMode } from '../api/deps.ts';

type Stop = () => Promise<void>;

/** Stops what was started, newest first, once, whichever signal or failure comes first. */
class Lifecycle {
  private readonly stops: { name: string; stop: Stop }[] = [];
  private stopping: Promise<void> | null = null;
  constructor(private readonly log: Logger) {}

  add(name: string, stop: Stop): void {
    this.stops.push({ name, stop });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, stop } of this.stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          this.log.warn({ err }, `stopping ${name} failed`);
        }
      }
    })();
    return this.stopping;
  }

  /** Resolves when SIGINT/SIGTERM arrives and everything has stopped; a second signal exits at once. */
  untilSignal(): Promise<void> {
    return new Promise((resolve) => {
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          this.log.warn(`${signal} again: exiting without waiting`);
          process.exit(130);
        }
        this.log.info(`${signal} received: shutting down (in-flight work drains first; Ctrl-C again to force)`);
        void this.stop().then(resolve);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  }
}

export function activitySettings(config: Config): ActivitySettings {
  return {
    extractionThreshold: config.EXTRACTION_THRESHOLD,
    extractionThresholdTranscript: config.EXTRACTION_THRESHOLD_TRANSCRIPT,
    extraction: { threads: config.EXTRACTION_THREADS, deadlineMs: config.EXTRACTION_DEADLINE_MS },
    factCheck: { apiKey: config.FACTCHECK_API_KEY ?? null, url: config.FACTCHECK_API_URL, timeoutMs: config.FACTCHECK_TIMEOUT_MS },
    publisher: { name: config.PUBLISHER_NAME, url: config.PUBLISHER_URL },
    webhooks: { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, secretKey: webhookSecretKey(config) },
  };
}

/** Starts the worker; returns the port of its SDK metrics endpoint, or null when that is off. */
async function startWorker(config: Config, log: Logger, db: Db, temporal: TemporalConnectOptions, life: Lifecycle): Promise<number | null> {
  let metricsPort = config.WORKER_METRICS_PORT;
  if (metricsPort > 0 && (await portAnswers('127.0.0.1', metricsPort, 300))) {
    log.warn(`port ${metricsPort} (WORKER_METRICS_PORT) is in use: worker SDK metrics are off`);
    metricsPort = 0;
  }
  installRuntime(log, metricsPort);
  const { worker, connection } = await createWorker({
    ...temporal,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    deps: { db, log, settings: activitySettings(config) },
    shutdownGraceTime: config.SHUTDOWN_GRACE_MS,
    actorSigningKeys: config.actorSigningKeys,
  });
  const running = worker.run();
  running.catch((err: unknown) => log.error({ err }, 'worker stopped with an error'));
  life.add('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
  });
  log.info({ taskQueue: config.TASK_QUEUE, metricsPort: metricsPort || null }, 'worker running');
  return metricsPort || null;
}

async function startApi(config: Config, log: Logger, db: Db, databaseUrl: string, client: Client, life: Lifecycle, demo: DemoMode | null = null): Promise<FastifyInstance> {
  const claimWorkflows = createClaimWorkflows(client, { taskQueue: config.TASK_QUEUE, db, updateDeadlineMs: config.UPDATE_DEADLINE_MS, actorSigningKey: config.actorSigningKeys.current });
  const app = await buildApp({ db, temporal: client, claimWorkflows, config, log, databaseUrl, options: { demo } });
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ServiceError('port_in_use', `port ${config.PORT} is already in use; set PORT to a free port`);
    }
    throw err;
  }
  life.add('api', () => app.close());
  return app;
}

function printReady(lines: string[]): void {
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

function demoLines(demo: DemoSeedResult | null): string[] {
  if (!demo) return [];
  return [
    '  Demo users (tokens are kept in the state directory and reused on the next start):',
    ...demo.users.map((u) => `    ${u.role.padEnd(13)} ${u.name.padEnd(8)} ${u.token}`),
    '  Demo sign-in for the web app (name / password, also listed on its sign-in page):',
    ...demo.users.map((u) => `    password ${u.name.padEnd(8)} ${u.password}`),
    `  Demo article: ${demo.article.id} (${demo.article.created ? 'submitted now' : 'already there'}), workflow ${demo.article.workflowId}`,
  ];
}

/** `claimdesk start`: every part in one process, with its own Postgres and Temporal unless told otherwise. */
export async function runStart(config: Config, log: Logger, opts: { demo: boolean }): Promise<void> {
  const started = Date.now();
  await assertPortFree(config.HOST, config.PORT, 'PORT');
  const life = new Lifecycle(log);
  const stopped = life.untilSignal();
  try {
    const { pg, db } = await provisionDatabase(config, log);
    life.add('postgres', () => pg.stop());
    life.add('database pool', () => db.destroy());
    await migrate(db, log);
    const temporal = await provisionOwnTemporal(config, log);
    life.add('temporal', () => temporal.stop());
    const workerMetricsPort = await startWorker(config, log, db, temporal.connect, life);
    const { client, connection } = await createTemporalClient(temporal.connect, config.TEMPORAL_NAMESPACE);
    life.add('temporal client', () => connection.close());
    // The dashboard links claims to the Temporal UI: the dev server's own unless one is configured.
    const apiConfig = { ...config, TEMPORAL_UI_URL: config.TEMPORAL_UI_URL ?? temporal.uiUrl ?? undefined };
    // Demo users exist before the API listens, so its sign-in page can list them from the first request.
    const demoUsers = opts.demo ? await prepareDemoUsers(db, config.stateDir) : null;
    const app = await startApi(apiConfig, log, db, pg.url, client, life, demoUsers ? { users: demoUsers } : null);
    const demo = demoUsers ? await seedDemo({ app, db, users: demoUsers, article: JSON.parse(readFileSync(new URL('../../db/seeds/demo-article.json', import.meta.url), 'utf8')) as unknown, log }) : null;
    const base = `http://localhost:${config.PORT}`;
    printReady([
      `claimdesk ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  API:          ${base}/api   (OpenAPI at ${base}/docs)`,
      `  Health:       ${base}/healthz   Metrics: ${base}/metrics${workerMetricsPort ? `   Worker SDK metrics: http://localhost:${workerMetricsPort}/metrics` : ''}`,
      `  Temporal:     ${temporal.address}${temporal.uiUrl ? `   UI: ${temporal.uiUrl}` : ''}`,
      `  Postgres:     ${pg.source}${pg.source === 'embedded' ? ` (data in ${config.stateDir}/postgres)` : ''}`,
      ...demoLines(demo),
      '  Ctrl-C stops everything.',
    ]);
  } catch (err) {
    await life.stop();
    throw err;
  }
  await stopped;
}

/** `claimdesk api`: the HTTP API alone, against a Temporal server and database someone else runs. */
export async function runApi(config: Config, log: Logger): Promise<void> {
  await assertPortFree(config.HOST, config.PORT, 'PORT');
  const life = new Lifecycle(log);
  const stopped = life.untilSignal();
  try {
    const { pg, db } = await provisionDatabase(config, log);
    life.add('database pool', () => db.destroy());
    const temporal = await connectTemporal(config, log);
    const { client, connection } = await createTemporalClient(temporal.connect, config.TEMPORAL_NAMESPACE);
    life.add('temporal client', () => connection.close());
    await startApi(config, log, db, pg.url, client, life);
    log.info(`API listening on http://${config.HOST}:${config.PORT}`);
  } catch (err) {
    await life.stop();
    throw err;
  }
  await stopped;
}

/** `claimdesk worker`: workflows and activities alone; scale by running more of these. */
export async function runWorker(config: Config, log: Logger): Promise<void> {
  const life = new Lifecycle(log);
  const stopped = life.untilSignal();
  try {
    const { db } = await provisionDatabase(config, log);
    life.add('database pool', () => db.destroy());
    const temporal = await connectTemporal(config, log);
    await startWorker(config, log, db, temporal.connect, life);
  } catch (err) {
    await life.stop();
    throw err;
  }
  await stopped;
}
