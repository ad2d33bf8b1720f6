// Whether a service process starts telemetry, and as what: decided from its
// environment alone, so the preload (register.ts) stays a thin shell.
import { basename, dirname } from 'node:path';
import type { TelemetryOptions } from './telemetry';

/**
 * The options to start telemetry with, or null to leave it off: it is on
 * only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * names a receiver and OTEL_SDK_DISABLED is not `true`.
 */
export function telemetryFromEnv(
  env: NodeJS.ProcessEnv,
  mainModule: string | undefined,
): TelemetryOptions | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim())
    return null;
  const serviceName =
    env.OTEL_SERVICE_NAME?.trim() || serviceNameOfMain(mainModule) || 'unknown-service';
  return { serviceName, env };
}

/** `contacts` for `…/services/contacts/src/main.ts`; undefined for anything else. */
export function serviceNameOfMain(mainModule: string | undefined): string | undefined {
  if (!mainModule) return undefined;
  const src = dirname(mainModule);
  if (basename(src) !== 'src') return undefined;
  const service = dirname(src);
  return basename(dirname(service)) === 'services' ? basename(service) : undefined;
}
