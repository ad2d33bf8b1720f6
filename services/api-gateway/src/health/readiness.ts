// What /ready checks (HealthController from @engagement/http serves it):
// the gateway's database answers, and for every upstream the /health of at
// least one of its instances answers 200. /health itself only says the
// process runs.
import type { ReadinessCheck } from '@engagement/http';
import type { Pool } from 'pg';
import type { GatewayConfig } from '../config';
import { upstreamUrls } from '../proxy/upstream-pool';

const UPSTREAM_TIMEOUT_MS = 2_000;

export function readinessChecks(pool: Pool, config: GatewayConfig): ReadinessCheck[] {
  return [
    { name: 'database', check: async () => void (await pool.query('SELECT 1')) },
    ...Object.entries(config.upstreams).map(([name, configured]) => ({
      name,
      check: async () => {
        try {
          await Promise.any(upstreamUrls(configured).map((baseUrl) => healthy(name, baseUrl)));
        } catch (error) {
          throw error instanceof AggregateError ? (error.errors[0] as Error) : error;
        }
      },
    })),
  ];
}

async function healthy(name: string, baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/health`, {
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`${name} /health answered ${response.status}`);
}
