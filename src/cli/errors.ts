import { ConfigError } from '../config/index.ts';
import { ServiceError } from '../services/errors.ts';
import { MigrationError } from '../../db/migrate.ts';

/** Turns a failure into what the person at the terminal needs: one line per problem, no stack, an exit code. */
export function reportFatal(err: unknown, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  if (err instanceof ConfigError) {
    for (const p of err.problems) write(p);
    return 2;
  }
  if (err instanceof ServiceError || err instanceof MigrationError) {
    write(`claimdesk: ${err.message}`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`claimdesk: ${message.split('\n')[0]}`);
  return 1;
}
