import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps.ts';
import { installErrorHandler } from './errors.ts';
import { healthRoutes } from './routes/health.ts';

export type { AppDeps, ClaimWorkflowsPort, TaskAction, TaskActionResult } from './deps.ts';

export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Builds the HTTP app without listening: `main` listens, tests inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log as FastifyBaseLogger, bodyLimit: BODY_LIMIT_BYTES }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await app.register(healthRoutes(deps));
  // Routes keep their zod typing inside; callers only need the plain instance (inject, listen, close).
  return app as unknown as FastifyInstance;
}
