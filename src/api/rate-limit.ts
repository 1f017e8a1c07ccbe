import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.ts';
import { deleteExpiredRateLimits, incrementRateLimit, peekRateLimit } from '../../db/repositories/rate-limits.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../logging/logger.ts';
import { HttpProblem } from './errors.ts';

const MINUTE_MS = 60_000;

type StoreCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/**
 * @fastify/rate-limit's store interface over the `rate_limits` table: every API process counts in the same
 * Postgres rows, so a limit holds however many processes sit behind the load balancer.
 */
export function postgresRateLimitStore(db: Db) {
  return class PostgresRateLimitStore {
    incr(key: string, cb: StoreCallback, timeWindow: number): void {
      incrementRateLimit(db, key, timeWindow).then(
        (r) => cb(null, { current: r.hits, ttl: r.ttlMs }),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    }

    /** Read without counting (`createRateLimit()(req, { increment: false })`). */
    read(key: string, cb: StoreCallback): void {
      peekRateLimit(db, key).then(
        (r) => cb(null, { current: r.hits, ttl: r.ttlMs }),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    }

    /** Limiters with their own settings share the table; their keys carry their own prefix. */
    child(): PostgresRateLimitStore {
      return this;
    }
  };
}

/** Who a request counts against: its token or web session when it has one, else its address. */
export function rateLimitKey(req: FastifyRequest): string {
  return req.principal ? `token:${req.principal.tokenId}` : `ip:${req.ip}`;
}

const tooMany = (seconds: number, what: string) =>
  new HttpProblem(429, `${what}; retry in ${Math.max(1, seconds)} s`, { headers: { 'Retry-After': String(Math.max(1, seconds)) } });

export interface FailureLimiter {
  /** Throws 429 when the request's address (or the name it tries to sign in as) already failed too often this minute. */
  assertAllowed(req: FastifyRequest): Promise<void>;
  /** Counts one failure against the address (and the name). */
  fail(req: FastifyRequest): Promise<void>;
}

/**
 * Registers @fastify/rate-limit on every route (before the routes are added): per token or session on routes that
 * need one, per address on the rest, with the draft-standard `RateLimit-Limit/-Remaining/-Reset` headers and
 * `Retry-After` on a 429. The limiter runs after the route's access check (both are onRequest hooks; the plugin's
 * comes last), so it knows the principal; static assets (`/assets/*`, immutable bundles) are not counted.
 * Returns the counter of failed sign-ins (wrong password, unknown or revoked token), per address and per name.
 */
export async function installRateLimits(app: FastifyInstance, opts: { db: Db; config: Config; log: Logger; onLimited: () => void }): Promise<FailureLimiter> {
  const { db, config } = opts;
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'onRequest',
    enableDraftSpec: true,
    timeWindow: MINUTE_MS,
    store: postgresRateLimitStore(db),
    keyGenerator: rateLimitKey,
    // With the database away the limit cannot be counted; the request goes on (and meets the outage itself, as a 503).
    skipOnError: true,
    max: (_req: FastifyRequest, key: string) => (key.startsWith('token:') ? config.RATE_LIMIT_PER_MINUTE : config.RATE_LIMIT_ANONYMOUS_PER_MINUTE),
    allowList: (req: FastifyRequest) => req.routeOptions.url?.startsWith('/assets/') === true,
    onExceeded: () => opts.onLimited(),
    errorResponseBuilder: (_req, ctx) => tooMany(Math.ceil(ctx.ttl / 1000), 'rate limit exceeded'),
  });

  // Windows that ended are deleted now and then, by whichever process gets there; the table holds live keys only.
  const sweep = setInterval(() => {
    deleteExpiredRateLimits(db).catch((err: unknown) => opts.log.warn({ err }, 'could not sweep expired rate-limit windows'));
  }, MINUTE_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  const limiter = (keyGenerator: (req: FastifyRequest) => string) => app.createRateLimit({ timeWindow: MINUTE_MS, max: config.SIGNIN_FAILURES_PER_MINUTE, keyGenerator });
  const byAddress = limiter((req) => `signin-failure:ip:${req.ip}`);
  // The name tried, from the sign-in body (other failures have no name and count by address only).
  const byName = limiter((req) => `signin-failure:name:${String((req.body as { name?: unknown } | undefined)?.name ?? '').toLowerCase()}`);
  const limitersFor = (req: FastifyRequest) => (typeof (req.body as { name?: unknown } | undefined)?.name === 'string' ? [byAddress, byName] : [byAddress]);
  const check = async (req: FastifyRequest, increment: boolean): Promise<number | null> => {
    let wait: number | null = null;
    for (const take of limitersFor(req)) {
      const r = await take(req, { increment });
      if (r.isAllowed) continue;
      // Before a try, reaching the limit already refuses; after a failure, only going past it does.
      const over = increment ? r.isExceeded : r.remaining === 0;
      if (over) wait = Math.max(wait ?? 0, r.ttlInSeconds);
    }
    return wait;
  };
  return {
    async assertAllowed(req) {
      const wait = await check(req, false);
      if (wait !== null) {
        opts.onLimited();
        throw tooMany(wait, 'too many failed sign-ins');
      }
    },
    async fail(req) {
      await check(req, true);
    },
  };
}
