// The trace-propagation scenario's first import, exactly as a service's
// main.ts starts telemetry: before pg, kafkajs and http are loaded. Its
// spans go to memory instead of Jaeger, for the scenario to hand them back.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '../telemetry';

export const exporter = new InMemorySpanExporter();
export const stopTelemetry = startTelemetry({ serviceName: 'trace-scenario', exporter });
