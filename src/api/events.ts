import pg from 'pg';
import { EVENTS_CHANNEL, type ClaimNotification } from '../../db/repositories/events.ts';
import type { Logger } from '../logging/logger.ts';

type Subscriber = (event: ClaimNotification) => void;

/**
 * One LISTEN connection per API process, shared by every SSE client: the activities NOTIFY in the same
 * transaction as their read-model write, so every process sees every committed change exactly when it lands.
 * The connection opens on the first subscriber and reconnects with backoff if Postgres drops it.
 */
export class EventHub {
  private subscribers = new Set<Subscriber>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = 500;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    /** Names the LISTEN connection in pg_stat_activity (operators, and tests that cut one hub's connection). */
    private readonly applicationName = 'claimdesk-events',
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** Resolves once the LISTEN is in place, so a caller never misses a change committed after it subscribed. */
  async subscribe(fn: Subscriber): Promise<() => void> {
    this.subscribers.add(fn);
    const unsubscribe = () => {
      this.subscribers.delete(fn);
    };
    try {
      await this.ensureListening();
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  private ensureListening(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('event hub closed'));
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: this.applicationName });
    client.on('notification', (msg) => {
      if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
      // The payload is passed on as it came: the SSE clients receive exactly what the writer notified.
      let event: ClaimNotification;
      try {
        event = JSON.parse(msg.payload) as ClaimNotification;
      } catch {
        this.log.warn({ payload: msg.payload }, 'ignoring a claimdesk_events payload that is not JSON');
        return;
      }
      for (const fn of this.subscribers) fn(event);
    });
    client.on('error', (err) => {
      this.log.warn({ err }, 'event LISTEN connection failed; reconnecting');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.retryMs = 500;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.subscribers.size === 0 || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensureListening().catch((err: unknown) => {
        this.log.warn({ err }, 'event LISTEN reconnect failed');
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
        this.scheduleRetry();
      });
    }, this.retryMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
