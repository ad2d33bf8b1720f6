// push and in_app: no provider yet; a send is recorded as delivered to the
// contact's inbox (the message's own row is the record).
import type { ChannelProvider, Reconciliation, SendOutcome, OutgoingMessage } from './channel';

export class RecordedChannel implements ChannelProvider {
  readonly provider = 'recorded';
  async send(message: OutgoingMessage): Promise<SendOutcome> {
    return { providerMessageId: `recorded-${message.messageId}` };
  }
  async reconcile(message: OutgoingMessage): Promise<Reconciliation> {
    return { outcome: 'sent', providerMessageId: `recorded-${message.messageId}` };
  }
  async close(): Promise<void> {}
}
