import { connect, createServer, type Socket, type AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy in front of a real service, to take that service away from the code under
 * test without touching the service itself. `forward` passes bytes through; `blackhole` stops
 * answering, on open connections too (a hung dependency: sockets stay open, nothing comes back);
 * `refuse` closes every connection at once (a dead one).
 */
export interface TcpProxy {
  port: number;
  mode: 'forward' | 'blackhole' | 'refuse';
  set(mode: TcpProxy['mode']): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const drop = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };
  const proxy: TcpProxy = {
    port: 0,
    mode: 'forward',
    set(mode) {
      proxy.mode = mode;
      for (const pair of [...pairs]) {
        if (mode === 'blackhole') {
          pair.client.unpipe();
          pair.upstream?.unpipe();
          pair.upstream?.pause();
          pair.client.pause();
        } else {
          drop(pair);
        }
      }
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((client) => {
    const pair: Pair = { client };
    pairs.add(pair);
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    if (proxy.mode === 'refuse') return drop(pair);
    if (proxy.mode === 'blackhole') return;
    const upstream = connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}
