// The integration decider: connect, update settings, replace credentials,
// pause, resume, record a failure, disconnect. Pure: the shell encrypts
// credentials before deciding (the decider only sees envelopes) and brings
// ids and time in the command and context.
import { ConflictError, NotFoundError, RuleViolationError, type Decider } from '@engagement/decider';
import type { CredentialEnvelope } from '../credentials/credential-envelope';
import {
  AUTH_TYPES,
  PROVIDER_TYPES,
  type AuthType,
  type IntegrationEvent,
  type IntegrationSettings,
  type IntegrationStatus,
} from './integration.events';

export type IntegrationCommand =
  | ({
      type: 'ConnectIntegration';
      integrationId: string;
      provider: string;
      providerType: string;
      authType: string;
      credentials: CredentialEnvelope;
      webhookSecret: CredentialEnvelope | null;
    } & IntegrationSettings)
  | ({ type: 'UpdateIntegrationConfig' } & Partial<IntegrationSettings>)
  | { type: 'ReplaceIntegrationCredentials'; credentials: CredentialEnvelope; reason: 'updated' | 'refreshed' | 'rewrapped' }
  | { type: 'PauseIntegration' }
  | { type: 'ResumeIntegration' }
  | { type: 'RecordIntegrationFailure'; error: string }
  | { type: 'DisconnectIntegration' };

export interface IntegrationState {
  integrationId: string | null;
  status: IntegrationStatus | 'none';
  lastError: string | null;
  settings: IntegrationSettings | null;
}

const SETTINGS_KEYS = ['displayName', 'description', 'config', 'fieldMappings', 'capabilities', 'webhookUrl'] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function live(state: IntegrationState): string {
  if (state.integrationId === null || state.status === 'none' || state.status === 'disconnected') {
    throw new NotFoundError('No connected integration for this provider', 'integration-not-found');
  }
  return state.integrationId;
}

export const integrationDecider: Decider<IntegrationCommand, IntegrationEvent, IntegrationState> = {
  initialState: () => ({ integrationId: null, status: 'none', lastError: null, settings: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'IntegrationConnected': {
        const d = event.data;
        const settings: IntegrationSettings = {
          displayName: d.displayName,
          description: d.description,
          config: d.config,
          fieldMappings: d.fieldMappings,
          capabilities: d.capabilities,
          webhookUrl: d.webhookUrl,
        };
        return { integrationId: d.integrationId, status: 'active', lastError: null, settings };
      }
      case 'IntegrationConfigUpdated': {
        const changes = Object.fromEntries(SETTINGS_KEYS.filter((k) => k in event.data).map((k) => [k, event.data[k]]));
        return { ...state, settings: { ...state.settings!, ...changes } };
      }
      case 'IntegrationCredentialsReplaced':
        return state;
      case 'IntegrationPaused':
        return { ...state, status: 'paused' };
      case 'IntegrationResumed':
        return { ...state, status: 'active', lastError: null };
      case 'IntegrationFailed':
        return { ...state, status: 'error', lastError: event.data.error };
      case 'IntegrationDisconnected':
        return { ...state, status: 'disconnected' };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'ConnectIntegration': {
        if (state.status !== 'none' && state.status !== 'disconnected') {
          throw new ConflictError(`The ${command.provider} integration is already connected`, 'integration-exists', {
            integrationId: state.integrationId,
          });
        }
        if (!(PROVIDER_TYPES as readonly string[]).includes(command.providerType)) {
          throw new RuleViolationError(`providerType must be one of ${PROVIDER_TYPES.join(', ')}`, 'invalid-provider-type', { field: 'providerType' });
        }
        if (!(AUTH_TYPES as readonly string[]).includes(command.authType)) {
          throw new RuleViolationError(`authType must be one of ${AUTH_TYPES.join(', ')}`, 'invalid-auth-type', { field: 'authType' });
        }
        return [
          {
            type: 'IntegrationConnected',
            data: {
              // A reconnect keeps the id the integration had, so logs stay attached to it.
              integrationId: state.integrationId ?? command.integrationId,
              provider: command.provider,
              providerType: command.providerType,
              authType: command.authType as AuthType,
              credentials: command.credentials,
              webhookSecret: command.webhookSecret,
              displayName: command.displayName,
              description: command.description,
              config: command.config,
              fieldMappings: command.fieldMappings,
              capabilities: command.capabilities,
              webhookUrl: command.webhookUrl,
            },
          },
        ];
      }
      case 'UpdateIntegrationConfig': {
        const integrationId = live(state);
        const changes: Record<string, unknown> = {};
        for (const key of SETTINGS_KEYS) {
          if (command[key] !== undefined && !same(command[key], state.settings?.[key])) changes[key] = command[key];
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'IntegrationConfigUpdated', data: { integrationId, ...changes } }];
      }
      case 'ReplaceIntegrationCredentials': {
        const integrationId = live(state);
        return [{ type: 'IntegrationCredentialsReplaced', data: { integrationId, credentials: command.credentials, reason: command.reason } }];
      }
      case 'PauseIntegration': {
        const integrationId = live(state);
        return state.status === 'paused' ? [] : [{ type: 'IntegrationPaused', data: { integrationId } }];
      }
      case 'ResumeIntegration': {
        const integrationId = live(state);
        return state.status === 'active' ? [] : [{ type: 'IntegrationResumed', data: { integrationId } }];
      }
      case 'RecordIntegrationFailure': {
        const integrationId = live(state);
        if (state.status === 'error' && state.lastError === command.error) return [];
        return [{ type: 'IntegrationFailed', data: { integrationId, error: command.error } }];
      }
      case 'DisconnectIntegration': {
        if (state.status === 'disconnected' || state.integrationId === null) return [];
        return [{ type: 'IntegrationDisconnected', data: { integrationId: state.integrationId } }];
      }
    }
  },
};
