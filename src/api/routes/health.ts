import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ping } from '../../../db/index.ts';
import type { AppDeps } from '../deps.ts';

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
  return async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['operations'], summary: 'Database and Temporal reachability', response: { 200: healthSchema, 503: healthSchema } } },
      async (_req, reply) => {
        const [db, temporal] = await Promise.all([
          within(3000, ping(deps.db)).then(() => 'ok', reason),
          within(3000, deps.temporal.workflowService.getSystemInfo({})).then(() => 'ok', reason),
        ]);
        return reply.code(db === 'ok' && temporal === 'ok' ? 200 : 503).send({ db, temporal });
      },
    );
  };
}
