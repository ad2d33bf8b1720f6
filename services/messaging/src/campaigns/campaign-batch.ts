// Sending a campaign's page of recipients in batches: the same decisions as
// one message at a time (the request checked and rendered, then the send
// rules), made in memory for many messages, with set-based I/O around them:
// the replica rows and today's counts in one query each, every template
// loaded and parsed once, each chunk's first events (MessageRequested and
// MessageSending, or what held the message) in one multi-stream append, its
// sends concurrent over the pooled transport, and its outcomes in one more.
//
// What guarantees "never twice" is kept per message: a message's stream is
// created with expected revision no_stream (a message id is sent at most
// once), and its MessageSending (the intent, with its idempotency key) is
// stored before the provider is called. Chunks are small enough that the
// messages "sending" at any moment are no more than the send concurrency: a
// kill -9 leaves at most that many to be reconciled, as with the send queue.
// The chunk's queue rows are claimed before its append, so no worker takes
// a message the batch is sending; after a crash the claim expires and the
// worker reconciles them. Anything unexpected (a stream that exists already
// after a crash, an event store without multi-stream appends) falls back to
// the one-message path for that chunk, which is idempotent.
import type {
  CampaignCreatedData,
  MessageEvent,
  MessageRequestedData,
} from '@engagement/contracts';
import { messagingSchemaVersionOf } from '@engagement/contracts';
import { DomainError, toNewEvent, type CommandContext } from '@engagement/decider';
import {
  AppendToStreamsNotSupportedError,
  InvalidAppendError,
  WrongExpectedRevisionError,
  type NewEvent,
} from '@engagement/event-store';
import { quoteIdent } from '@engagement/projections';
import { systemContext } from '@engagement/service-runtime';
import type { Pool } from 'pg';
import type { ChannelProvider } from '../channels/channel';
import type { Recipient, RecipientDirectory } from '../contacts-replica/recipient-directory';
import {
  afterSend,
  countSentToday,
  holdFor,
  outgoingMessage,
  type DispatchOutcome,
  type SendResult,
} from '../messages/dispatcher';
import {
  messageDecider,
  type MessageCommand,
  type MessageState,
} from '../messages/message.decider';
import {
  checkMessageRequest,
  renderMessageRequest,
  type MessageRequester,
  type TemplateWithBody,
} from '../messages/request-message';
import { claimForBatch, releaseFromBatch } from '../messages/send-queue';
import { checkSendRules, type QuietHours } from '../rules/send-rules';
import { messageStream, type MessagingStreams } from '../shared/messaging-streams';
import type { TrackingTokens } from '../tracking/tracking-tokens';

/** A recipient of the page: its message id is fixed when the audience is resolved. */
export type PageRow = { contact_id: string; message_id: string };

/** What one recipient's message comes to before anything is stored. */
export type MessagePlan =
  /** No message for this recipient (recorded in campaign_recipients.skipped). */
  | { kind: 'skipped'; contactId: string; messageId: string; skipped: string }
  | {
      kind: 'message';
      contactId: string;
      messageId: string;
      recipient: Recipient;
      request: MessageRequestedData;
      /** MessageRequested, then MessageSending or what held the message (blocked, deferred). */
      events: { event: MessageEvent; actor: 'campaign' | 'dispatcher' }[];
      /** The state after those events. */
      state: MessageState;
      /** Held: what follows (the queue's due time); null: an attempt was started. */
      held: DispatchOutcome | null;
      idempotencyKey: string;
    };

export type PlanInput = {
  campaign: CampaignCreatedData;
  row: PageRow;
  recipient: Recipient | null;
  template: TemplateWithBody;
  now: Date;
  quietHours: QuietHours;
  dailyCap: number;
  sentToday: number;
  hasProvider: boolean;
};

/**
 * One recipient's message, decided as the one-message path decides it: the
 * audience's property filters, the request's checks and rendering
 * (MessageRequester), then the send rules (Dispatcher) on the same facts.
 */
export function planCampaignMessage(input: PlanInput): MessagePlan {
  const { campaign, row, recipient, template, now } = input;
  const contactId = row.contact_id;
  const messageId = row.message_id;
  const skipped = (reason: string): MessagePlan => ({
    kind: 'skipped',
    contactId,
    messageId,
    skipped: reason.slice(0, 500),
  });
  const filters = Object.entries(campaign.audience.properties ?? {});
  if (recipient && filters.some(([name, value]) => recipient.properties[name] !== value))
    return skipped('properties');
  if (!recipient) return skipped(`unknown-contact: contact ${contactId} is not known to messaging`);

  const input_ = {
    messageId,
    template: campaign.templateId,
    contactId,
    channel: campaign.channel,
    variables: campaign.variables,
    kind: campaign.kind,
    campaignId: campaign.campaignId,
  };
  let request: MessageRequestedData;
  try {
    const checked = checkMessageRequest(template.template, recipient, input_, messageId);
    request = renderMessageRequest(template.template, template.body, checked, input_, messageId);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return skipped(`${error.code}: ${error.message}`);
  }

  const context = { now } as CommandContext;
  let state = messageDecider.initialState();
  const events: { event: MessageEvent; actor: 'campaign' | 'dispatcher' }[] = [];
  const apply = (command: MessageCommand, actor: 'campaign' | 'dispatcher') => {
    for (const event of messageDecider.decide(command, state, context)) {
      events.push({ event, actor });
      state = messageDecider.evolve(state, event);
    }
  };
  apply({ type: 'RequestMessage', request }, 'campaign');
  const verdict = checkSendRules({
    channel: request.channel,
    kind: request.kind,
    recipient: recipient.facts,
    now,
    quietHours: input.quietHours,
    sentToday: request.kind === 'marketing' ? input.sentToday : 0,
    dailyCap: input.dailyCap,
  });
  const hold = holdFor(verdict, input.hasProvider, request.channel);
  const idempotencyKey = `${messageId}:1`;
  apply(hold ? hold.command : { type: 'StartSending', idempotencyKey }, 'dispatcher');
  return {
    kind: 'message',
    contactId,
    messageId,
    recipient,
    request,
    events,
    state,
    held: hold ? hold.outcome : null,
    idempotencyKey,
  };
}

export type CampaignBatchOptions = {
  pool: Pool;
  schema: string;
  streams: MessagingStreams;
  requester: MessageRequester;
  recipients: RecipientDirectory;
  channels: Partial<Record<string, ChannelProvider>>;
  tokens: TrackingTokens;
  publicUrl: string;
  quietHours: QuietHours;
  dailyCap: number;
  maxAttempts: number;
  retryBaseMs: number;
  leaseMs: number;
  /** Messages sending at once: the chunks in flight never hold more. */
  concurrency: number;
  clock: () => Date;
};

type Planned = Extract<MessagePlan, { kind: 'message' }>;

/** Chunks in flight at once (fewer for a smaller concurrency); each holds concurrency / lanes messages. */
const LANES = 4;
/** Messages per chunk at most, whatever the concurrency: two events each, well within one append's limits. */
const CHUNK_LIMIT = 100;

export class CampaignBatch {
  constructor(private readonly options: CampaignBatchOptions) {}

  /**
   * Requests and sends a page's messages. Returns how many were requested,
   * or null when the page must go the one-message way (the template cannot
   * be loaded: each recipient then records why). `fallback` sends one
   * recipient's message the one-message way.
   */
  async sendPage(
    campaign: CampaignCreatedData,
    rows: readonly PageRow[],
    fallback: (row: PageRow) => Promise<boolean>,
  ): Promise<number | null> {
    const { options } = this;
    const now = options.clock();
    const context = { ...systemContext('messaging:campaigns', campaign.campaignId), now };
    const contactIds = rows.map((r) => r.contact_id);
    let templates: Map<string, TemplateWithBody>;
    try {
      templates = await options.requester.templatesFor(campaign.templateId, contactIds, context);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
    const recipients = await options.recipients.findMany(contactIds);
    const sentToday =
      campaign.kind === 'marketing'
        ? await countSentToday(options.pool, options.schema, campaign.channel, now, [
            ...recipients.values(),
          ])
        : new Map<string, number>();
    const plans = rows.map((row) =>
      planCampaignMessage({
        campaign,
        row,
        recipient: recipients.get(row.contact_id) ?? null,
        template: templates.get(row.contact_id)!,
        now,
        quietHours: options.quietHours,
        dailyCap: options.dailyCap,
        sentToday: sentToday.get(row.contact_id) ?? 0,
        hasProvider: options.channels[campaign.channel] !== undefined,
      }),
    );

    const planned = plans.filter((p): p is Planned => p.kind === 'message');
    for (const { template } of new Set(planned.map((p) => templates.get(p.contactId)!)))
      await options.requester.markUsed(template, context);
    await this.checkpoint(
      campaign.campaignId,
      plans.flatMap((p) => (p.kind === 'skipped' ? [p] : [])),
    );

    const lanes = Math.max(1, Math.min(LANES, options.concurrency));
    const size = Math.min(CHUNK_LIMIT, Math.max(1, Math.floor(options.concurrency / lanes)));
    const chunks: Planned[][] = [];
    for (let i = 0; i < planned.length; i += size) chunks.push(planned.slice(i, i + size));
    let next = 0;
    let requested = 0;
    const lane = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        const sent = await this.sendChunk(campaign, chunk, fallback);
        requested += sent;
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, chunks.length) }, lane));
    return requested;
  }

  /** One chunk: claim, append the first events, send, append the outcomes, checkpoint. */
  private async sendChunk(
    campaign: CampaignCreatedData,
    chunk: Planned[],
    fallback: (row: PageRow) => Promise<boolean>,
  ): Promise<number> {
    const { options } = this;
    const { pool, schema, streams } = options;
    const now = options.clock();
    const claimedUntil = new Date(now.getTime() + options.leaseMs);
    const ids = chunk.map((p) => p.messageId);
    await claimForBatch(pool, schema, ids, now, claimedUntil);
    const campaignContext = { ...systemContext('messaging:campaigns', campaign.campaignId), now };
    try {
      await streams.store.appendToStreams(
        chunk.map((p) => ({
          streamId: messageStream(p.messageId),
          events: p.events.map(({ event, actor }) =>
            newEvent(
              event,
              actor === 'campaign'
                ? campaignContext
                : { ...systemContext('messaging:dispatcher', p.messageId), now },
            ),
          ),
          expectedRevision: 'no_stream' as const,
        })),
      );
    } catch (error) {
      if (!oneByOneInstead(error)) throw error;
      // A stream exists already (a crash after an earlier append of this chunk, or another
      // runner), or the chunk is too big for one append: the one-message path finds each
      // message as it is and goes on from there.
      let requested = 0;
      for (const p of chunk)
        if (await fallback({ contact_id: p.contactId, message_id: p.messageId })) requested++;
      await releaseFromBatch(
        pool,
        schema,
        ids.map((messageId) => ({ messageId, dueAt: now })),
        claimedUntil,
      );
      return requested;
    }
    // The checkpoint runs beside the sends, not before them: a crash that loses it only
    // sends this chunk the one-message way on the next run, which finds its messages as they are.
    const checkpointed = this.checkpoint(campaign.campaignId, chunk);
    checkpointed.catch(() => undefined); // awaited below; not unhandled meanwhile
    const channel = options.channels[campaign.channel]!;
    const sending = chunk.filter((p) => p.held === null);
    const outcomes = await Promise.all(
      sending.map(async (p) => {
        const outgoing = outgoingMessage(
          p.request,
          p.recipient,
          p.idempotencyKey,
          options.tokens,
          options.publicUrl,
        );
        let result: SendResult;
        try {
          result = {
            ok: true,
            providerMessageId: (await channel.send(outgoing)).providerMessageId,
          };
        } catch (error) {
          result = { ok: false, error };
        }
        return { plan: p, next: afterSend(result, outgoing, 1, options.clock(), options) };
      }),
    );
    await Promise.all([
      checkpointed,
      this.recordOutcomes(outcomes.map((o) => ({ plan: o.plan, command: o.next.command }))),
    ]);

    const release = [
      ...chunk.flatMap((p) => (p.held && !p.held.done ? [{ p, at: p.held.nextAt }] : [])),
      ...outcomes.flatMap((o) =>
        o.next.outcome.done ? [] : [{ p: o.plan, at: o.next.outcome.nextAt }],
      ),
    ];
    await releaseFromBatch(
      pool,
      schema,
      release.map(({ p, at }) => ({ messageId: p.messageId, dueAt: at })),
      claimedUntil,
    );
    return chunk.length;
  }

  /** The chunk's outcomes in one append; a stream that moved meanwhile (a worker reconciled it) one by one. */
  private async recordOutcomes(
    outcomes: readonly { plan: Planned; command: MessageCommand }[],
  ): Promise<void> {
    if (outcomes.length === 0) return;
    const { streams, clock } = this.options;
    const now = clock();
    const decided = outcomes.map(({ plan, command }) => {
      const context = { ...systemContext('messaging:dispatcher', plan.messageId), now };
      return {
        plan,
        command,
        context,
        events: messageDecider.decide(command, plan.state, context),
      };
    });
    const appends = decided
      .filter((d) => d.events.length > 0)
      .map((d) => ({
        streamId: messageStream(d.plan.messageId),
        events: d.events.map((event) => newEvent(event, d.context)),
        expectedRevision: BigInt(d.plan.events.length - 1),
      }));
    if (appends.length === 0) return;
    try {
      await streams.store.appendToStreams(appends);
    } catch (error) {
      if (!oneByOneInstead(error)) throw error;
      for (const d of decided)
        await streams.run(messageStream(d.plan.messageId), messageDecider, d.command, d.context);
    }
  }

  /** Records that these recipients were requested (or skipped, with why). */
  private async checkpoint(campaignId: string, done: readonly MessagePlan[]): Promise<void> {
    if (done.length === 0) return;
    await this.options.pool.query(
      `UPDATE ${quoteIdent(this.options.schema)}.campaign_recipients r
          SET requested_at = $2, skipped = d.skipped
         FROM unnest($3::uuid[], $4::text[]) AS d(contact_id, skipped)
        WHERE r.campaign_id = $1 AND r.contact_id = d.contact_id`,
      [
        campaignId,
        this.options.clock(),
        done.map((p) => p.contactId),
        done.map((p) => (p.kind === 'skipped' ? p.skipped : null)),
      ],
    );
  }
}

/**
 * What sends a chunk's appends one message at a time instead: a stream that
 * is not as the chunk expects, an event store without multi-stream appends,
 * a chunk over the store's limits for one append (very large bodies).
 */
function oneByOneInstead(error: unknown): boolean {
  return (
    error instanceof WrongExpectedRevisionError ||
    error instanceof AppendToStreamsNotSupportedError ||
    error instanceof InvalidAppendError
  );
}

function newEvent(event: MessageEvent, context: CommandContext): NewEvent {
  return toNewEvent(event, context, { schemaVersionOf: messagingSchemaVersionOf });
}
