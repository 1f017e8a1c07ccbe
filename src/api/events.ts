import { EVENTS_CHANNEL, type ClaimNotification } from '../../db/repositories/events.ts';
import type { Logger } from '../logging/logger.ts';
import { ListenConnection } from './listen-connection.ts';

type Subscriber = (event: ClaimNotification) => void;

/**
 * One LISTEN connection per API process, shared by every SSE client: the activities NOTIFY in the same
 * transaction as their read-model write, so every process sees every committed change exactly when it lands.
 * The connection opens on the first subscriber and reconnects with backoff if Postgres drops it.
 */
export class EventHub {
  private subscribers = new Set<Subscriber>();
  private readonly listen: ListenConnection;

  constructor(
    databaseUrl: string,
    private readonly log: Logger,
    /** Names the LISTEN connection in pg_stat_activity (operators, and tests that cut one hub's connection). */
    applicationName = 'claimdesk-events',
  ) {
    this.listen = new ListenConnection({
      databaseUrl,
      channel: EVENTS_CHANNEL,
      applicationName,
      log,
      what: 'event',
      onNotification: (payload) => this.deliver(payload),
      // Subscribers stay through a drop and hear again once it is back; with none left, the next one reopens it.
      reconnect: () => this.subscribers.size > 0,
    });
  }

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
      await this.listen.ensure();
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  private deliver(payload: string | undefined): void {
    if (!payload) return;
    // The payload is passed on as it came: the SSE clients receive exactly what the writer notified.
    let event: ClaimNotification;
    try {
      event = JSON.parse(payload) as ClaimNotification;
    } catch {
      this.log.warn({ payload }, 'ignoring a claimdesk_events payload that is not JSON');
      return;
    }
    for (const fn of this.subscribers) fn(event);
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    await this.listen.close();
  }
}
