import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/index.ts';
import { countArticles } from '../../db/repositories/articles.ts';
import { findUserByName } from '../../db/repositories/users.ts';
import { authenticate, createUser, issueToken } from '../accounts/users.ts';
import { verifyPassword } from '../accounts/passwords.ts';
import { setUserPassword } from '../accounts/user-admin.ts';
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

export interface DemoUser {
  name: string;
  role: Role;
  token: string;
  /** Web sign-in password; generated once, kept beside the token. */
  password: string;
}

export interface DemoSeedResult {
  users: DemoUser[];
  article: { id: string; workflowId: string; created: boolean };
}

/** The state file held `{ name: token }` before demo passwords existed; both shapes are read. */
const savedSchema = z.record(z.string(), z.union([z.string(), z.object({ token: z.string(), password: z.string().optional() })]));

/**
 * Demo users keep their tokens and passwords across starts: both are stored hashed, so the plain values live in a
 * private (0600) file in the state directory and are reused while they still work.
 */
export async function prepareDemoUsers(db: Db, stateDir: string): Promise<DemoUser[]> {
  const file = path.join(stateDir, 'demo-tokens.json');
  const parsed = existsSync(file) ? savedSchema.safeParse(JSON.parse(readFileSync(file, 'utf8'))) : null;
  const saved = parsed?.success ? parsed.data : {};
  const users: DemoUser[] = [];
  for (const { name, role } of DEMO_USERS) {
    const entry = saved[name];
    const previous = typeof entry === 'string' ? { token: entry, password: undefined } : entry;
    const principal = previous ? await authenticate(db, previous.token) : null;
    let token: string;
    let userRole: Role;
    if (previous && principal?.user.name === name) {
      token = previous.token;
      userRole = principal.user.role;
    } else {
      const exists = await findUserByName(db, name);
      const created = exists ? await issueToken(db, { name, label: 'demo' }) : await createUser(db, { name, role, label: 'demo' });
      token = created.token;
      userRole = created.user.role;
    }
    const password = previous?.password ?? randomBytes(9).toString('base64url');
    // The database may be new (or the password reset by an admin) while the file remains: make them agree again.
    const row = await findUserByName(db, name);
    if (!(await verifyPassword(password, row?.password_hash ?? null))) await setUserPassword(db, { name }, password);
    users.push({ name, role: userRole, token, password });
  }
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(Object.fromEntries(users.map((u) => [u.name, { token: u.token, password: u.password }])), null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return users;
}

/** Demo users, the demo evidence library and the demo article; each step is idempotent, so restarts add nothing. */
export async function seedDemo(opts: { app: FastifyInstance; db: Db; users: DemoUser[]; article: unknown; log: Logger }): Promise<DemoSeedResult> {
  const users = opts.users;
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
