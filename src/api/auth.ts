import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx } from '../../db/index.ts';
import { authenticate, type Principal, type PrincipalCache } from '../accounts/users.ts';
import { hasRole } from '../domain/roles.ts';
import type { Role } from '../domain/types.ts';
import { HttpProblem } from './errors.ts';
import type { FailureLimiter } from './rate-limit.ts';

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

/**
 * An onRequest hook (before the body is even read) enforcing one route's access rule. Admins may do anything.
 * A wrong or revoked token counts as a failed sign-in of the address (`failures`): past the limit the answer is 429.
 * The per-token request limit is applied after this hook by @fastify/rate-limit (src/api/rate-limit.ts).
 */
export function requireRole(db: DbOrTrx, access: Access, byCookie?: (req: FastifyRequest) => Promise<Principal | null>, failures?: FailureLimiter, tokens?: PrincipalCache) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    req.principal = null;
    if (access === 'public') return;
    const token = bearerToken(req);
    // A bearer token wins over a cookie; the cookie path checks its own session and the request's Origin.
    const principal = token ? await authenticate(db, token, tokens) : ((await byCookie?.(req)) ?? null);
    if (!token && !principal) throw unauthorized('missing bearer token: send Authorization: Bearer <token>');
    if (!principal) {
      await failures?.fail(req);
      await failures?.assertAllowed(req);
      throw unauthorized('invalid or revoked token');
    }
    req.principal = principal;
    if (access === 'any') return;
    if (!hasRole(principal.user.role, access)) {
      throw new HttpProblem(403, `this needs the role ${access.join(' or ')}; you are ${principal.user.role}`);
    }
  };
}

/**
 * Whether the credential a request came with still stands (the token is not revoked, the session has not ended, the
 * user is not disabled): long-lived responses (SSE) ask this now and then. Always asks Postgres, never the token
 * cache, so a stream ends on the first re-check after a revocation however the news travels.
 */
export async function credentialStillValid(db: DbOrTrx, req: FastifyRequest, byCookie?: (req: FastifyRequest) => Promise<Principal | null>): Promise<boolean> {
  const token = bearerToken(req);
  try {
    const principal = token ? await authenticate(db, token) : ((await byCookie?.(req)) ?? null);
    return principal !== null && principal.user.id === req.principal?.user.id;
  } catch (err) {
    // An ended session answers 401 as an HttpProblem; anything else (the database away) is not a revocation.
    if (err instanceof HttpProblem) return false;
    throw err;
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route has no authenticated principal');
  return req.principal;
}
