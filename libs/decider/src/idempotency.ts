// Retries that never double. When a client sends an Idempotency-Key, the
// gateway replays the first answer to a retry; but when the gateway gave up
// waiting (a 502 or 504 while the service went on and appended), there is
// no answer to replay and the retry reaches the service again. So the key
// travels to the service, and the events the request appends get ids
// derived from it: name-based UUIDs of (key scoped to caller and route,
// stream, how many events the request had appended to that stream before,
// index in this append). The middle part tells the appends of one request
// to one stream apart, and where each ends. A retry derives the same ids, finds them in the stream, and
// answers with the first result instead of deciding again (handleCommand);
// should it race the first attempt, the event store recognises the
// repeated ids (an idempotent append). Ids a command makes up (a new
// contact's id, an activity id) derive from the key too (derivedId), so the
// retry names the same things.
//
// Without a key every id is random, as before: each request is its own
// command (at most once per request; a client retrying a write without a
// key may apply it twice).
import { createHash, randomUUID } from 'node:crypto';
import type { CommandContext } from './decider';

/** The request's Idempotency-Key, and how many events it appended so far per stream. */
export interface IdempotentRequest {
  /** The client's key, scoped to who asked and what (caller, method and path). */
  readonly key: string;
  /**
   * Per stream, the index of the next event this request appends there.
   * Appends of one request to one stream take consecutive indices, so a
   * second append is never mistaken for a retry of the first.
   */
  readonly appended: Map<string, number>;
}

/** The idempotency part of a command context, from the key and who asked what. */
export function idempotentRequest(
  key: string,
  scope: { caller: string; method: string; path: string },
): IdempotentRequest {
  return {
    key: `${scope.caller}\n${scope.method} ${scope.path}\n${key}`,
    appended: new Map(),
  };
}

/** The platform's namespace for name-based ids (a fixed random UUID). */
const NAMESPACE = Buffer.from('6f1d4ad2c1c84f0f9b7e3c2a5d8e9b10', 'hex');

/** A name-based UUID (RFC 9562 version 5: SHA-1 of namespace and name). */
export function nameBasedUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * An id the command makes up (a new contact's, an activity's): derived from
 * the Idempotency-Key and `purpose` when the request has one, else random.
 */
export function derivedId(context: CommandContext, purpose: string): string {
  const request = context.idempotency;
  return request ? nameBasedUuid(`${request.key}\nid\n${purpose}`) : randomUUID();
}

/** The id of the `index`th event of the request's append to the stream after `before` of its events. */
export function eventIdAt(
  request: IdempotentRequest,
  streamId: string,
  before: number,
  index: number,
): string {
  return nameBasedUuid(`${request.key}\nevent\n${streamId}\n${before}\n${index}`);
}

/**
 * Ids for the next `count` events the request appends to the stream: derived
 * when it has an Idempotency-Key, random otherwise. They do not count as
 * appended until recordAppended (a conflict's retry must get the same ones).
 */
export function nextEventIds(context: CommandContext, streamId: string, count: number): string[] {
  const request = context.idempotency;
  if (!request) return Array.from({ length: count }, () => randomUUID());
  const base = request.appended.get(streamId) ?? 0;
  return Array.from({ length: count }, (_, i) => eventIdAt(request, streamId, base, i));
}

/** Counts `count` events as appended by the request to the stream. */
export function recordAppended(context: CommandContext, streamId: string, count: number): void {
  const request = context.idempotency;
  if (!request || count === 0) return;
  request.appended.set(streamId, (request.appended.get(streamId) ?? 0) + count);
}

/**
 * The events of this append of the request, if a first attempt of it went
 * through: those whose ids are the ones nextEventIds gives now, in order. [] when there are none (or the request has no key).
 */
export function alreadyAppended<Recorded extends { id: string }>(
  context: CommandContext,
  streamId: string,
  stored: Recorded[],
): Recorded[] {
  const request = context.idempotency;
  if (!request) return [];
  const base = request.appended.get(streamId) ?? 0;
  const first = stored.findIndex((event) => event.id === eventIdAt(request, streamId, base, 0));
  if (first < 0) return [];
  const found: Recorded[] = [];
  for (let i = first; i < stored.length; i++) {
    if (stored[i]!.id !== eventIdAt(request, streamId, base, found.length)) break;
    found.push(stored[i]!);
  }
  return found;
}
