import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from './deps.ts';
import type { Access, RateLimiter } from './auth.ts';
import type { EventHub } from './events.ts';
import type { ApiMetrics } from './metrics.ts';
import type { Publisher } from '../publishing/claimreview.ts';

/** What route modules share: built once per app in buildApp. */
export interface RouteContext {
  deps: AppDeps;
  metrics: ApiMetrics;
  hub: EventHub;
  limiter: RateLimiter;
  publisher: Publisher;
  /** preHandler enforcing an access rule; also sets the OpenAPI security note. */
  access(rule: Access): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** SSE heartbeat interval; tests shorten it. */
  heartbeatMs: number;
  /** How long a computed dashboard is served again; 0 in tests that need fresh figures. */
  dashboardCacheMs: number;
}
