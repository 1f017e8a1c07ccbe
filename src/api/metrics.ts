import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../../db/index.ts';
import { countClaimsByStatus } from '../../db/repositories/claims.ts';
import { countActiveTasks, countOverdueTasks } from '../../db/repositories/tasks.ts';
import { countStuckClaims } from '../../db/repositories/stuck-claims.ts';
import { countDeliveryAttempts, countFailedDeliveries } from '../../db/repositories/webhooks.ts';
import { CLAIM_STATUSES } from '../domain/types.ts';

/**
 * One registry per app (not prom-client's global one), so several apps in one process (tests) don't collide.
 * Queue figures are read from Postgres at scrape time: they describe the whole system, not this process.
 */
export function createMetrics(db: Db) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'claimdesk-api' });
  collectDefaultMetrics({ register: registry, prefix: 'claimdesk_api_' });

  const httpDuration = new Histogram({
    name: 'claimdesk_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const sseClients = new Gauge({ name: 'claimdesk_sse_clients', help: 'Open Server-Sent Events connections on this process', registers: [registry] });

  const rateLimited = new Counter({ name: 'claimdesk_http_rate_limited_total', help: 'Requests refused with 429', registers: [registry] });

  new Gauge({
    name: 'claimdesk_claims',
    help: 'Claims per status (queue depth per stage)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await countClaimsByStatus(db);
      for (const status of CLAIM_STATUSES) this.set({ status }, counts.get(status) ?? 0);
    },
  });

  new Gauge({
    name: 'claimdesk_tasks_open',
    help: 'Open or claimed review tasks per kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await countActiveTasks(db)) this.set({ kind: r.kind, status: r.status }, r.n);
    },
  });

  new Gauge({
    name: 'claimdesk_claims_stuck',
    help: 'Claims whose workflow met a read-model write the database refuses for good (alert on > 0)',
    registers: [registry],
    async collect() {
      this.set(await countStuckClaims(db));
    },
  });

  new Gauge({
    name: 'claimdesk_tasks_overdue',
    help: 'Open or claimed tasks past their due time',
    registers: [registry],
    async collect() {
      this.set(await countOverdueTasks(db));
    },
  });

  new Gauge({
    name: 'claimdesk_webhook_delivery_attempts',
    help: 'Webhook delivery attempts by outcome (from the delivery log; failed attempts are retried)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await countDeliveryAttempts(db)) this.set({ outcome: r.outcome }, r.n);
    },
  });

  new Gauge({
    name: 'claimdesk_webhook_deliveries_failed',
    help: 'Webhook deliveries that gave up after their last retry',
    registers: [registry],
    async collect() {
      this.set(await countFailedDeliveries(db));
    },
  });

  return { registry, httpDuration, sseClients, rateLimited };
}

export type ApiMetrics = ReturnType<typeof createMetrics>;
