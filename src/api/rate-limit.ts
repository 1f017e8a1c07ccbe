import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.ts';
import { deleteExpiredRateLimits, incrementRateLimit, incrementRateLimits, peekRateLimit } from '../../db/repositories/rate-limits.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../logging/logger.ts';
import { HttpProblem } from './errors.ts';

const MINUTE_MS = 60_000;

type StoreCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** How often locally counted hits are written to `rate_limits`, at the latest. */
export const FLUSH_INTERVAL_MS = 250;
/** A key's local unflushed hits are written at once (the request waits) when they reach this share of its limit. */
const FLUSH_SHARE = 0.05;
/** From this share of the limit on (as far as this process knows), every hit is counted in Postgres before the answer. */
const SYNC_SHARE = 0.8;
/** Keys counted locally at most; beyond, new keys are counted in Postgres per request (memory stays bounded). */
const MAX_LOCAL_KEYS = 50_000;

interface KeyWindow {
  windowMs: number;
  /** The key's count in Postgres as last seen (it includes other processes' hits up to then). */
  known: number;
  /** When the window ends, by this process's clock. */
  endsAt: number;
  /** Hits counted here and not yet sent. */
  pending: number;
  /** Hits sent in a flush that has not answered yet. */
  inflight: number;
}

/**
 * Counts hits in the shared `rate_limits` table without a round trip per request while a key is far from its limit.
 *
 * Per key and window each process keeps what it last saw of the global count (`known`) plus what it counted itself
 * since. A request is answered from memory when that estimate stays below 80 % of the limit and the key's unflushed
 * hits stay below 5 % of it; otherwise it adds its hit and the unflushed ones in one upsert and is answered from the
 * count Postgres returns, exactly as a per-request upsert would. Unflushed hits are also written every 250 ms and when
 * the app closes. The first request of a key's window in a process is always counted in Postgres (it learns the
 * window's end there), and limits under 40 (5 % is under 2 hits) are always counted per request.
 *
 * Over-admission bound: a process admits from memory only hits Postgres has not seen yet, at most 5 % of the limit
 * less one still unflushed plus at most as many in a flush under way, and once it learns the count is at 80 % it
 * stops doing so for the rest of the window. A key is therefore admitted at most limit + 2 × (⌊5 % × limit⌋ − 1) times
 * per API process that serves it in one window (600/min: at most 58 extra per process, only when several processes
 * flood one key at once); a single process, or every process once 80 % is known, refuses exactly the (limit+1)th.
 * Hits are never lost: each is written once, in the window Postgres is in when it arrives (a hit counted in the last
 * moments of a window may land in the next one, which only errs towards refusing).
 */
export class BatchedRateLimitCounter {
  private windows = new Map<string, KeyWindow>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** Counts one hit: answered at once from memory when the rules above allow it (no round trip, no promise), else by Postgres. */
  incr(key: string, windowMs: number, max: number): { current: number; ttl: number } | Promise<{ current: number; ttl: number }> {
    const now = Date.now();
    const w = this.windows.get(key);
    if (w && (w.endsAt <= now || w.windowMs !== windowMs)) {
      // The window is over here: what was still unsent goes with this request's hit, and Postgres starts the next.
      w.known = 0;
      w.endsAt = 0;
      w.windowMs = windowMs;
    }
    const flushAt = Math.floor(max * FLUSH_SHARE);
    const estimate = w ? w.known + w.inflight + w.pending + 1 : Infinity;
    if (w && w.endsAt > now && flushAt >= 2 && w.pending + 1 < flushAt && estimate < max * SYNC_SHARE) {
      w.pending += 1;
      this.schedule();
      return { current: estimate, ttl: w.endsAt - now };
    }
    return this.countNow(key, windowMs, w);
  }

  /** The count as this process knows it, without counting (the plugin's `{ increment: false }`). */
  async read(key: string): Promise<{ current: number; ttl: number }> {
    const r = await peekRateLimit(this.db, key);
    const w = this.windows.get(key);
    return { current: r.hits + (w ? w.pending : 0), ttl: r.ttlMs };
  }

  /** Writes every unflushed hit now (the app closing, tests). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    const batch: { key: string; by: number; windowMs: number }[] = [];
    for (const [key, w] of this.windows) {
      if (w.pending > 0) {
        batch.push({ key, by: w.pending, windowMs: w.windowMs });
        w.inflight += w.pending;
        w.pending = 0;
      }
    }
    if (batch.length === 0) return;
    const done = this.send(batch).finally(() => {
      this.flushing = null;
    });
    this.flushing = done;
    await done;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async countNow(key: string, windowMs: number, w: KeyWindow | undefined): Promise<{ current: number; ttl: number }> {
    const live = w;
    const carried = live ? live.pending : 0;
    if (live) {
      live.pending = 0;
      live.inflight += carried;
    }
    let r: { hits: number; ttlMs: number };
    try {
      r = await incrementRateLimit(this.db, key, windowMs, carried + 1);
    } catch (err) {
      // Not written: the carried hits wait for the next flush (this request's own goes with the outage, skipOnError).
      if (live) {
        live.inflight -= carried;
        live.pending += carried;
      }
      throw err;
    }
    if (live) live.inflight -= carried;
    this.learn(key, windowMs, r.hits, r.ttlMs);
    return { current: r.hits, ttl: r.ttlMs };
  }

  private learn(key: string, windowMs: number, hits: number, ttlMs: number): void {
    const endsAt = Date.now() + ttlMs;
    const w = this.windows.get(key);
    // Postgres started another window since: what was known of the old one is void.
    if (!w || endsAt > w.endsAt + 1000) {
      if (!w && this.windows.size >= MAX_LOCAL_KEYS) return;
      this.windows.set(key, { windowMs, known: hits, endsAt, pending: w?.pending ?? 0, inflight: w?.inflight ?? 0 });
      return;
    }
    // Answers can arrive out of order: the larger count is the later one within a window.
    w.known = Math.max(w.known, hits);
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((err: unknown) => this.log.warn({ err }, 'could not write rate-limit hits; they are kept for the next try'));
      this.prune();
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  private async send(batch: { key: string; by: number; windowMs: number }[]): Promise<void> {
    try {
      const rows = await incrementRateLimits(this.db, batch);
      for (const b of batch) {
        const w = this.windows.get(b.key);
        if (w) w.inflight -= b.by;
      }
      for (const r of rows) {
        const b = batch.find((x) => x.key === r.key);
        if (b) this.learn(r.key, b.windowMs, r.hits, r.ttlMs);
      }
    } catch (err) {
      // Nothing was written (one statement): the hits go back to wait for the next flush.
      for (const b of batch) {
        const w = this.windows.get(b.key);
        if (w) {
          w.inflight -= b.by;
          w.pending += b.by;
        }
      }
      this.schedule();
      throw err;
    }
  }

  /** Forgets windows that ended with nothing left to send. */
  private prune(): void {
    const now = Date.now();
    for (const [key, w] of this.windows) if (w.endsAt <= now && w.pending === 0 && w.inflight === 0) this.windows.delete(key);
    if ([...this.windows.values()].some((w) => w.pending > 0)) this.schedule();
  }
}

/**
 * @fastify/rate-limit's store interface over the `rate_limits` table: every API process counts in the same
 * Postgres rows, so a limit holds however many processes sit behind the load balancer (batched, see above).
 */
export function postgresRateLimitStore(counter: BatchedRateLimitCounter) {
  return class PostgresRateLimitStore {
    incr(key: string, cb: StoreCallback, timeWindow: number, max: number): void {
      const counted = counter.incr(key, timeWindow, max);
      if (!(counted instanceof Promise)) {
        cb(null, counted);
        return;
      }
      counted.then(
        (r) => cb(null, r),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    }

    /** Read without counting (`createRateLimit()(req, { increment: false })`). */
    read(key: string, cb: StoreCallback): void {
      counter.read(key).then(
        (r) => cb(null, r),
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
  const counter = new BatchedRateLimitCounter(db, opts.log);
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'onRequest',
    enableDraftSpec: true,
    timeWindow: MINUTE_MS,
    store: postgresRateLimitStore(counter),
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
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    // Hits counted here and not yet written still count against their keys in the other processes.
    await counter.close().catch((err: unknown) => opts.log.warn({ err }, 'could not write the last rate-limit hits'));
  });

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
