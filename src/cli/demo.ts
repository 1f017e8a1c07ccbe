import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/index.ts';
import { countArticles } from '../../db/repositories/articles.ts';
import { findUserByName } from '../../db/repositories/users.ts';
import { authenticate, createUser, issueToken } from '../accounts/users.ts';
import type { Role } from '../domain/types.ts';
import type { Logger } from '../logging/logger.ts';

export const DEMO_USERS: { name: string; role: Role }[] = [
  { name: 'ana', role: 'fact_checker' },
  { name: 'ben', role: 'fact_checker' },
  { name: 'carla', role: 'editor' },
  { name: 'dev', role: 'editor' },
  { name: 'admin', role: 'admin' },
];

const demoArticleSchema = z.object({
  title: z.string().min(1),
  body: z.string().min(1),
  url: z.string().optional(),
  publisher: z.string().optional(),
  publishedAt: z.string().optional(),
});

export interface DemoSeedResult {
  users: { name: string; role: Role; token: string }[];
  article: { id: string; workflowId: string; created: boolean };
}

/**
 * Demo users keep their tokens across starts: tokens are stored hashed, so the plain values live in a
 * private file in the state directory and are reused while they still authenticate.
 */
async function demoTokens(db: Db, stateDir: string): Promise<DemoSeedResult['users']> {
  const file = path.join(stateDir, 'demo-tokens.json');
  const saved: Record<string, string> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const users: DemoSeedResult['users'] = [];
  for (const { name, role } of DEMO_USERS) {
    const previous = saved[name];
    const principal = previous ? await authenticate(db, previous) : null;
    if (previous && principal?.user.name === name) {
      users.push({ name, role: principal.user.role, token: previous });
      continue;
    }
    const exists = await findUserByName(db, name);
    const { token, user } = exists ? await issueToken(db, { name, label: 'demo' }) : await createUser(db, { name, role, label: 'demo' });
    users.push({ name, role: user.role, token });
  }
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(Object.fromEntries(users.map((u) => [u.name, u.token])), null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return users;
}

/** Demo users, the demo evidence library and the demo article; each step is idempotent, so restarts add nothing. */
export async function seedDemo(opts: { app: FastifyInstance; db: Db; stateDir: string; article: unknown; log: Logger }): Promise<DemoSeedResult> {
  const users = await demoTokens(opts.db, opts.stateDir);
  const { seedDemoSources } = await import('./demo-sources.ts');
  const sources = await seedDemoSources(opts.db);
  opts.log.info({ sources }, 'demo evidence library loaded');

  // The article goes in through the public API, exactly as a newsroom system would submit it.
  const article = demoArticleSchema.parse(opts.article);
  const editor = users.find((u) => u.role === 'editor');
  const before = await countArticles(opts.db);
  const res = await opts.app.inject({
    method: 'POST',
    url: '/api/articles',
    headers: { authorization: `Bearer ${editor?.token ?? ''}`, 'content-type': 'application/json' },
    payload: article,
  });
  if (res.statusCode !== 202) throw new Error(`submitting the demo article failed: ${res.statusCode} ${res.body.slice(0, 300)}`);
  const body = res.json<{ article: { id: string }; workflowId: string }>();
  const after = await countArticles(opts.db);
  return { users, article: { id: body.article.id, workflowId: body.workflowId, created: after > before } };
}
