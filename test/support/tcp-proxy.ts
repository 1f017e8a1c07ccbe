import net from 'node:net';

/**
 * A TCP proxy on loopback in front of another server (Postgres, in the reliability suite) that a test can cut and
 * restore: cutting destroys every live connection and, in 'reset' mode, resets new ones the moment they arrive, as a
 * database host that went away would; in 'blackhole' mode new connections are accepted and then hear nothing, as
 * behind a network partition. Restoring lets connections through again. Real sockets on both sides, nothing simulated.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections accepted and forwarded since the proxy started. */
  readonly forwarded: number;
  /** Connections refused while cut. */
  readonly refused: number;
  cut(mode?: 'reset' | 'blackhole'): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const live = new Set<net.Socket>();
  const silent = new Set<net.Socket>();
  let isCut: false | 'reset' | 'blackhole' = false;
  let forwarded = 0;
  let refused = 0;
  const server = net.createServer((client) => {
    if (isCut) {
      refused += 1;
      if (isCut === 'reset') client.resetAndDestroy();
      else {
        // Swallow whatever the client sends and never answer; dropped with the rest on restore or close.
        client.on('error', () => undefined);
        client.resume();
        silent.add(client);
      }
      return;
    }
    forwarded += 1;
    const upstream = net.connect(target);
    live.add(client);
    live.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no address');
  return {
    port: address.port,
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
    cut(mode = 'reset') {
      isCut = mode;
      // A reset, not a polite close: the client sees the connection die mid-query, as on a network cut.
      for (const s of live) s.resetAndDestroy();
      live.clear();
    },
    restore() {
      isCut = false;
      // Connections held silent during a blackhole never reached the server: end them so their clients reconnect.
      for (const s of silent) s.destroy();
      silent.clear();
    },
    close: async () => {
      for (const s of [...live, ...silent]) s.destroy();
      live.clear();
      silent.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
