import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problemBody } from './errors.ts';

/** Where `npm run build:web` (scripts/build-web.ts) writes the app. */
export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

/**
 * The app's Content-Security-Policy (docs/web-contract.md): only this origin's scripts and styles, no inline script,
 * nothing may frame it. Every response gets it unless a route sets its own (public verdict pages, /docs).
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Swagger UI sets style attributes inline, so /docs allows inline styles (never inline script). The page shows only
 * our own schema, no user text.
 */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// Paths the app never owns: an unknown one there is the JSON 404 it always was, never index.html.
const NOT_APP = /^\/+(?:api|claims|docs|metrics|healthz)(?:\/|$)|^\/+docs|^\/+assets\//;

function acceptsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return /\btext\/html\b|application\/xhtml\+xml/.test(accept);
}

function notBuilt(req: FastifyRequest, reply: FastifyReply, dist: string): FastifyReply {
  const detail = `the web app is not built (no ${path.join(dist, 'index.html')}): run \`npm run build:web\`, or \`npm start\`, which builds it when it is missing or stale`;
  void reply.code(503).header('retry-after', '30');
  if (!acceptsHtml(req)) return reply.type('application/problem+json').send(problemBody(503, detail));
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>claimdesk: web app not built</title></head><body><h1>The web app is not built yet</h1><p>The API is running, but <code>src/web/dist</code> is missing.</p><p>Build it with <code>npm run build:web</code> (or start with <code>npm start</code>, which builds it when needed), then reload this page.</p><p>The API itself is at <a href="/docs">/docs</a>.</p></body></html>`;
  return reply.type('text/html; charset=utf-8').send(page);
}

/**
 * Serves the built web app: hashed files under /assets/ (cached for a year), top-level files such as the icon, and
 * index.html for every other GET that asks for HTML outside the API's own paths, so deep links like /queue work.
 */
export async function registerWebApp(app: FastifyInstance, dist: string = DEFAULT_WEB_DIST): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.join(dist, 'assets'),
    prefix: '/assets/',
    // Vite puts a content hash in every name under assets/: a changed file is a new URL.
    maxAge: '365d',
    immutable: true,
    index: false,
    redirect: false,
  });

  const sendIndex = async (req: FastifyRequest, reply: FastifyReply) => {
    const index = path.join(dist, 'index.html');
    let html: Buffer;
    try {
      html = await readFile(index);
    } catch {
      return notBuilt(req, reply, dist);
    }
    // index.html names the current hashed bundles: always revalidate it.
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(req.url.split('?')[0] ?? '/');
    } catch {
      return reply.callNotFound();
    }
    if (NOT_APP.test(pathname)) return reply.callNotFound();
    // A top-level file of the build (favicon.svg, robots.txt): served as itself, never a directory walk.
    const top = /^\/([\w.-]+\.[a-z0-9]+)$/i.exec(pathname)?.[1];
    if (top && top !== 'index.html') {
      const file = path.join(dist, top);
      if (existsSync(file) && statSync(file).isFile()) return reply.header('cache-control', 'public, max-age=3600').sendFile(top, dist);
      return reply.callNotFound();
    }
    if (!acceptsHtml(req)) return reply.callNotFound();
    return sendIndex(req, reply);
  };
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, handler);
}
