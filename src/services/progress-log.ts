/**
 * What provisioning reports while it starts Postgres or Temporal: plain sentences for the person waiting.
 * The service's Logger satisfies it; tests and scripts pass a console or a silent one.
 */
export interface ProgressLog {
  info(msg: string): void;
  warn(msg: string): void;
}
