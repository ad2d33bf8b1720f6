// Liveness and readiness for every service: /health answers while the
// process runs; /ready only when every dependency check passes.
import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export type ReadinessCheck = { name: string; check: () => Promise<void> };

@Controller()
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get('health')
  @HttpCode(200)
  health() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready() {
    const results = await Promise.all(
      this.checks.map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true };
        } catch (error) {
          return { name, ok: false, error: (error as Error).message };
        }
      }),
    );
    if (results.some((r) => !r.ok))
      throw new ServiceUnavailableException({ message: JSON.stringify(results) });
    return { status: 'ready', checks: results };
  }
}
