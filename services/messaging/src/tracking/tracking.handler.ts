// What the public tracking endpoints and provider callbacks record on a
// message's stream: opens, clicks, one-click unsubscribes, deliveries and
// bounces. Each becomes an event on topic `messaging`, from which contacts
// records the activity, the status `bounced` or the revoked consent.
import type { BounceType } from '@engagement/contracts';
import { NotFoundError } from '@engagement/decider';
import { systemContext } from '@engagement/service-runtime';
import { messageDecider, type MessageCommand } from '../messages/message.decider';
import { consentChannelOf } from '../rules/send-rules';
import { messageStream, type MessagingStreams } from '../shared/messaging-streams';

export class TrackingHandler {
  constructor(
    private readonly streams: MessagingStreams,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  opened(messageId: string) {
    return this.record(messageId, { type: 'RecordOpened' }, 'messaging:open-pixel');
  }

  clicked(messageId: string, url: string) {
    return this.record(messageId, { type: 'RecordClicked', url }, 'messaging:click');
  }

  async unsubscribe(messageId: string) {
    const { state } = await this.streams.load(messageStream(messageId), messageDecider);
    if (!state.exists) throw new NotFoundError('message not found', 'message-not-found');
    const consentChannel = consentChannelOf(state.request.channel) ?? 'marketing';
    return this.record(
      messageId,
      { type: 'RecordUnsubscribe', consentChannel },
      'messaging:unsubscribe',
    );
  }

  delivered(messageId: string) {
    return this.record(messageId, { type: 'RecordDelivered' }, 'provider-callback');
  }

  bounced(
    messageId: string,
    bounceType: BounceType,
    errorCode: string | null,
    errorMessage: string | null,
  ) {
    return this.record(
      messageId,
      { type: 'RecordBounced', bounceType, errorCode, errorMessage },
      'provider-callback',
    );
  }

  private async record(messageId: string, command: MessageCommand, actor: string) {
    const context = { ...systemContext(actor, messageId), now: this.clock() };
    try {
      return await this.streams.run(messageStream(messageId), messageDecider, command, context);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new NotFoundError('message not found', 'message-not-found');
      throw error;
    }
  }
}
