import pg from 'pg';
import { AUTH_CHANNEL } from '../../db/repositories/users.ts';
import type { Principal, PrincipalCache } from '../accounts/users.ts';
import type { Logger } from '../logging/logger.ts';

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Bearer-token lookups kept in memory for `ttlMs`, so a busy client costs no Postgres round trip per request.
 * Correctness rests on one LISTEN connection per API process (its own, like the events hub): migration 0015's
 * triggers NOTIFY claimdesk_auth at commit of any change to a token or user, and every notification empties the whole
 * cache. While that connection is not up (starting, dropped, reconnecting) the cache is neither read nor filled: a
 * revocation this process cannot hear about must still take effect on the next request. It is emptied again once
 * LISTEN is back, since notifications sent meanwhile were lost.
 */
export class AuthCache implements PrincipalCache {
  private entries = new Map<string, Entry>();
  private client: pg.Client | null = null;
  private listening = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs: number;
  // Bumped by every clear: a lookup that began before a change must not put its (possibly stale) answer back.
  private generation = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly opts: { ttlMs: number; maxEntries?: number; retryMs?: number; applicationName?: string },
  ) {
    this.retryMs = opts.retryMs ?? 500;
  }

  /** Whether lookups may come from memory now: caching on, LISTEN established. */
  get usable(): boolean {
    return this.opts.ttlMs > 0 && this.listening && !this.closed;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Opens the LISTEN connection in the background; lookups go to Postgres until it is up. */
  start(): void {
    if (this.opts.ttlMs <= 0 || this.closed) return;
    this.connect().catch((err: unknown) => {
      this.log.warn({ err }, 'auth LISTEN connection failed; token lookups are not cached until it is back');
      this.scheduleRetry();
    });
  }

  async lookup(tokenHash: string, load: () => Promise<Principal | null>): Promise<Principal | null> {
    if (!this.usable) return load();
    const now = Date.now();
    const hit = this.entries.get(tokenHash);
    if (hit && hit.expiresAt > now) {
      // Map order is insertion order: moving a hit to the end makes the first entry the least recently used.
      this.entries.delete(tokenHash);
      this.entries.set(tokenHash, hit);
      return hit.principal;
    }
    if (hit) this.entries.delete(tokenHash);
    const generation = this.generation;
    const principal = await load();
    // Unknown and revoked tokens are not kept: they are rare, and a new token must work at once.
    if (principal && this.usable && generation === this.generation) {
      this.entries.set(tokenHash, { principal, expiresAt: now + this.opts.ttlMs });
      const max = this.opts.maxEntries ?? 10_000;
      while (this.entries.size > max) {
        const oldest = this.entries.keys().next();
        if (oldest.done) break;
        this.entries.delete(oldest.value);
      }
    }
    return principal;
  }

  /** Empties the cache; the process that revokes or disables calls this itself, before answering. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: this.opts.applicationName ?? 'claimdesk-auth', keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.channel === AUTH_CHANNEL) this.clear();
    });
    client.on('error', (err) => {
      this.log.warn({ err }, 'auth LISTEN connection failed; token lookups are not cached until it is back');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
    } catch (err) {
      this.client = null;
      client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed || this.client !== client) {
      await client.end().catch(() => undefined);
      return;
    }
    // Whatever changed while nobody listened was not heard: start empty.
    this.clear();
    this.listening = true;
    this.retryMs = this.opts.retryMs ?? 500;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.listening = false;
    this.client = null;
    this.clear();
    client.end().catch(() => undefined);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch((err: unknown) => {
        this.log.warn({ err }, 'auth LISTEN reconnect failed');
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
        this.scheduleRetry();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    this.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
