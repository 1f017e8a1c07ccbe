import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'claimdesk'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

/** Adapts pino to the small logger interface the provisioning code uses. */
export function serviceLog(log: Logger) {
  return { info: (msg: string) => log.info(msg), warn: (msg: string) => log.warn(msg) };
}
