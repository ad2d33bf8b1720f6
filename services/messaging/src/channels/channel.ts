// One small interface for every channel's provider (after Novu): send a
// message, and say what became of an attempt that a crash interrupted.
// Provider callbacks (Twilio status callbacks, email events) are verified
// and parsed by each provider's webhook module beside it.
import type { MessageChannel } from '@engagement/contracts';

export type OutgoingMessage = {
  messageId: string;
  channel: MessageChannel;
  /** Unique per attempt series: lets the provider (or we) recognise a repeat. */
  idempotencyKey: string;
  to: { email: string | null; phone: string | null; name: string | null };
  subject: string | null;
  html: string | null;
  text: string | null;
  /** RFC 8058 one-click unsubscribe URL (email). */
  unsubscribeUrl: string | null;
  /** Where the provider reports delivery (SMS/WhatsApp status callbacks). */
  statusCallbackUrl: string | null;
};

export type SendOutcome = { providerMessageId: string | null; metadata?: Record<string, unknown> };

/**
 * A provider refused or failed. `retryable` failures are retried with
 * backoff; a `bounce` is a permanent refusal of the address itself.
 */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly bounce: 'hard' | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** What is known of an attempt interrupted by a crash between the provider's answer and our append. */
export type Reconciliation =
  | { outcome: 'sent'; providerMessageId: string | null }
  | { outcome: 'not-sent' }
  /** The provider cannot tell: we count it as sent, never risking a second copy. */
  | { outcome: 'unknown'; providerMessageId: string | null };

export interface ChannelProvider {
  readonly provider: string;
  send(message: OutgoingMessage): Promise<SendOutcome>;
  reconcile(message: OutgoingMessage): Promise<Reconciliation>;
  close(): Promise<void>;
}
