import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { z } from 'zod';
import { parseSecretKey } from '../publishing/webhook-secrets.ts';
import { DEV_ACTOR_SIGNING_KEY, MIN_ACTOR_SIGNING_KEY_LENGTH, type ActorSigningKeys } from '../domain/actor-signature.ts';

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

/** `10.0.0.0/8` → its parts, or null. */
export function parseCidr(text: string): { address: string; bits: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = text.lastIndexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = net.isIP(address);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const bits = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return null;
  return { address, bits, family: family === 4 ? 'ipv4' : 'ipv6' };
}

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port(3000),
  // Loopback unless told otherwise: a laptop running `npm start` is not a server. Containers set HOST=0.0.0.0.
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  // auto: DATABASE_URL, else the server on 127.0.0.1:5432, else embedded PostgreSQL.
  CLAIMDESK_POSTGRES: z.enum(['auto', 'local', 'embedded']).default('auto'),
  LOCAL_POSTGRES_URL: optionalUrl(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_NAME: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case identifier').default('claimdesk'),
  EMBEDDED_POSTGRES_PORT: port(54329),
  TEMPORAL_ADDRESS: z.string().trim().regex(/^[^\s:]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  // Connection security, named as in Temporal's environment configuration (@temporalio/envconfig): an API key
  // (Temporal Cloud) turns TLS on; TLS with the system's CAs, or a CA file, and for mTLS a client certificate and key.
  TEMPORAL_API_KEY: z.string().trim().min(1).optional(),
  TEMPORAL_TLS: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().trim().min(1).optional(),
  // At start claimdesk checks that its search attributes exist in the namespace: 'register' adds missing ones (needs
  // operator rights; the default for the dev server claimdesk runs itself), 'warn' logs the command to run, 'fail' stops.
  TEMPORAL_SEARCH_ATTRIBUTES: z.enum(['register', 'warn', 'fail']).optional(),
  TASK_QUEUE: z.string().min(1).default('claimdesk'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  CLAIMDESK_STATE_DIR: z.string().min(1).optional(),
  CLAIMDESK_API_URL: optionalUrl(['http:', 'https:']),
  CLAIMDESK_TOKEN: z.string().min(1).optional(),
  EXTRACTION_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  EXTRACTION_THRESHOLD_TRANSCRIPT: z.coerce.number().min(0).max(1).default(0.5),
  // Extraction runs on this many worker threads; an article still extracting after EXTRACTION_DEADLINE_MS fails.
  EXTRACTION_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  EXTRACTION_DEADLINE_MS: z.coerce.number().int().min(1).max(600_000).default(20_000),
  FACTCHECK_API_KEY: z.string().min(1).optional(),
  FACTCHECK_API_URL: optionalUrl(['http:', 'https:']).default('https://factchecktools.googleapis.com/v1alpha1/claims:search'),
  FACTCHECK_TIMEOUT_MS: duration.default(5000),
  PUBLISHER_NAME: z.string().min(1).default('claimdesk newsroom'),
  // Unset: http://localhost:${PORT}, so ClaimReview urls point at this server's /claims/:id pages.
  PUBLISHER_URL: optionalUrl(['http:', 'https:']),
  // Webhooks to loopback/private/link-local addresses (SSRF guard). Refused unless set to true, in every environment.
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .default(false),
  // Requests per minute per API token or web session, shared by every API process (counted in Postgres).
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  // Requests per minute per client address on routes that need no sign-in (feed, public pages, /healthz, sign-in).
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().positive().default(300),
  // Failed sign-ins (wrong password, wrong or revoked token) per minute per client address, and per name.
  SIGNIN_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(10),
  // How long an API process reuses a bearer token's lookup (0: every request asks Postgres). Any change to a token or
  // user reaches every process at once through LISTEN claimdesk_auth and empties the cache; this only bounds how long an
  // entry lives when nothing changes, and the cache is not used at all while that LISTEN connection is down.
  AUTH_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  // Live event streams (SSE) one user may hold open at once, and how often each re-checks its token or session.
  SSE_MAX_STREAMS_PER_USER: z.coerce.number().int().positive().default(5),
  SSE_RECHECK_MS: z.coerce.number().int().positive().default(30_000),
  // Addresses that see /metrics and the details of /healthz without a token (comma-separated CIDRs); loopback always does.
  INTERNAL_NETWORKS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const nets = v.split(',').map((s) => s.trim()).filter(Boolean);
      for (const n of nets) if (!parseCidr(n)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(n)} is not a CIDR such as 10.0.0.0/8 or fd00::/8` });
      return nets;
    }),
  // AES-256-GCM key for stored webhook secrets: 64 hex digits or base64 of 32 bytes. Required in production;
  // elsewhere a key is generated once into the state directory (webhook-secret.key).
  WEBHOOK_SECRET_KEY: z
    .string()
    .refine((v) => parseSecretKey(v) !== null, 'must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)')
    .optional(),
  // Web sign-in: a session unused this long ends (it ends 7 days after sign-in in any case).
  SESSION_IDLE_HOURS: z.coerce.number().positive().max(168).default(12),
  // Base of the Temporal Web UI the dashboard links each claim's workflow to; `claimdesk start` sets its dev server's.
  TEMPORAL_UI_URL: optionalUrl(['http:', 'https:']),
  // The worker's Temporal SDK metrics (Prometheus); 0 turns them off.
  WORKER_METRICS_PORT: port(9464),
  SHUTDOWN_GRACE_MS: duration.default(10_000),
  // Signs the actor of every task action (API) and verifies it in the claim workflow (worker): API and worker processes
  // share it. Required in production; elsewhere unset means the public development key.
  ACTOR_SIGNING_KEY: z.string().trim().min(MIN_ACTOR_SIGNING_KEY_LENGTH, `must be at least ${MIN_ACTOR_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -hex 32)`).optional(),
  // Keys that still verify during a rotation, comma-separated: deploy the new ACTOR_SIGNING_KEY with the old one here.
  ACTOR_SIGNING_KEYS_PREVIOUS: z
    .string()
    .transform((v) => v.split(',').map((k) => k.trim()).filter((k) => k !== ''))
    .refine((keys) => keys.every((k) => k.length >= MIN_ACTOR_SIGNING_KEY_LENGTH), `every key must be at least ${MIN_ACTOR_SIGNING_KEY_LENGTH} characters`)
    .optional(),
  // How long an API request waits for a claim workflow's Update before answering 503 with Retry-After.
  UPDATE_DEADLINE_MS: duration.default(15_000),
});

type ParsedEnv = z.infer<typeof configSchema>;
export type Config = Omit<ParsedEnv, 'PUBLISHER_URL' | 'WEBHOOK_ALLOW_PRIVATE'> & {
  PUBLISHER_URL: string;
  WEBHOOK_ALLOW_PRIVATE: boolean;
  stateDir: string;
  actorSigningKeys: ActorSigningKeys;
};

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

/** Never echoed in a configuration error: a key that was refused may still be a real one. */
const SECRET_VARIABLES = new Set(['ACTOR_SIGNING_KEY', 'ACTOR_SIGNING_KEYS_PREVIOUS', 'TEMPORAL_API_KEY', 'FACTCHECK_API_KEY']);

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  // Empty strings count as unset, as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = typeof cleaned[name] === 'string' && !SECRET_VARIABLES.has(name) ? ` (got ${JSON.stringify(cleaned[name])})` : '';
      return `config: ${name}${value}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const data = result.data;
  const problems: string[] = [];
  if ((data.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined) !== (data.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined)) {
    problems.push('config: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: set both (mTLS) or neither');
  }
  if (data.TEMPORAL_TLS === false && (data.TEMPORAL_TLS_SERVER_CA_CERT_PATH || data.TEMPORAL_TLS_CLIENT_CERT_PATH || data.TEMPORAL_TLS_SERVER_NAME)) {
    problems.push('config: TEMPORAL_TLS: is false but TLS files or a server name are set');
  }
  if (data.NODE_ENV === 'production') {
    if (data.ACTOR_SIGNING_KEY === undefined) problems.push('config: ACTOR_SIGNING_KEY: required when NODE_ENV=production (a secret shared by API and worker processes, e.g. openssl rand -hex 32)');
    else if (data.ACTOR_SIGNING_KEY === DEV_ACTOR_SIGNING_KEY) problems.push('config: ACTOR_SIGNING_KEY: the public development key cannot be used when NODE_ENV=production');
  }
  if (data.NODE_ENV === 'production' && !data.WEBHOOK_SECRET_KEY) {
    problems.push('config: WEBHOOK_SECRET_KEY: required when NODE_ENV=production (32 bytes: openssl rand -base64 32)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    actorSigningKeys: { current: data.ACTOR_SIGNING_KEY ?? DEV_ACTOR_SIGNING_KEY, previous: data.ACTOR_SIGNING_KEYS_PREVIOUS ?? [] },
    ...data,
    PUBLISHER_URL: data.PUBLISHER_URL ?? `http://localhost:${data.PORT}`,
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
