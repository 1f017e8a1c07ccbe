import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { claimIdempotencyKey, finishIdempotencyKey, releaseIdempotencyKey } from '../../db/repositories/idempotency-keys.ts';
import type { DbOrTrx } from '../../db/index.ts';
import { HttpProblem, badRequest } from './errors.ts';
import { canonicalJson } from '../domain/canonical-json.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Printable ASCII only: the key is echoed in logs and compared byte for byte.
const KEY_PATTERN = /^[\x20-\x7E]{1,200}$/;
/** How long a first attempt may hold its key before a retry takes over (the API died while it waited). */
export const IDEMPOTENCY_STALE_AFTER_MS = 2 * 60_000;
const RETRY_AFTER_SECONDS = '1';

interface HeldKey {
  userId: string;
  key: string;
  /** Which attempt holds the row: only that attempt may finish or release it. */
  attempt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set while this request holds an Idempotency-Key; null when it sent none or got a replay. */
    idempotency: HeldKey | null;
  }
}

/** The caller's key scoped to them ("<userId>:<key>"), as the claim workflows client wants it; nothing without a key. */
export function idempotencyOptions(req: FastifyRequest): { idempotencyKey?: string } {
  return req.idempotency ? { idempotencyKey: `${req.idempotency.userId}:${req.idempotency.key}` } : {};
}

function requestHash(req: FastifyRequest): string {
  let body: string;
  try {
    body = canonicalJson(req.body ?? null);
  } catch (err) {
    // JSON nested deeper than the stack (a route without a body schema takes any JSON): a bad request, not a 500.
    if (err instanceof RangeError) throw badRequest('(body)', 'is nested too deeply');
    throw err;
  }
  return createHash('sha256').update(`${req.method}\n${req.url}\n${body}`, 'utf8').digest('hex');
}

/**
 * Routes whose answer or body holds a secret (a new API token, a password) keep no idempotency row: the stored
 * answer would keep the token in plain text for a day and the request hash would be a fast hash of the password.
 * Each is safe to retry as it is: creating a user twice is a 409, setting the same password twice changes nothing,
 * and a second token issued is one more token to revoke.
 */
const SECRET_ROUTES = new Set(['POST /api/users', 'POST /api/users/:id/password', 'POST /api/users/:id/tokens', 'POST /api/session']);

/**
 * Idempotency-Key on every state-changing /api route: Postgres holds one row per (user, key), written before the
 * request runs, so a retry gets the first answer back (2xx and 4xx: the request was judged) and changes nothing.
 * A 5xx or an unanswered attempt gives the key back, so a retry runs again; the Temporal Update id derived from the
 * key then keeps that second run from applying twice.
 */
export function installIdempotency(app: FastifyInstance, db: DbOrTrx, staleAfterMs: number = IDEMPOTENCY_STALE_AFTER_MS): void {
  app.decorateRequest('idempotency', null);

  // preHandler: after the route's onRequest authenticated the caller and after the body was parsed and validated.
  const claimKey = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!STATE_CHANGING.has(req.method)) return;
    const raw = req.headers['idempotency-key'];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? null : raw;
    if (key === null || !KEY_PATTERN.test(key)) {
      throw badRequest(IDEMPOTENCY_HEADER, 'must be one value of 1 to 200 printable ASCII characters');
    }
    // Sign-in has no caller yet; a key needs a user to belong to.
    if (!req.principal) return;
    const userId = req.principal.user.id;
    const route = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    if (SECRET_ROUTES.has(route)) return;
    const hash = requestHash(req);
    const claimed = await claimIdempotencyKey(db, { userId, key, route, requestHash: hash, staleAfterMs });
    if (claimed.taken) {
      req.idempotency = { userId, key, attempt: claimed.attempt };
      return;
    }
    const found = claimed.existing;
    if (found.request_hash !== hash) {
      throw new HttpProblem(422, `${IDEMPOTENCY_HEADER} was already used for another request (${found.route}); send a new key for a new request`);
    }
    if (found.state === 'in_progress' || found.response_status === null) {
      throw new HttpProblem(409, `a request with this ${IDEMPOTENCY_HEADER} is in progress; retry later`, { headers: { 'Retry-After': RETRY_AFTER_SECONDS } });
    }
    void reply.header('Idempotent-Replayed', 'true');
    if (found.response_type) void reply.type(found.response_type);
    return reply.code(found.response_status).send(found.response_body ?? '');
  };

  // onSend sees every answer, the error handler's included, and runs before the client gets it: a retry that
  // arrives after the response always finds the row done.
  const storeAnswer = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const held = req.idempotency;
    if (!held) return payload;
    req.idempotency = null;
    const status = reply.statusCode;
    if (status >= 500 || (typeof payload !== 'string' && !Buffer.isBuffer(payload) && payload !== null && payload !== undefined)) {
      await releaseIdempotencyKey(db, held);
      return payload;
    }
    const contentType = reply.getHeader('content-type');
    const body = payload === null || payload === undefined ? '' : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload;
    await finishIdempotencyKey(db, { ...held, status, contentType: typeof contentType === 'string' ? contentType : null, body });
    return payload;
  };

  // A request that never answered (the client went away, the handler was aborted) must not hold its key for long.
  const giveBack = async (req: FastifyRequest) => {
    const held = req.idempotency;
    if (!held) return;
    req.idempotency = null;
    await releaseIdempotencyKey(db, held);
  };

  // Only the state-changing /api routes carry the hooks (added to each as it is declared, so they must be installed
  // before the routes): a GET, a static asset or the trivial health check pays nothing for them.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.url.startsWith('/api/') || !methods.some((m) => STATE_CHANGING.has(m))) return;
    route.preHandler = [...asArray(route.preHandler), claimKey];
    route.onSend = [...asArray(route.onSend), storeAnswer];
    route.onResponse = [...asArray(route.onResponse), giveBack];
  });
}

function asArray<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}
