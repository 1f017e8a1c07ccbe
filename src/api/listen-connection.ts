import pg from 'pg';
import type { Logger } from '../logging/logger.ts';

export interface ListenConnectionOptions {
  databaseUrl: string;
  channel: string;
  /** Names the connection in pg_stat_activity (operators, and tests that cut one process's connection). */
  applicationName: string;
  log: Logger;
  /** What the connection is for, in log lines ("event", "auth"). */
  what: string;
  /** First delay before reconnecting after a drop; doubles up to 30 s. */
  retryMs?: number;
  onNotification: (payload: string | undefined) => void;
  /** Called once LISTEN is in place (again): notifications sent while it was down are lost. */
  onUp?: () => void;
  /** Called when the connection drops, before any reconnect. */
  onDown?: () => void;
  /** Whether a drop is followed by reconnecting (default: always). */
  reconnect?: () => boolean;
}

/**
 * One LISTEN connection of its own (never a pooled one: LISTEN belongs to a session), opened on demand, that
 * reconnects with backoff after Postgres or the network drops it. The events hub and the token cache each hold one.
 */
export class ListenConnection {
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs: number;

  constructor(private readonly opts: ListenConnectionOptions) {
    this.retryMs = opts.retryMs ?? 500;
  }

  /** Whether LISTEN is in place now. */
  get up(): boolean {
    return this.client !== null && !this.closed;
  }

  /** Resolves once LISTEN is in place (at once when it is), so a caller never misses a change committed after. */
  ensure(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.opts.what} LISTEN connection closed`));
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** Reconnects after the current delay (doubling on each failure); nothing when closed or already scheduled. */
  scheduleRetry(): void {
    if (this.closed || this.retryTimer || (this.opts.reconnect && !this.opts.reconnect())) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensure().catch((err: unknown) => {
        this.opts.log.warn({ err }, `${this.opts.what} LISTEN reconnect failed`);
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
        this.scheduleRetry();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl, application_name: this.opts.applicationName, keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.channel === this.opts.channel) this.opts.onNotification(msg.payload);
    });
    client.on('error', (err) => {
      this.opts.log.warn({ err }, `${this.opts.what} LISTEN connection failed; reconnecting`);
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.opts.channel}`);
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = this.opts.retryMs ?? 500;
    this.opts.onUp?.();
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.opts.onDown?.();
    this.scheduleRetry();
  }
}
