// What operators' tools need from the events service, without starting it:
// its projections, for `npm run projections` and `npm run history` (tools/ops).
import type { ProjectionDefinition } from '@engagement/projections';
import { loadEventsConfig } from './config';
import { createEventsReadModelProjection } from './read-model/events-read-model.projection';

export function eventsProjections(env: NodeJS.ProcessEnv = process.env): ProjectionDefinition[] {
  return [createEventsReadModelProjection(loadEventsConfig(env).schema)];
}
