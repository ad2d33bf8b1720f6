// Reading messaging's stored events in their current shape. Every type is at
// v1 today, so the upcaster tables are empty.
import type { RecordedEvent } from '@engagement/event-store';
import { upcastEvent, type UpcasterTable } from '../upcasting';
import { MESSAGE_EVENT_SCHEMA_VERSIONS, type MessageEvent } from './message-events';
import {
  CAMPAIGN_EVENT_SCHEMA_VERSIONS,
  TEMPLATE_EVENT_SCHEMA_VERSIONS,
  type CampaignEvent,
  type TemplateEvent,
} from './template-events';

const NO_UPCASTERS: UpcasterTable = {};

export type MessagingEvent = MessageEvent | TemplateEvent | CampaignEvent;

export const MESSAGING_EVENT_SCHEMA_VERSIONS = {
  ...MESSAGE_EVENT_SCHEMA_VERSIONS,
  ...TEMPLATE_EVENT_SCHEMA_VERSIONS,
  ...CAMPAIGN_EVENT_SCHEMA_VERSIONS,
} as const;

export function isMessagingEventType(type: string): type is MessagingEvent['type'] {
  return Object.hasOwn(MESSAGING_EVENT_SCHEMA_VERSIONS, type);
}

export function upcastMessagingEvent(recorded: RecordedEvent): MessagingEvent {
  return upcastEvent<MessagingEvent>(recorded, MESSAGING_EVENT_SCHEMA_VERSIONS, NO_UPCASTERS);
}

export function messagingSchemaVersionOf(type: MessagingEvent['type']): number {
  return MESSAGING_EVENT_SCHEMA_VERSIONS[type];
}
