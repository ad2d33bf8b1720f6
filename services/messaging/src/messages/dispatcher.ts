// Sending one message, whoever asks (the send queue's workers): read its
// stream; an attempt left "sending" by a crash is reconciled with the
// provider, never repeated; otherwise the send rules decide (blocked,
// deferred) on the contact as messaging knows it, "sending" is appended
// before the provider call, and the provider's answer is recorded: sent,
// a bounce, a retry with backoff, or failed after N attempts.
import type { MessageChannel, MessageRequestedData } from '@engagement/contracts';
import { ConflictError, type CommandContext } from '@engagement/decider';
import { WrongExpectedRevisionError } from '@engagement/event-store';
import type { Pool } from 'pg';
import { quoteIdent } from '@engagement/projections';
import { systemContext } from '@engagement/service-runtime';
import { ProviderError, type ChannelProvider, type OutgoingMessage } from '../channels/channel';
import type { Recipient, RecipientDirectory } from '../contacts-replica/recipient-directory';
import {
  checkSendRules,
  consentChannelOf,
  startOfLocalDay,
  type QuietHours,
  type SendVerdict,
} from '../rules/send-rules';
import { messageStream, type MessagingStreams } from '../shared/messaging-streams';
import { addTracking, unsubscribeUrl, type TrackingTokens } from '../tracking/tracking-tokens';
import {
  messageDecider,
  retryDelayMs,
  type MessageCommand,
  type MessageState,
} from './message.decider';

/** Where Twilio reports a message's status: our message id in the (signed) URL. */
export function twilioCallbackUrl(publicUrl: string, messageId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/twilio/status?messageId=${messageId}`;
}

/** What goes to the provider: the rendered message with tracking, the unsubscribe link and the callback. */
export function outgoingMessage(
  r: MessageRequestedData,
  recipient: Recipient | null,
  idempotencyKey: string,
  tokens: TrackingTokens,
  publicUrl: string,
): OutgoingMessage {
  const name = [recipient?.firstName, recipient?.lastName].filter(Boolean).join(' ') || null;
  const trackable = r.channel === 'email';
  return {
    messageId: r.messageId,
    channel: r.channel,
    idempotencyKey,
    to: { email: recipient?.email ?? null, phone: recipient?.phone ?? null, name },
    subject: r.subject,
    html:
      r.bodyHtml && trackable
        ? addTracking(r.bodyHtml, r.messageId, tokens, publicUrl)
        : r.bodyHtml,
    text: r.bodyText,
    unsubscribeUrl: consentChannelOf(r.channel)
      ? unsubscribeUrl(r.messageId, tokens, publicUrl)
      : null,
    statusCallbackUrl:
      r.channel === 'sms' || r.channel === 'whatsapp'
        ? twilioCallbackUrl(publicUrl, r.messageId)
        : null,
  };
}

/**
 * What the rules' verdict records instead of an attempt: blocked, deferred,
 * or blocked for want of a provider; null when the message may be sent.
 */
export function holdFor(
  verdict: SendVerdict,
  hasProvider: boolean,
  channel: MessageChannel,
): { command: MessageCommand; outcome: DispatchOutcome } | null {
  if (verdict.verdict === 'block') {
    return {
      command: { type: 'BlockMessage', rule: verdict.rule, reason: verdict.reason },
      outcome: { done: true },
    };
  }
  if (verdict.verdict === 'defer') {
    return {
      command: { type: 'DeferMessage', rule: verdict.rule, until: verdict.until.toISOString() },
      outcome: { done: false, nextAt: verdict.until },
    };
  }
  if (!hasProvider) {
    return {
      command: { type: 'BlockMessage', rule: 'channel', reason: `no provider for ${channel}` },
      outcome: { done: true },
    };
  }
  return null;
}

/** What the provider answered to one attempt. */
export type SendResult =
  { ok: true; providerMessageId: string | null } | { ok: false; error: unknown };

/**
 * What to record after an attempt, and what follows: sent; a bounce; a
 * failed attempt retried with backoff, or failed for good after N attempts
 * (at once for a permanent refusal).
 */
export function afterSend(
  result: SendResult,
  outgoing: OutgoingMessage,
  attempt: number,
  now: Date,
  options: { maxAttempts: number; retryBaseMs: number },
): { command: MessageCommand; outcome: DispatchOutcome } {
  if (result.ok) {
    return {
      command: {
        type: 'RecordSent',
        providerMessageId: result.providerMessageId,
        recipientEmail: outgoing.to.email,
        recipientPhone: outgoing.to.phone,
        reconciled: false,
      },
      outcome: { done: true },
    };
  }
  const failure =
    result.error instanceof ProviderError
      ? result.error
      : new ProviderError('internal', (result.error as Error).message, true);
  if (failure.bounce) {
    return {
      command: {
        type: 'RecordBounced',
        bounceType: failure.bounce,
        errorCode: failure.code,
        errorMessage: failure.message,
      },
      outcome: { done: true },
    };
  }
  const retryAt = new Date(now.getTime() + retryDelayMs(attempt, options.retryBaseMs));
  return {
    command: {
      type: 'RecordAttemptFailed',
      errorCode: failure.code,
      errorMessage: failure.message,
      // A permanent refusal ends it now; anything else gets its N attempts.
      maxAttempts: failure.retryable ? options.maxAttempts : attempt,
      retryAt: retryAt.toISOString(),
    },
    outcome:
      failure.retryable && attempt < options.maxAttempts
        ? { done: false, nextAt: retryAt }
        : { done: true },
  };
}

export type DispatchOutcome =
  /** Nothing more to do for this message. */
  | { done: true }
  /** Try again at this time (deferred, or a retry after a failed attempt). */
  | { done: false; nextAt: Date };

export type DispatcherOptions = {
  channels: Partial<Record<MessageChannel, ChannelProvider>>;
  recipients: RecipientDirectory;
  tokens: TrackingTokens;
  publicUrl: string;
  quietHours: QuietHours;
  dailyCap: number;
  maxAttempts: number;
  retryBaseMs: number;
  pool: Pool;
  schema: string;
  clock?: () => Date;
};

type Existing = Extract<MessageState, { exists: true }>;

export class Dispatcher {
  private readonly clock: () => Date;

  constructor(
    private readonly streams: MessagingStreams,
    private readonly options: DispatcherOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  async dispatch(messageId: string): Promise<DispatchOutcome> {
    const stream = messageStream(messageId);
    const { state } = await this.streams.load(stream, messageDecider);
    if (!state.exists) return { done: true };
    const context = systemContext('messaging:dispatcher', messageId);
    context.now = this.clock();
    const now = context.now;

    switch (state.status) {
      case 'sending':
        return this.reconcile(state, context);
      case 'deferred':
        if (state.deferredUntil && new Date(state.deferredUntil) > now)
          return { done: false, nextAt: new Date(state.deferredUntil) };
        break;
      case 'retrying':
        if (state.retryAt && new Date(state.retryAt) > now)
          return { done: false, nextAt: new Date(state.retryAt) };
        break;
      case 'requested':
        break;
      default:
        return { done: true };
    }

    const request = state.request;
    const channel = this.options.channels[request.channel];
    const recipient = await this.options.recipients.find(request.contactId);
    const verdict = checkSendRules({
      channel: request.channel,
      kind: request.kind,
      recipient: recipient?.facts ?? null,
      now,
      quietHours: this.options.quietHours,
      sentToday:
        request.kind === 'marketing' && recipient
          ? await this.sentToday(recipient, request.channel, now)
          : 0,
      dailyCap: this.options.dailyCap,
    });
    const held = holdFor(verdict, channel !== undefined, request.channel);
    if (held || !channel) {
      await this.run(messageId, held!.command, context);
      return held!.outcome;
    }

    const attempt = state.attempts + 1;
    const idempotencyKey = `${messageId}:${attempt}`;
    try {
      await this.run(messageId, { type: 'StartSending', idempotencyKey }, context);
    } catch (error) {
      // Another worker got there first: it owns this attempt.
      if (error instanceof ConflictError || error instanceof WrongExpectedRevisionError)
        return { done: true };
      throw error;
    }

    const outgoing = this.outgoing(state, recipient!, idempotencyKey);
    let result: SendResult;
    try {
      result = { ok: true, providerMessageId: (await channel.send(outgoing)).providerMessageId };
    } catch (error) {
      result = { ok: false, error };
    }
    const after = { ...context, now: this.clock() };
    const next = afterSend(result, outgoing, attempt, after.now, this.options);
    await this.run(messageId, next.command, after);
    return next.outcome;
  }

  /** An attempt a crash interrupted: ask the provider; when it cannot tell, count it as sent (never two copies). */
  private async reconcile(state: Existing, context: CommandContext): Promise<DispatchOutcome> {
    const request = state.request;
    const channel = this.options.channels[request.channel];
    const recipient = await this.options.recipients.find(request.contactId);
    const outgoing = this.outgoing(
      state,
      recipient,
      state.idempotencyKey ?? `${request.messageId}:${state.attempts}`,
    );
    const found = channel
      ? await channel.reconcile(outgoing)
      : { outcome: 'unknown' as const, providerMessageId: null };
    if (found.outcome === 'not-sent') {
      const retryAt = context.now;
      await this.run(
        request.messageId,
        {
          type: 'RecordAttemptFailed',
          errorCode: 'interrupted',
          errorMessage: 'the attempt was interrupted before the provider took it',
          maxAttempts: this.options.maxAttempts,
          retryAt: retryAt.toISOString(),
        },
        context,
      );
      return { done: false, nextAt: retryAt };
    }
    await this.run(
      request.messageId,
      {
        type: 'RecordSent',
        providerMessageId: found.providerMessageId,
        recipientEmail: outgoing.to.email,
        recipientPhone: outgoing.to.phone,
        reconciled: true,
      },
      context,
    );
    return { done: true };
  }

  private outgoing(
    state: Existing,
    recipient: Recipient | null,
    idempotencyKey: string,
  ): OutgoingMessage {
    return outgoingMessage(
      state.request,
      recipient,
      idempotencyKey,
      this.options.tokens,
      this.options.publicUrl,
    );
  }

  private async sentToday(
    recipient: Recipient,
    channel: MessageChannel,
    now: Date,
  ): Promise<number> {
    const counts = await countSentToday(this.options.pool, this.options.schema, channel, now, [
      recipient,
    ]);
    return counts.get(recipient.contactId) ?? 0;
  }

  private run(
    messageId: string,
    command: Parameters<typeof messageDecider.decide>[0],
    context: CommandContext,
  ) {
    return this.streams.run(messageStream(messageId), messageDecider, command, context);
  }
}

/**
 * Campaign messages sent today on the channel, per contact (each contact's
 * own day, in its time zone), for the frequency cap; contacts with none are
 * absent. One query for any number of contacts.
 */
export async function countSentToday(
  pool: Pool,
  schema: string,
  channel: MessageChannel,
  now: Date,
  recipients: readonly Recipient[],
): Promise<Map<string, number>> {
  if (recipients.length === 0) return new Map();
  const { rows } = await pool.query<{ contact_id: string; n: number }>(
    `SELECT m.contact_id, count(*)::int AS n
       FROM unnest($1::uuid[], $2::timestamptz[]) AS c(contact_id, since)
       JOIN ${quoteIdent(schema)}.sent_messages m
         ON m.contact_id = c.contact_id AND m.channel = $3 AND m.sent_at >= c.since
        AND m.campaign_id IS NOT NULL
      GROUP BY m.contact_id`,
    [
      recipients.map((r) => r.contactId),
      recipients.map((r) => startOfLocalDay(now, r.facts.timezone)),
      channel,
    ],
  );
  return new Map(rows.map((r) => [r.contact_id, r.n]));
}
