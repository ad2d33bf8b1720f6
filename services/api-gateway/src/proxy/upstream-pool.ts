// The instances of each upstream service and which one the next request
// goes to. An upstream in config may be a comma-separated list of base URLs
// (CONTACTS_URL=http://127.0.0.1:3101,http://127.0.0.1:3111): requests go
// round-robin to the instances that are up.
//
// An instance is down from the moment a connection to it is refused
// (ProxyService marks it, and sends that request elsewhere), or a health
// check (GET /health, every upstreamHealthIntervalMs, only for services
// with several instances) fails; it is up again once a check passes. If no
// instance is up, requests still go round-robin to all of them: a health
// state that is out of date must not refuse what might succeed.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';

/** Connections kept per instance; requests beyond this wait for a free one. */
const MAX_SOCKETS_PER_INSTANCE = 64;

/** A health check not answered in this time failed. */
const HEALTH_TIMEOUT_MS = 1_000;

export interface UpstreamInstance {
  readonly baseUrl: string;
  readonly request: typeof httpRequest;
  readonly agent: HttpAgent;
  readonly hostname: string;
  readonly port: string;
  /** Path of the base URL without its trailing '/', usually ''. */
  readonly basePath: string;
  up: boolean;
}

/** The base URLs in an upstream's configured value (one, or a comma-separated list). */
export function upstreamUrls(configured: string): string[] {
  return configured
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

export function upstreamInstance(baseUrl: string): UpstreamInstance {
  const url = new URL(baseUrl);
  const https = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_INSTANCE };
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    request: https ? httpsRequest : httpRequest,
    agent: https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions),
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || (https ? '443' : '80'),
    basePath: url.pathname.replace(/\/+$/, ''),
    up: true,
  };
}

/** The instances of one service, and the round-robin cursor over them. */
export class UpstreamPool<I extends { up: boolean } = UpstreamInstance> {
  private cursor = 0;

  constructor(
    readonly name: string,
    readonly instances: readonly I[],
  ) {}

  /**
   * The next instance round-robin among those up, other than `except` (the
   * one a request just failed on); among all but `except` if none is up;
   * undefined if there is no other.
   */
  pick(except?: I): I | undefined {
    const count = this.instances.length;
    if (count === 1) return this.instances[0] === except ? undefined : this.instances[0];
    let fallback: I | undefined;
    for (let step = 0; step < count; step++) {
      const index = (this.cursor + step) % count;
      const instance = this.instances[index]!;
      if (instance === except) continue;
      if (instance.up) {
        this.cursor = index + 1;
        return instance;
      }
      fallback ??= instance;
    }
    if (fallback) this.cursor = this.instances.indexOf(fallback) + 1;
    return fallback;
  }
}

/** Every upstream's pool, with the health checks that keep their states current. */
@Injectable()
export class UpstreamPools implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamPools.name);
  private readonly pools = new Map<string, UpstreamPool>();
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    for (const [name, configured] of Object.entries(config.upstreams)) {
      this.pools.set(name, new UpstreamPool(name, upstreamUrls(configured).map(upstreamInstance)));
    }
  }

  /** The pool of this upstream, or undefined if none is configured under that name. */
  get(name: string): UpstreamPool | undefined {
    return this.pools.get(name);
  }

  /** A connection to this instance was refused: send nothing more there until a check passes. */
  markDown(pool: UpstreamPool, instance: UpstreamInstance): void {
    if (!instance.up || pool.instances.length === 1) return;
    instance.up = false;
    this.logger.warn(`${pool.name} instance ${instance.baseUrl} refused a connection: skipped`);
  }

  onModuleInit(): void {
    const checked = [...this.pools.values()].filter((pool) => pool.instances.length > 1);
    if (checked.length === 0) return;
    const checkAll = () => {
      for (const pool of checked)
        for (const instance of pool.instances) void this.check(pool, instance);
    };
    checkAll();
    this.timer = setInterval(checkAll, this.config.upstreamHealthIntervalMs);
    this.timer.unref();
  }

  /** After the server stopped taking requests (Nest closes it before this hook). */
  onApplicationShutdown(): void {
    clearInterval(this.timer);
    for (const pool of this.pools.values()) {
      for (const instance of pool.instances) instance.agent.destroy();
    }
  }

  private async check(pool: UpstreamPool, instance: UpstreamInstance): Promise<void> {
    let up = false;
    try {
      const response = await fetch(`${instance.baseUrl}/health`, {
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      await response.body?.cancel();
      up = response.ok;
    } catch {
      up = false;
    }
    if (up && !instance.up) this.logger.log(`${pool.name} instance ${instance.baseUrl} is up`);
    if (!up && instance.up) this.logger.warn(`${pool.name} instance ${instance.baseUrl} is down`);
    instance.up = up;
  }
}
