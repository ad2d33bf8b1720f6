// The streams of the events service and how their ids are made:
// `event-<uuid>`, `registration-<uuid>` (relayed to topic `events`),
// `seats-<event uuid>` and `reservation-<uuid>` (internal). A registration's
// id is a name-based UUID (RFC 9562 version 5) of the event and the contact,
// so one contact has one registration per event by construction: two
// concurrent registrations meet on one stream, where the expected revision
// lets only one create it, and a retried registration finds its own.
import { createHash } from 'node:crypto';

/** This service's namespace for registration ids (a random v4, fixed forever). */
const REGISTRATION_NAMESPACE = '6f1d2c3a-8e0b-4f6a-9d5c-2b7e4a1c9f30';

export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function registrationIdOf(eventId: string, contactId: string): string {
  return uuidV5(REGISTRATION_NAMESPACE, `${eventId.toLowerCase()}:${contactId.toLowerCase()}`);
}

export const registrationStream = (registrationId: string) => `registration-${registrationId}`;
export const eventStream = (eventId: string) => `event-${eventId}`;
export const seatsStream = (eventId: string) => `seats-${eventId}`;
export const reservationStream = (kind: string, key: string) =>
  `reservation-${uuidV5(REGISTRATION_NAMESPACE, `${kind}:${key}`)}`;
