import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { credentialStillValid, requireRole } from './auth.ts';
import { installRateLimits } from './rate-limit.ts';
import type { RouteContext } from './context.ts';
import type { AppDeps } from './deps.ts';
import { HttpProblem, installErrorHandler } from './errors.ts';
import { internalCallerCheck } from './internal.ts';
import { installIdempotency } from './idempotency.ts';
import { problemSchema } from './schemas.ts';
import { EventHub } from './events.ts';
import { AuthCache } from './auth-cache.ts';
import { createMetrics } from './metrics.ts';
import { articleRoutes } from './routes/articles.ts';
import { claimRoutes } from './routes/claims.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { pageRoutes } from './routes/pages.ts';
import { publishingRoutes } from './routes/publishing.ts';
import { sourceRoutes } from './routes/sources.ts';
import { taskRoutes } from './routes/tasks.ts';
import { userRoutes } from './routes/users.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { sessionRoutes } from './routes/session.ts';
import { adminRoutes } from './routes/admin.ts';
import { articlePreviewRoutes } from './routes/article-preview.ts';
import { claimEvidenceRoutes } from './routes/claim-evidence.ts';
import { cookieAuthenticator, sessionSettings } from './session.ts';
import { APP_CSP, DOCS_CSP, registerWebApp } from './web-app.ts';

export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;
// Twice Node's default 16 kB: a search q pasted from a long claim travels in the URL, percent-encoded. Anything
// beyond gets Node's 431 before a byte of it is parsed further.
export const MAX_HEADER_BYTES = 32 * 1024;

/** The headers helmet sets with these options, captured by running it once against a response that only records them. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failed: unknown = null;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failed = err ?? null;
  });
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return headers;
}

/** Builds the HTTP app without listening: `main` listens, tests inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    // Fastify logs every request twice at info; that drowns what matters. Requests are logged once, at debug, below.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  const metrics = createMetrics(deps.db);
  const hub = new EventHub(deps.databaseUrl, deps.log);
  const authCache = new AuthCache(deps.databaseUrl, deps.log, { ttlMs: deps.config.AUTH_CACHE_MS, ...(deps.options?.authListenRetryMs !== undefined ? { retryMs: deps.options.authListenRetryMs } : {}), ...(deps.options?.authListenName ? { applicationName: deps.options.authListenName } : {}) });
  authCache.start();
  const byCookie = cookieAuthenticator(deps.db, sessionSettings(deps.config));
  // Registered before any route: the plugin adds its hook to each route as it is added.
  const signInFailures = await installRateLimits(app as unknown as FastifyInstance, { db: deps.db, config: deps.config, log: deps.log, onLimited: () => metrics.rateLimited.inc() });
  const ctx: RouteContext = {
    deps,
    metrics,
    hub,
    authCache,
    signInFailures,
    publisher: { name: deps.config.PUBLISHER_NAME, url: deps.config.PUBLISHER_URL },
    access: (rule) => requireRole(deps.db, rule, byCookie, signInFailures, authCache),
    credentialStillValid: (req) => credentialStillValid(deps.db, req, byCookie),
    heartbeatMs: deps.options?.heartbeatMs ?? 15_000,
    dashboardCacheMs: deps.options?.dashboardCacheMs ?? 2000,
  };

  // Every /api route documents the problem+json answers it can give, without each route repeating them.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api') || !route.schema) return;
    const response = { ...((route.schema.response as Record<string, unknown> | undefined) ?? {}) };
    for (const code of [400, 401, 403, 404, 409, 413, 422, 429]) response[code] ??= problemSchema;
    route.schema = { ...route.schema, response };
  });

  installIdempotency(app, deps.db, deps.options?.idempotencyStaleAfterMs);

  // The hooks every request runs are plain callbacks, not async functions: on a trivial route each promise Fastify
  // has to await showed in B4's profile.
  app.addHook('onResponse', (req, reply, done) => {
    req.log.debug({ method: req.method, url: req.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime) }, 'request completed');
    metrics.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onClose', async () => {
    await hub.close();
    await authCache.close();
  });
  // What an API answers a signed-in caller is theirs alone: no browser or proxy may keep it. Public routes that
  // may be cached (the ClaimReview feed and documents) say so themselves and keep their header.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.principal || (req.url.startsWith('/api/') && !reply.hasHeader('cache-control'))) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  // Cookies are read only where a session is looked up (session.ts); the plugin still writes Set-Cookie.
  await app.register(fastifyCookie, { hook: false });
  // Security headers on every response (helmet's set, and the CSP, which a route can replace with its own). They are
  // the same for every request: computed once here rather than by helmet's dozen middlewares per request, which the
  // B4 profile showed as the largest share of a trivial route's own CPU time.
  const securityHeaders = {
    ...helmetHeaders({
      contentSecurityPolicy: false,
      // HSTS only where the service is reached over TLS; on http://localhost it would only confuse a later https setup.
      strictTransportSecurity: deps.config.NODE_ENV === 'production',
    }),
    'content-security-policy': APP_CSP,
  };
  app.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(securityHeaders);
    done();
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'claimdesk API',
        version: '0.1.0',
        description: 'Claim verification for newsrooms. Every /api route except the ClaimReview ones needs Authorization: Bearer <token>. Errors are application/problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });

  await app.register(healthRoutes(deps));
  // Scrapes read queue figures from Postgres: one computation serves every scrape for a moment.
  const isInternal = internalCallerCheck(deps.db, deps.config);
  const metricsCacheMs = deps.options?.publicCacheMs ?? 2000;
  let scraped: { at: number; text: Promise<string> } | null = null;
  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics: for the internal network (loopback, INTERNAL_NETWORKS) or with an API token', hide: false } },
    async (req, reply) => {
      if (!(await isInternal(req))) throw new HttpProblem(403, 'metrics are served to the internal network (INTERNAL_NETWORKS) or with an API token');
      if (!scraped || Date.now() - scraped.at >= metricsCacheMs) scraped = { at: Date.now(), text: metrics.registry.metrics() };
      const current = scraped;
      const text = await current.text.catch((err: unknown) => {
        if (scraped === current) scraped = null;
        throw err;
      });
      return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(text);
    },
  );
  await app.register(articleRoutes(ctx));
  await app.register(claimRoutes(ctx));
  await app.register(taskRoutes(ctx));
  await app.register(publishingRoutes(ctx));
  await app.register(pageRoutes(ctx));
  await app.register(dashboardRoutes(ctx));
  await app.register(eventRoutes(ctx));
  await app.register(sourceRoutes(ctx));
  await app.register(webhookRoutes(ctx));
  await app.register(userRoutes(ctx));
  await app.register(sessionRoutes(ctx));
  await app.register(adminRoutes(ctx));
  await app.register(articlePreviewRoutes(ctx));
  await app.register(claimEvidenceRoutes(ctx));
  await registerWebApp(app as unknown as FastifyInstance, deps.options?.webDist);

  // Routes keep their zod typing inside; callers only need the plain instance (inject, listen, close).
  return app as unknown as FastifyInstance;
}
