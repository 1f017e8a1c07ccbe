import net from 'node:net';

/**
 * A TCP proxy on loopback in front of another server (Postgres, in the reliability suite) that a test can cut and
 * restore: cutting destroys every live connection and resets new ones the moment they arrive, as a database host that
 * went away would; restoring lets connections through again. Real sockets on both sides, nothing simulated.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections accepted and forwarded since the proxy started. */
  readonly forwarded: number;
  /** Connections refused while cut. */
  readonly refused: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const live = new Set<net.Socket>();
  let isCut = false;
  let forwarded = 0;
  let refused = 0;
  const server = net.createServer((client) => {
    if (isCut) {
      refused += 1;
      client.resetAndDestroy();
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
    cut() {
      isCut = true;
      // A reset, not a polite close: the client sees the connection die mid-query, as on a network cut.
      for (const s of live) s.resetAndDestroy();
      live.clear();
    },
    restore() {
      isCut = false;
    },
    close: async () => {
      for (const s of live) s.destroy();
      live.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
