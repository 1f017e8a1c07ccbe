import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerResponse } from 'node:http';
import type { ClaimNotification } from '../../../db/repositories/events.ts';
import { HttpProblem } from '../errors.ts';
import type { RouteContext } from '../context.ts';

/**
 * Server-Sent Events: one `change` event per read-model write (claim status, task claimed/released, verdict),
 * so the queue and the dashboard refresh without polling. Comments keep proxies from closing idle streams.
 */
export function eventRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const open = new Set<ServerResponse>();
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
        const cleanup = () => {
          clearInterval(heartbeat);
          unsubscribe();
          if (open.delete(res)) ctx.metrics.sseClients.dec();
        };
        req.raw.on('close', cleanup);
        res.on('close', cleanup);
        res.on('error', cleanup);
      },
    );
  };
}
