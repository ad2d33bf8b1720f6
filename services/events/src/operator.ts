// What operators' tools need from the events service, without starting it:
// its projections, for `npm run projections` and `npm run history` (tools/ops),
// and its events as an auditor reads them (the registrants' answers opened).
// The projection opens the registrants' answers sealed in its events with
// the contacts' data keys, asked of the running contacts service under the
// events service's identity, as the service does: a rebuild then holds what
// the live read model holds.
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import { loadEventsConfig } from './config';
import { createEventsReadModelProjection } from './read-model/events-read-model.projection';
import {
  openRegistrationFields,
  registrantDataKeys,
} from './registrations/sealed-registration-fields';

export function eventsProjections(env: NodeJS.ProcessEnv = process.env): ProjectionDefinition[] {
  const config = loadEventsConfig(env);
  return [createEventsReadModelProjection(config.schema, registrantDataKeys(config))];
}

/** The events service's events with the registrants' answers in clear (null once erased). */
export function eventsReadable(
  env: NodeJS.ProcessEnv = process.env,
): (event: RecordedEvent) => Promise<RecordedEvent> {
  const keys = registrantDataKeys(loadEventsConfig(env));
  return (event) => openRegistrationFields(keys, event);
}
