import { pino, type DestinationStream, type Logger } from 'pino';

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
];

export function createLogger(level: string, name = 'claimdesk', destination?: DestinationStream): Logger {
  const options = { name, level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

/** Adapts pino to the small logger interface the provisioning code uses. */
export function serviceLog(log: Logger) {
  return { info: (msg: string) => log.info(msg), warn: (msg: string) => log.warn(msg) };
}
