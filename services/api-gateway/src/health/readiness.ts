// What /ready checks (HealthController from @engagement/http serves it):
// the gateway's database answers, and every upstream's /health answers 200.
// /health itself only says the process runs.
import type { ReadinessCheck } from '@engagement/http';
import type { Pool } from 'pg';
import type { GatewayConfig } from '../config';

const UPSTREAM_TIMEOUT_MS = 2_000;

export function readinessChecks(pool: Pool, config: GatewayConfig): ReadinessCheck[] {
  return [
    { name: 'database', check: async () => void (await pool.query('SELECT 1')) },
    ...Object.entries(config.upstreams).map(([name, baseUrl]) => ({
      name,
      check: async () => {
        const response = await fetch(`${baseUrl}/health`, {
          signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
        });
        await response.body?.cancel();
        if (!response.ok) throw new Error(`${name} /health answered ${response.status}`);
      },
    })),
  ];
}
