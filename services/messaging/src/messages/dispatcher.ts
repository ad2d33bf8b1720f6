// Sending one message, whoever asks (the send queue's workers): read its
// stream; an attempt left "sending" by a crash is reconciled with the
// provider, never repeated; otherwise the send rules decide (blocked,
// deferred) on the contact as messaging knows it, "sending" is appended
// before the provider call, and the provider's answer is recorded: sent,
// a bounce, a retry with backoff, or failed after N attempts.
import type { MessageChannel } from '@engagement/contracts';
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
} from '../rules/send-rules';
import { messageStream, type MessagingStreams } from '../shared/messaging-streams';
import { addTracking, unsubscribeUrl, type TrackingTokens } from '../tracking/tracking-tokens';
import { messageDecider, retryDelayMs, type MessageState } from './message.decider';

/** Where Twilio reports a message's status: our message id in the (signed) URL. */
export function twilioCallbackUrl(publicUrl: string, messageId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/twilio/status?messageId=${messageId}`;
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
    if (verdict.verdict === 'block') {
      await this.run(
        messageId,
        { type: 'BlockMessage', rule: verdict.rule, reason: verdict.reason },
        context,
      );
      return { done: true };
    }
    if (verdict.verdict === 'defer') {
      await this.run(
        messageId,
        { type: 'DeferMessage', rule: verdict.rule, until: verdict.until.toISOString() },
        context,
      );
      return { done: false, nextAt: verdict.until };
    }
    if (!channel) {
      await this.run(
        messageId,
        { type: 'BlockMessage', rule: 'channel', reason: `no provider for ${request.channel}` },
        context,
      );
      return { done: true };
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
    try {
      const sent = await channel.send(outgoing);
      await this.run(
        messageId,
        {
          type: 'RecordSent',
          providerMessageId: sent.providerMessageId,
          recipientEmail: outgoing.to.email,
          recipientPhone: outgoing.to.phone,
          reconciled: false,
        },
        { ...context, now: this.clock() },
      );
      return { done: true };
    } catch (error) {
      const failure =
        error instanceof ProviderError
          ? error
          : new ProviderError('internal', (error as Error).message, true);
      const after = { ...context, now: this.clock() };
      if (failure.bounce) {
        await this.run(
          messageId,
          {
            type: 'RecordBounced',
            bounceType: failure.bounce,
            errorCode: failure.code,
            errorMessage: failure.message,
          },
          after,
        );
        return { done: true };
      }
      const retryAt = new Date(
        after.now.getTime() + retryDelayMs(attempt, this.options.retryBaseMs),
      );
      await this.run(
        messageId,
        {
          type: 'RecordAttemptFailed',
          errorCode: failure.code,
          errorMessage: failure.message,
          // A permanent refusal ends it now; anything else gets its N attempts.
          maxAttempts: failure.retryable ? this.options.maxAttempts : attempt,
          retryAt: retryAt.toISOString(),
        },
        after,
      );
      return failure.retryable && attempt < this.options.maxAttempts
        ? { done: false, nextAt: retryAt }
        : { done: true };
    }
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
    const r = state.request;
    const { tokens, publicUrl } = this.options;
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

  private async sentToday(
    recipient: Recipient,
    channel: MessageChannel,
    now: Date,
  ): Promise<number> {
    const { rows } = await this.options.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdent(this.options.schema)}.sent_messages
        WHERE contact_id = $1 AND channel = $2 AND sent_at >= $3 AND campaign_id IS NOT NULL`,
      [recipient.contactId, channel, startOfLocalDay(now, recipient.facts.timezone)],
    );
    return Number(rows[0].n);
  }

  private run(
    messageId: string,
    command: Parameters<typeof messageDecider.decide>[0],
    context: CommandContext,
  ) {
    return this.streams.run(messageStream(messageId), messageDecider, command, context);
  }
}
