import { ConflictError, NotFoundError, RuleViolationError } from '@engagement/decider';
import { given } from '@engagement/decider';
import type { CredentialEnvelope } from '../credentials/credential-envelope';
import { integrationDecider, type IntegrationCommand } from './integration.decider';
import type { IntegrationEvent } from './integration.events';

const integrationId = '6f1c1a52-4d55-4b0e-9f0a-2b6f0e2f6d11';
const envelope: CredentialEnvelope = { v: 1, kid: 'k1', wrappedKey: 'd3JhcA==', secret: 'c2VjcmV0' };
const settings = {
  displayName: 'HubSpot',
  description: null,
  config: { sync_all_contacts: false },
  fieldMappings: {},
  capabilities: { sync_contacts: true },
  webhookUrl: null,
};
const connect: IntegrationCommand = {
  type: 'ConnectIntegration',
  integrationId,
  provider: 'hubspot',
  providerType: 'crm',
  authType: 'oauth2',
  credentials: envelope,
  webhookSecret: null,
  ...settings,
};
const connected: IntegrationEvent = {
  type: 'IntegrationConnected',
  data: { integrationId, provider: 'hubspot', providerType: 'crm', authType: 'oauth2', credentials: envelope, webhookSecret: null, ...settings },
};
const paused: IntegrationEvent = { type: 'IntegrationPaused', data: { integrationId } };
const failed: IntegrationEvent = { type: 'IntegrationFailed', data: { integrationId, error: 'refresh token rejected' } };
const disconnected: IntegrationEvent = { type: 'IntegrationDisconnected', data: { integrationId } };

describe('integration decider', () => {
  it('connects a new integration', () => given(integrationDecider, []).when(connect).then([connected]));

  it('refuses a second connection of the same provider', () =>
    given(integrationDecider, [connected]).when(connect).thenThrows(ConflictError, { code: 'integration-exists' }));

  it('reconnects after a disconnect, keeping the id', () =>
    given(integrationDecider, [connected, disconnected])
      .when({ ...connect, integrationId: '00000000-0000-4000-8000-000000000000' })
      .then([connected]));

  it('refuses an unknown auth type or provider type', () => {
    given(integrationDecider, []).when({ ...connect, authType: 'magic' }).thenThrows(RuleViolationError, { code: 'invalid-auth-type' });
    given(integrationDecider, []).when({ ...connect, providerType: 'crmish' }).thenThrows(RuleViolationError);
  });

  it('updates only the settings that changed; an identical update changes nothing', () => {
    given(integrationDecider, [connected])
      .when({ type: 'UpdateIntegrationConfig', displayName: 'HubSpot EU', config: settings.config })
      .then([{ type: 'IntegrationConfigUpdated', data: { integrationId, displayName: 'HubSpot EU' } }]);
    given(integrationDecider, [connected]).when({ type: 'UpdateIntegrationConfig', config: settings.config }).then([]);
  });

  it('pauses and resumes; repeats change nothing', () => {
    given(integrationDecider, [connected]).when({ type: 'PauseIntegration' }).then([paused]);
    given(integrationDecider, [connected, paused]).when({ type: 'PauseIntegration' }).then([]);
    given(integrationDecider, [connected, paused])
      .when({ type: 'ResumeIntegration' })
      .then([{ type: 'IntegrationResumed', data: { integrationId } }]);
    given(integrationDecider, [connected]).when({ type: 'ResumeIntegration' }).then([]);
  });

  it('records a failure as status error, once per message; resume clears it', () => {
    given(integrationDecider, [connected]).when({ type: 'RecordIntegrationFailure', error: 'refresh token rejected' }).then([failed]);
    given(integrationDecider, [connected, failed]).when({ type: 'RecordIntegrationFailure', error: 'refresh token rejected' }).then([]);
    const state = [connected, failed, { type: 'IntegrationResumed', data: { integrationId } } as IntegrationEvent].reduce(
      integrationDecider.evolve,
      integrationDecider.initialState(),
    );
    expect(state).toMatchObject({ status: 'active', lastError: null });
  });

  it('replaces credentials of a live integration only', () => {
    given(integrationDecider, [connected])
      .when({ type: 'ReplaceIntegrationCredentials', credentials: envelope, reason: 'refreshed' })
      .then([{ type: 'IntegrationCredentialsReplaced', data: { integrationId, credentials: envelope, reason: 'refreshed' } }]);
    given(integrationDecider, [connected, disconnected])
      .when({ type: 'ReplaceIntegrationCredentials', credentials: envelope, reason: 'updated' })
      .thenThrows(NotFoundError);
  });

  it('disconnects once', () => {
    given(integrationDecider, [connected]).when({ type: 'DisconnectIntegration' }).then([disconnected]);
    given(integrationDecider, [connected, disconnected]).when({ type: 'DisconnectIntegration' }).then([]);
    given(integrationDecider, [connected, disconnected]).when({ type: 'PauseIntegration' }).thenThrows(NotFoundError);
  });
});
