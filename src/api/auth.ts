import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx } from '../../db/index.ts';
import { authenticate, type Principal } from '../accounts/users.ts';
import { hasRole } from '../domain/roles.ts';
import type { Role } from '../domain/types.ts';
import { HttpProblem } from './errors.ts';

/** Fixed one-minute windows per token: cheap, and good enough to stop a runaway script. */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;
  constructor(private readonly perMinute: number) {}

  /** Returns null when allowed, else the seconds until the window resets. */
  take(key: string, now = Date.now()): number | null {
    const w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      // At most one sweep a minute: sweeping on every new key once the map was large made each request that
      // brought a fresh key (random sign-in names) scan the whole map.
      if (this.windows.size > 10_000 && now - this.lastSweep >= 60_000) {
        this.lastSweep = now;
        this.sweep(now);
      }
      this.windows.set(key, { start: now, count: 1 });
      return null;
    }
    w.count += 1;
    if (w.count <= this.perMinute) return null;
    return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type Access = 'public' | 'any' | readonly Role[];

export function bearerToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

const unauthorized = (detail: string) => new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="claimdesk"' } });

/** An onRequest hook (before the body is even read) enforcing one route's access rule. Admins may do anything. */
export function requireRole(db: DbOrTrx, limiter: RateLimiter, access: Access, byCookie?: (req: FastifyRequest) => Promise<Principal | null>) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    req.principal = null;
    if (access === 'public') return;
    const token = bearerToken(req);
    // A bearer token wins over a cookie; the cookie path checks its own session and the request's Origin.
    const principal = token ? await authenticate(db, token) : ((await byCookie?.(req)) ?? null);
    if (!token && !principal) throw unauthorized('missing bearer token: send Authorization: Bearer <token>');
    if (!principal) throw unauthorized('invalid or revoked token');
    const retryAfter = limiter.take(principal.tokenId);
    if (retryAfter !== null) {
      throw new HttpProblem(429, `rate limit exceeded; retry in ${retryAfter} s`, { headers: { 'Retry-After': String(retryAfter) } });
    }
    req.principal = principal;
    if (access === 'any') return;
    if (!hasRole(principal.user.role, access)) {
      throw new HttpProblem(403, `this needs the role ${access.join(' or ')}; you are ${principal.user.role}`);
    }
  };
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route has no authenticated principal');
  return req.principal;
}
