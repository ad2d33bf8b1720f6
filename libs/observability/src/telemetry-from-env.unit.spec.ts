import { serviceNameOfMain, telemetryFromEnv } from './telemetry-from-env';

describe('telemetryFromEnv', () => {
  const main = '/app/services/contacts/src/main.ts';

  it('leaves telemetry off when no OTLP endpoint is set', () => {
    expect(telemetryFromEnv({}, main)).toBeNull();
    expect(telemetryFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, main)).toBeNull();
  });

  it('leaves it off when OTEL_SDK_DISABLED is true, endpoint or not', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' };
    expect(telemetryFromEnv(env, main)).toBeNull();
  });

  it('starts it with the general or the traces endpoint, named after the service folder', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(telemetryFromEnv(env, main)).toEqual({ serviceName: 'contacts', env });
    const traces = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' };
    expect(telemetryFromEnv(traces, '/app/services/api-gateway/src/main.ts')?.serviceName).toBe(
      'api-gateway',
    );
  });

  it('prefers OTEL_SERVICE_NAME', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SERVICE_NAME: 'events' };
    expect(telemetryFromEnv(env, main)?.serviceName).toBe('events');
  });

  it('knows a service only by services/<name>/src/<main>', () => {
    expect(serviceNameOfMain('/app/tools/ops/src/audit.ts')).toBeUndefined();
    expect(serviceNameOfMain('/app/services/contacts/main.ts')).toBeUndefined();
    expect(serviceNameOfMain(undefined)).toBeUndefined();
    expect(serviceNameOfMain('services/messaging/src/main.ts')).toBe('messaging');
  });
});
