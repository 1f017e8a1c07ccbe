import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerResponse } from 'node:http';
import type { ClaimNotification } from '../../../db/repositories/events.ts';
import { principalOf } from '../auth.ts';
import { HttpProblem } from '../errors.ts';
import type { RouteContext } from '../context.ts';

/**
 * Server-Sent Events: one `change` event per read-model write (claim status, task claimed/released, verdict),
 * so the queue and the dashboard refresh without polling. Comments keep proxies from closing idle streams.
 * A stream outlives the request that checked its token: every SSE_RECHECK_MS it checks the token or session again
 * and ends (with `event: revoked`) once it is revoked, expired or its user disabled. One user may hold at most
 * SSE_MAX_STREAMS_PER_USER streams on one API process.
 */
export function eventRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const open = new Set<ServerResponse>();
  const perUser = new Map<string, number>();
  const { SSE_MAX_STREAMS_PER_USER: maxPerUser, SSE_RECHECK_MS: recheckMs } = ctx.deps.config;
  return async (app) => {
    // Streams would otherwise hold the server open on close: end them first.
    app.addHook('preClose', async () => {
      for (const res of open) res.end();
      open.clear();
    });

    app.get(
      '/api/events',
      {
        onRequest: ctx.access('any'),
        schema: {
          tags: ['live'],
          summary: 'Server-Sent Events for queue and dashboard changes (event: change, data: {claimId, taskId?, type, status})',
          querystring: z.object({ claimId: z.string().regex(/^\d{1,18}$/).optional() }),
          produces: ['text/event-stream'],
        },
      },
      async (req, reply) => {
        const userId = principalOf(req).user.id;
        if ((perUser.get(userId) ?? 0) >= maxPerUser) {
          throw new HttpProblem(429, `you already have ${maxPerUser} live event streams open (the most one user may hold); close one, e.g. another tab`, { headers: { 'Retry-After': '30' } });
        }
        // Taken now, before the awaits below, so simultaneous requests cannot all pass the check.
        perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
        const release = () => {
          const left = (perUser.get(userId) ?? 1) - 1;
          if (left > 0) perUser.set(userId, left);
          else perUser.delete(userId);
        };
        const onlyClaim = req.query.claimId;
        const res = reply.raw;
        let seq = 0;
        const send = (event: ClaimNotification) => {
          if (onlyClaim && event.claimId !== onlyClaim) return;
          seq += 1;
          res.write(`id: ${seq}\nevent: change\ndata: ${JSON.stringify(event)}\n\n`);
        };
        let unsubscribe: () => void;
        try {
          unsubscribe = await ctx.hub.subscribe(send);
        } catch (err) {
          release();
          req.log.error({ err }, 'could not subscribe to change events');
          throw new HttpProblem(503, 'live updates are unavailable right now');
        }
        reply.hijack();
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`retry: 3000\n: connected\n\n`);
        open.add(res);
        ctx.metrics.sseClients.inc();
        const heartbeat = setInterval(() => res.write(`: ping\n\n`), ctx.heartbeatMs);
        let checking = false;
        const recheck = setInterval(() => {
          if (checking) return;
          checking = true;
          ctx
            .credentialStillValid(req)
            .then((valid) => {
              if (valid || res.writableEnded) return;
              req.log.info({ userId }, 'closing a live event stream: its token or session was revoked');
              res.end(`event: revoked\ndata: {"reason":"token or session revoked or expired"}\n\n`);
            })
            // The database being away is no revocation: the next check decides.
            .catch((err: unknown) => req.log.warn({ err }, 'could not re-check a live event stream'))
            .finally(() => {
              checking = false;
            });
        }, recheckMs);
        let cleaned = false;
        const cleanup = () => {
          if (cleaned) return;
          cleaned = true;
          clearInterval(heartbeat);
          clearInterval(recheck);
          unsubscribe();
          if (open.delete(res)) ctx.metrics.sseClients.dec();
          release();
        };
        req.raw.on('close', cleanup);
        res.on('close', cleanup);
        res.on('error', cleanup);
      },
    );
  };
}
