// A database outage for one process, without touching the shared server:
// the process connects to PostgreSQL through this TCP proxy, and the test
// takes the proxy down for a few seconds. While down, the proxy's port is
// closed (new connections are refused: ECONNREFUSED) and every open
// connection is cut (the process sees "Connection terminated unexpectedly"
// mid-query), which is what a PostgreSQL crash or restart looks like from
// the client. Other tests keep using the server directly.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpOutageProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: { host: string; port: number },
    private listenPort: number,
  ) {}

  /** Starts forwarding from a free local port to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpOutageProxy> {
    const proxy = new TcpOutageProxy(target, 0);
    await proxy.up();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** `databaseUrl` with its host and port replaced by the proxy's. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.listenPort);
    return url.toString();
  }

  /** Refuses new connections and cuts the open ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Stop listening first (synchronously), so no connection slips in after the cut.
    const closed = server && new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Accepts connections again, on the same port. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listenPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    await this.down();
  }

  private forward(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
