// Keeps this gateway's API key cache honest about revocations made
// elsewhere: another gateway instance or the `apikey revoke` command. Both
// go through ApiKeyStore.revoke, which NOTIFYs REVOCATION_CHANNEL with
// "<schema> <key id>"; here one dedicated connection LISTENs and evicts.
//
// If that connection fails (or cannot be made at start), the gateway keeps
// serving: the cache TTL bounds how long a revoked key can still pass, and
// the connection is retried with a growing delay. After every (re)connect
// the whole cache is emptied, since notices sent while we were away are lost.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Client, type Notification } from 'pg';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ApiKeyStore, REVOCATION_CHANNEL } from './api-key.store';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

@Injectable()
export class ApiKeyRevocationListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyRevocationListener.name);
  private client: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private stopped = false;

  constructor(
    @Inject(ApiKeyStore) private readonly keys: ApiKeyStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, undefined));
    client.on('notification', (notice) => this.onNotification(notice));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.stopped) return void client.end().catch(() => undefined);
    this.retryMs = RETRY_MIN_MS;
    this.keys.clearCache();
  }

  private onNotification(notice: Notification): void {
    if (notice.channel !== REVOCATION_CHANNEL || !notice.payload) return;
    const [schema, id] = notice.payload.split(' ');
    if (schema === this.keys.schema && id) this.keys.evict(id);
  }

  /** The connection failed or ended: forget it and try again later (unless shutting down). */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return; // already handled
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => undefined); // a late error on a dead client must not crash us
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(
      `revocation notices: ${error ? (error as Error).message : 'connection ended'}; ` +
        `retrying in ${this.retryMs} ms (meanwhile a revocation elsewhere takes up to the cache TTL)`,
    );
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs).unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
