// The events service's settings, read once at start: what every service
// reads (EVENTS_PORT 3102, EVENTS_SCHEMA, EVENTS_RELAY, EVENTS_TOPIC, ...:
// loadServiceConfig) and its own: where the contacts service is, the topic
// it consumes reminders from, and the Zoom account (credentials only from
// the environment, never logged).
import { loadServiceConfig, type ServiceConfig } from '@engagement/service-runtime';

export interface ZoomConfig {
  /** ZOOM_API_BASE: https://api.zoom.us (calls go to {apiBase}/v2/...); the emulator's URL in development. */
  apiBase: string;
  /** ZOOM_OAUTH_BASE: https://zoom.us (token at {oauthBase}/oauth/token). */
  oauthBase: string;
  accountId: string;
  clientId: string;
  clientSecret: string;
  webhookSecretToken: string;
}

export interface EventsConfig extends ServiceConfig {
  /** CONTACTS_URL: the contacts service, for the upsert of registrants. */
  contactsUrl: string;
  /** EVENTS_MESSAGING_TOPIC: where ReminderSent comes from (`messaging`; `off`: not consumed). */
  messagingTopic: string | null;
  /** Whether this process runs the reactors (seat keeper, platform sync). */
  reactorsEnabled: boolean;
  /** The Zoom account, when ZOOM_ACCOUNT_ID and its client are set; else Zoom events get no remote meeting. */
  zoom: ZoomConfig | null;
}

export function loadEventsConfig(env: NodeJS.ProcessEnv = process.env): EventsConfig {
  const zoomSet = Boolean(env.ZOOM_ACCOUNT_ID && env.ZOOM_CLIENT_ID && env.ZOOM_CLIENT_SECRET);
  return {
    ...loadServiceConfig({ prefix: 'EVENTS', port: 3102, schema: 'events', topic: 'events' }, env),
    contactsUrl: env.CONTACTS_URL ?? `http://127.0.0.1:${env.CONTACTS_PORT ?? 3101}`,
    messagingTopic:
      env.EVENTS_MESSAGING_TOPIC === 'off' ? null : (env.EVENTS_MESSAGING_TOPIC ?? 'messaging'),
    reactorsEnabled: env.EVENTS_REACTORS !== 'off',
    zoom: zoomSet
      ? {
          apiBase: env.ZOOM_API_BASE ?? 'https://api.zoom.us',
          oauthBase: env.ZOOM_OAUTH_BASE ?? 'https://zoom.us',
          accountId: env.ZOOM_ACCOUNT_ID!,
          clientId: env.ZOOM_CLIENT_ID!,
          clientSecret: env.ZOOM_CLIENT_SECRET!,
          webhookSecretToken: env.ZOOM_WEBHOOK_SECRET_TOKEN ?? '',
        }
      : null,
  };
}
