// The shell around the integration decider: encrypts credentials before
// deciding, runs the command on the stream `integration-<provider>`, and
// reads the current credentials back from the stream (the authoritative
// copy: the read model may lag).
import { randomUUID } from 'node:crypto';
import { fold, handleCommand, type CommandContext } from '@engagement/decider';
import type { EventStore, RecordedEvent } from '@engagement/event-store';
import { CredentialCipher, type CredentialEnvelope, type Credentials } from '../credentials/credential-envelope';
import { integrationDecider, type IntegrationCommand } from './integration.decider';
import {
  INTEGRATION_EVENT_SCHEMA_VERSIONS,
  integrationStreamId,
  type IntegrationEvent,
  type IntegrationSettings,
} from './integration.events';

export interface ConnectInput extends IntegrationSettings {
  providerType: string;
  authType: string;
  credentials: Credentials;
  webhookSecret: string | null;
}

const upcast = (event: RecordedEvent) => ({ type: event.type, data: event.data }) as IntegrationEvent;
const schemaVersionOf = (type: IntegrationEvent['type']) => INTEGRATION_EVENT_SCHEMA_VERSIONS[type];

export class IntegrationCommands {
  readonly streamId: string;

  constructor(
    private readonly store: EventStore,
    private readonly cipher: CredentialCipher,
    readonly provider: string,
  ) {
    this.streamId = integrationStreamId(provider);
  }

  async connect(input: ConnectInput, context: CommandContext) {
    const current = fold(integrationDecider, (await this.store.readStream(this.streamId)).map(upcast));
    // The id the envelopes are bound to: the integration keeps its id across reconnects.
    const integrationId = current.integrationId ?? randomUUID();
    const { credentials, webhookSecret, ...settings } = input;
    return this.run(
      {
        type: 'ConnectIntegration',
        integrationId,
        provider: this.provider,
        ...settings,
        credentials: this.cipher.encrypt(integrationId, credentials),
        webhookSecret: webhookSecret === null ? null : this.cipher.encrypt(integrationId, { webhook_secret: webhookSecret }),
      },
      context,
    );
  }

  async replaceCredentials(credentials: Credentials, reason: 'updated' | 'refreshed', context: CommandContext) {
    const { integrationId } = await this.state();
    if (integrationId === null) return this.run({ type: 'PauseIntegration' }, context); // throws not-found
    return this.run({ type: 'ReplaceIntegrationCredentials', credentials: this.cipher.encrypt(integrationId, credentials), reason }, context);
  }

  run(command: IntegrationCommand, context: CommandContext) {
    return handleCommand(this.store, this.streamId, integrationDecider, command, context, { upcast, schemaVersionOf });
  }

  async state() {
    return fold(integrationDecider, (await this.store.readStream(this.streamId)).map(upcast));
  }

  /** The latest credentials envelope on the stream, decrypted; null without a connected integration. */
  async currentCredentials(): Promise<{ integrationId: string; credentials: Credentials; envelope: CredentialEnvelope } | null> {
    let integrationId: string | null = null;
    let envelope: CredentialEnvelope | null = null;
    for (const event of (await this.store.readStream(this.streamId)).map(upcast)) {
      if (event.type === 'IntegrationConnected') {
        integrationId = event.data.integrationId;
        envelope = event.data.credentials;
      } else if (event.type === 'IntegrationCredentialsReplaced') envelope = event.data.credentials;
      else if (event.type === 'IntegrationDisconnected') envelope = null;
    }
    if (integrationId === null || envelope === null) return null;
    return { integrationId, envelope, credentials: this.cipher.decrypt(integrationId, envelope) };
  }

  /** Re-wraps the current envelope under the current master key (rotation); false when nothing to do. */
  async rewrap(context: CommandContext): Promise<boolean> {
    const current = await this.currentCredentials();
    if (!current) return false;
    const rewrapped = this.cipher.rewrap(current.integrationId, current.envelope);
    if (!rewrapped) return false;
    await this.run({ type: 'ReplaceIntegrationCredentials', credentials: rewrapped, reason: 'rewrapped' }, context);
    return true;
  }
}

export function systemContext(actor: string): CommandContext {
  return { now: new Date(), actor, correlationId: randomUUID(), causationId: null, traceparent: null };
}
