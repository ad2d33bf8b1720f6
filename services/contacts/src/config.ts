// The contacts service's settings, read once at start from the environment:
// what every service reads (loadServiceConfig: CONTACTS_PORT, CONTACTS_SCHEMA,
// CONTACTS_RELAY, CONTACTS_TOPIC, ...) and its own. Tests build a
// ContactsConfig directly, with their own schema names, so that test files
// can run side by side against one database.
import { isDevelopment, loadSecret } from '@engagement/service-auth';
import { loadServiceConfig, type ServiceConfig } from '@engagement/service-runtime';

export interface ContactsConfig extends ServiceConfig {
  /** CONTACTS_MASTER_KEYS, as given: "keyId:base64[,older...]"; undefined when unset. */
  masterKeys: string | undefined;
  /**
   * development (NODE_ENV unset, development or test) or production (any
   * other NODE_ENV): production refuses to invent a master key.
   */
  environment: 'development' | 'production';
  /**
   * CONTACTS_EMAIL_HASH_KEY: the secret email reservation stream ids are
   * keyed with (HMAC), so that reading the event store cannot tell whether
   * an address was ever a contact. Generated in development.
   */
  emailHashKey: Buffer;
  /** CONTACTS_LEAD_SCORING_RULES: inline JSON or the path of a JSON file; undefined: the defaults. */
  leadScoringRules: string | undefined;
  /** Whether this process processes bulk import jobs in the background. */
  importWorkerEnabled: boolean;
  /**
   * CONTACTS_EVENTS_TOPIC: the events service's topic, whose registrations,
   * attendances and no-shows become activities (`events`; `off`: not
   * consumed). Unset in tests that have no broker to spare.
   */
  eventsTopic?: string;
  /**
   * CONTACTS_MESSAGING_TOPIC: the messaging service's topic, whose sends,
   * opens, clicks and bounces become activities, hard bounces status
   * `bounced` and one-click unsubscribes revoked consent (`messaging`;
   * `off`: not consumed).
   */
  messagingTopic?: string;
  /**
   * CONTACTS_CRM_TOPICS: the CRM connectors' topics (comma-separated; `off`:
   * not consumed), whose sync reports fill external_mappings and activities'
   * synced_to_crms. Default: `crm.hubspot,crm.gohighlevel` for the platform's
   * contacts (topic `contacts`); none for an instance with a topic of its own
   * (tests, benchmarks), which must not act on the platform's reports.
   */
  crmTopics?: string[];
}

export function loadContactsConfig(env: NodeJS.ProcessEnv = process.env): ContactsConfig {
  return {
    ...loadServiceConfig(
      { prefix: 'CONTACTS', port: 3101, schema: 'contacts', topic: 'contacts' },
      env,
    ),
    masterKeys: env.CONTACTS_MASTER_KEYS || undefined,
    environment: isDevelopment(env) ? 'development' : 'production',
    emailHashKey: loadSecret(
      {
        variable: 'CONTACTS_EMAIL_HASH_KEY',
        purpose: 'email reservation ids are keyed hashes of the address',
        developmentFile: 'contacts-email-hash.key',
      },
      env,
    ),
    leadScoringRules: env.CONTACTS_LEAD_SCORING_RULES || undefined,
    importWorkerEnabled: env.CONTACTS_IMPORT_WORKER !== 'off',
    eventsTopic:
      env.CONTACTS_EVENTS_TOPIC === 'off' ? undefined : (env.CONTACTS_EVENTS_TOPIC ?? 'events'),
    messagingTopic:
      env.CONTACTS_MESSAGING_TOPIC === 'off'
        ? undefined
        : (env.CONTACTS_MESSAGING_TOPIC ?? 'messaging'),
    crmTopics: crmTopicsOf(env),
  };
}

function crmTopicsOf(env: NodeJS.ProcessEnv): string[] | undefined {
  const spec =
    env.CONTACTS_CRM_TOPICS ??
    ((env.CONTACTS_TOPIC ?? 'contacts') === 'contacts' ? 'crm.hubspot,crm.gohighlevel' : 'off');
  if (spec === 'off') return undefined;
  return spec
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}
