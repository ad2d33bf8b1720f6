import { startTelemetry } from './telemetry';
import { currentTraceparent, withSpan } from './trace-context';

// The enabled path (instrumentations patching pg, kafkajs and http) cannot
// run under jest's module loader; trace-propagation.int.spec.ts runs it in a
// real process.
describe('startTelemetry', () => {
  it('with OTEL_SDK_DISABLED=true registers nothing, and a second call returns the same stop', async () => {
    const stop = startTelemetry({ serviceName: 'test', env: { OTEL_SDK_DISABLED: 'true' } });
    expect(startTelemetry({ serviceName: 'test', env: {} })).toBe(stop);
    expect(await withSpan('work', () => currentTraceparent())).toBeNull();
    await expect(stop()).resolves.toBeUndefined();
  });
});
