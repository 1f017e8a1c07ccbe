import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from './deps.ts';
import type { Access } from './auth.ts';
import type { FailureLimiter } from './rate-limit.ts';
import type { EventHub } from './events.ts';
import type { AuthCache } from './auth-cache.ts';
import type { ApiMetrics } from './metrics.ts';
import type { Publisher } from '../publishing/claimreview.ts';

/** What route modules share: built once per app in buildApp. */
export interface RouteContext {
  deps: AppDeps;
  metrics: ApiMetrics;
  hub: EventHub;
  /** Bearer-token lookups in memory: routes that revoke a token or change a user empty it before they answer. */
  authCache: AuthCache;
  /** Failed sign-ins per address and name (shared across API processes). */
  signInFailures: FailureLimiter;
  publisher: Publisher;
  /** preHandler enforcing an access rule; also sets the OpenAPI security note. */
  access(rule: Access): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** SSE heartbeat interval; tests shorten it. */
  heartbeatMs: number;
  /** Whether the request's token or session still stands (for SSE streams' periodic re-check). */
  credentialStillValid(req: FastifyRequest): Promise<boolean>;
  /** How long a computed dashboard is served again; 0 in tests that need fresh figures. */
  dashboardCacheMs: number;
}
