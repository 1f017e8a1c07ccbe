import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** The one logger type of the service (pino's): the API, the worker, the activities and the CLI log through it. */
export type { Logger };

/**
 * Credentials never reach the log, whichever object carries them: request and response headers as Fastify or a
 * caller logs them, and any `password` field up to three levels deep (bodies logged on error, options objects).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  '*.*.token',
  // Webhook HMAC keys, in bodies or options objects.
  'secret',
  '*.secret',
  '*.*.secret',
];

/**
 * A person at a terminal reads one pretty line per message; a pipe (a log collector, a file, a test) gets JSON.
 * pino-pretty runs in this thread rather than as a transport so a crash cannot lose the last lines. `destination`
 * sends the JSON elsewhere (tests scan it).
 */
export function createLogger(level: string, opts: { name?: string; pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const options = { name: opts.name ?? 'claimdesk', level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (opts.destination) return pino(options, opts.destination);
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  return pretty ? pino(options, PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })) : pino(options);
}
