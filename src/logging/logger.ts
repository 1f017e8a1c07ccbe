import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** The one logger type of the service (pino's): the API, the worker, the activities and the CLI log through it. */
export type { Logger };

/**
 * A person at a terminal reads one pretty line per message; a pipe (a log collector, a file, a test) gets JSON.
 * pino-pretty runs in this thread rather than as a transport so a crash cannot lose the last lines.
 */
export function createLogger(level: string, opts: { name?: string; pretty?: boolean } = {}): Logger {
  const options = { name: opts.name ?? 'claimdesk', level, base: { pid: process.pid } };
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  return pretty ? pino(options, PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })) : pino(options);
}
