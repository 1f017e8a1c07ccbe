import { AUTH_CHANNEL } from '../../db/repositories/users.ts';
import type { Principal, PrincipalCache } from '../accounts/users.ts';
import type { Logger } from '../logging/logger.ts';
import { ListenConnection } from './listen-connection.ts';

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
  private listening = false;
  private closed = false;
  // Bumped by every clear: a lookup that began before a change must not put its (possibly stale) answer back.
  private generation = 0;
  private readonly listen: ListenConnection;

  constructor(
    databaseUrl: string,
    private readonly log: Logger,
    private readonly opts: { ttlMs: number; maxEntries?: number; retryMs?: number; applicationName?: string },
  ) {
    this.listen = new ListenConnection({
      databaseUrl,
      channel: AUTH_CHANNEL,
      applicationName: opts.applicationName ?? 'claimdesk-auth',
      log,
      what: 'auth',
      ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
      onNotification: () => this.clear(),
      // Notifications sent while LISTEN was down are lost: it starts empty each time it is back.
      onUp: () => {
        this.clear();
        this.listening = true;
      },
      onDown: () => {
        this.listening = false;
        this.clear();
      },
    });
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
    this.listen.ensure().catch((err: unknown) => {
      this.log.warn({ err }, 'auth LISTEN connection failed; token lookups are not cached until it is back');
      this.listen.scheduleRetry();
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

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    this.clear();
    await this.listen.close();
  }
}
