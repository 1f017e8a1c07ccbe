import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ping } from '../../../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { internalCallerCheck } from '../internal.ts';

const healthSchema = z.object({ db: z.string(), temporal: z.string() });

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function reason(err: unknown): string {
  return `down: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
}

export function healthRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  const isInternal = internalCallerCheck(deps.db, deps.config);
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Database and Temporal reachability: "ok" or "down"; the reason after "down: " only for the internal network or a token',
          response: { 200: healthSchema, 503: healthSchema },
        },
      },
      async (req, reply) => {
        const [db, temporal] = await Promise.all([
          within(3000, ping(deps.db)).then(() => 'ok', reason),
          within(3000, deps.temporal.workflowService.getSystemInfo({})).then(() => 'ok', reason),
        ]);
        const status = db === 'ok' && temporal === 'ok' ? 200 : 503;
        void reply.header('cache-control', 'no-store');
        // Raw error messages name hosts, ports and users: an anonymous caller from outside learns only up or down.
        if (!(await isInternal(req).catch(() => false))) {
          return reply.code(status).send({ db: db === 'ok' ? 'ok' : 'down', temporal: temporal === 'ok' ? 'ok' : 'down' });
        }
        return reply.code(status).send({ db, temporal });
      },
    );
  };
}
