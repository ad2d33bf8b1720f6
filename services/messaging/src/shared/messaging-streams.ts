// Running commands on messaging's streams: the deciders over the event
// store with messaging's upcaster and schema versions, and deterministic
// ids where a retry must land on the same stream (a campaign's message to a
// contact, a registration's reminder).
import { createHash } from 'node:crypto';
import {
  messagingSchemaVersionOf,
  upcastMessagingEvent,
  type MessageEvent,
  type MessagingEvent,
  type TemplateEvent,
  type CampaignEvent,
} from '@engagement/contracts';
import { fold, type CommandContext, type Decider } from '@engagement/decider';
import type { EventStore, RecordedEvent } from '@engagement/event-store';
import { runCommand } from '@engagement/service-runtime';

export const messageStream = (id: string) => `message-${id}`;
export const templateStream = (id: string) => `template-${id}`;
export const campaignStream = (id: string) => `campaign-${id}`;
export const slugStream = (slug: string) => `template-slug-${slug}`;

const options = {
  upcast: (e: RecordedEvent) => upcastMessagingEvent(e),
  schemaVersionOf: (type: MessagingEvent['type']) => messagingSchemaVersionOf(type),
};

export class MessagingStreams {
  constructor(readonly store: EventStore) {}

  run<Command, Event extends MessageEvent | TemplateEvent | CampaignEvent, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    context: CommandContext,
  ) {
    return runCommand(store(this), streamId, decider, command, context, options as never);
  }

  async load<Event extends MessagingEvent, State>(
    streamId: string,
    decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  ): Promise<{ state: State; revision: bigint }> {
    const events = await this.store.readStream(streamId);
    const state = fold(
      decider,
      events.map((e) => upcastMessagingEvent(e) as Event),
    );
    return { state, revision: events.length === 0 ? -1n : events[events.length - 1].revision };
  }
}

function store(streams: MessagingStreams): EventStore {
  return streams.store;
}

/** A UUID (v4 layout) derived from a name: the same name always gives the same id. */
export function derivedId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
