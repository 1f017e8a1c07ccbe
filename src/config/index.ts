import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

// The only place that reads process.env. Entry points call loadConfig() once and pass the result down.

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`)
    .optional();
const duration = z.coerce.number().positive();

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  // auto: DATABASE_URL, else the server on 127.0.0.1:5432, else embedded PostgreSQL.
  CLAIMDESK_POSTGRES: z.enum(['auto', 'local', 'embedded']).default('auto'),
  LOCAL_POSTGRES_URL: optionalUrl(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_NAME: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case identifier').default('claimdesk'),
  EMBEDDED_POSTGRES_PORT: port(54329),
  TEMPORAL_ADDRESS: z.string().trim().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default('claimdesk'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  CLAIMDESK_STATE_DIR: z.string().min(1).optional(),
  CLAIMDESK_API_URL: optionalUrl(['http:', 'https:']),
  CLAIMDESK_TOKEN: z.string().min(1).optional(),
  EXTRACTION_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  FACTCHECK_API_KEY: z.string().min(1).optional(),
  FACTCHECK_API_URL: optionalUrl(['http:', 'https:']).default('https://factchecktools.googleapis.com/v1alpha1/claims:search'),
  FACTCHECK_TIMEOUT_MS: duration.default(5000),
  PUBLISHER_NAME: z.string().min(1).default('claimdesk newsroom'),
  // Unset: http://localhost:${PORT}, so ClaimReview urls point at this server's /claims/:id pages.
  PUBLISHER_URL: optionalUrl(['http:', 'https:']),
  // Webhooks to loopback/private/link-local addresses (SSRF guard). Unset: refused in production, allowed otherwise.
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  // Web sign-in: a session unused this long ends (it ends 7 days after sign-in in any case).
  SESSION_IDLE_HOURS: z.coerce.number().positive().max(168).default(12),
  // Base of the Temporal Web UI the dashboard links each claim's workflow to; `claimdesk start` sets its dev server's.
  TEMPORAL_UI_URL: optionalUrl(['http:', 'https:']),
  // The worker's Temporal SDK metrics (Prometheus); 0 turns them off.
  WORKER_METRICS_PORT: port(9464),
  SHUTDOWN_GRACE_MS: duration.default(10_000),
  // How long an API request waits for a claim workflow's Update before answering 503 with Retry-After.
  UPDATE_DEADLINE_MS: duration.default(15_000),
});

type ParsedEnv = z.infer<typeof configSchema>;
export type Config = Omit<ParsedEnv, 'PUBLISHER_URL' | 'WEBHOOK_ALLOW_PRIVATE'> & { PUBLISHER_URL: string; WEBHOOK_ALLOW_PRIVATE: boolean; stateDir: string };

export class ConfigError extends Error {
  readonly code = 'invalid_config' as const;
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

// Run as root, embedded PostgreSQL runs as the unprivileged `postgres` user, which cannot enter /root:
// keep the state somewhere that user can reach.
function defaultStateDir(env: NodeJS.ProcessEnv): string {
  if (process.getuid?.() === 0) return '/var/lib/claimdesk';
  const base = env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'claimdesk');
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  // Empty strings count as unset, as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = typeof cleaned[name] === 'string' ? ` (got ${JSON.stringify(cleaned[name])})` : '';
      return `config: ${name}${value}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const data = result.data;
  return {
    ...data,
    PUBLISHER_URL: data.PUBLISHER_URL ?? `http://localhost:${data.PORT}`,
    WEBHOOK_ALLOW_PRIVATE: data.WEBHOOK_ALLOW_PRIVATE ?? data.NODE_ENV !== 'production',
    stateDir: data.CLAIMDESK_STATE_DIR ?? defaultStateDir(env),
  };
}

export function loadConfig(overrides: Record<string, string | undefined> = {}): Config {
  return parseConfig({ ...process.env, ...overrides });
}

/** Environment values a child process (dev server, worker) should inherit, read here so nothing else touches process.env. */
export function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env };
}
