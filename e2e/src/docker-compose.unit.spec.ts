// docker-compose.yml cannot be run on our CI machines (no Docker engine);
// `npm run lint` checks it against the Compose Specification (dclint), and
// this test checks it against the code: every service of services/ runs in
// it from the one Dockerfile, with two replicas (the gateway: one per host
// port), and every variable it sets for a service is one the code reads, so
// that a renamed variable cannot silently stop taking effect.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findWorkspaceRoot } from '@engagement/config';

const root = findWorkspaceRoot();

interface ComposeService {
  build?: { context: string; dockerfile: string };
  environment?: Record<string, unknown>;
  deploy?: { replicas?: number };
  profiles?: string[];
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };

const platformServices = readdirSync(join(root, 'services')).filter((name) =>
  statSync(join(root, 'services', name, 'src', 'main.ts'), { throwIfNoEntry: false })?.isFile(),
);

/** Every non-test TypeScript source a service runs: its own and the libraries'. */
function sourcesOf(service: string): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !/\.(spec|testing)\.ts$/.test(entry.name))
        files.push(path);
    }
  };
  walk(join(root, 'services', service, 'src'));
  for (const lib of readdirSync(join(root, 'libs'))) walk(join(root, 'libs', lib, 'src'));
  return files.map((file) => readFileSync(file, 'utf8')).join('\n');
}

/** Read through loadServiceConfig, by the service's prefix (CONTACTS_PORT, EVENTS_HOST, ...). */
const PREFIXED = ['PORT', 'HOST', 'SCHEMA', 'RELAY', 'TOPIC', 'TOPIC_PARTITIONS'];
/** Read by the image itself (Dockerfile) or by libraries outside our code (OpenTelemetry). */
const NOT_OURS = new Set(['SERVICE', 'OTEL_SERVICE_NAME']);

describe('docker-compose.yml', () => {
  it('runs every service of services/ from the one Dockerfile, two replicas each but the gateway', () => {
    expect(platformServices).toEqual(expect.arrayContaining(['contacts', 'api-gateway']));
    for (const name of platformServices) {
      const service = compose.services[name];
      expect({ name, build: service?.build }).toEqual({
        name,
        build: { context: '.', dockerfile: 'Dockerfile' },
      });
      expect({ name, SERVICE: service!.environment?.SERVICE }).toEqual({ name, SERVICE: name });
      if (name !== 'api-gateway')
        expect({ name, replicas: service!.deploy?.replicas }).toEqual({ name, replicas: 2 });
    }
  });

  it('sets for each service only variables its code reads', () => {
    for (const name of platformServices) {
      const sources = sourcesOf(name);
      const prefix = name === 'api-gateway' ? 'GATEWAY' : name.toUpperCase().replace(/-/g, '_');
      const unread = Object.keys(compose.services[name]!.environment ?? {}).filter(
        (variable) =>
          !NOT_OURS.has(variable) &&
          !new RegExp(`\\b${variable}\\b`).test(sources) &&
          !PREFIXED.some((suffix) => variable === `${prefix}_${suffix}`),
      );
      expect({ name, unread }).toEqual({ name, unread: [] });
    }
  });

  it('gives each service the secrets it refuses to start without outside development', () => {
    const required: Record<string, string[]> = {
      contacts: ['PLATFORM_TOKEN_SECRET', 'CONTACTS_MASTER_KEYS', 'CONTACTS_EMAIL_HASH_KEY'],
      messaging: ['MESSAGING_TRACKING_SECRET'],
      'connector-hubspot': ['CONNECTORS_MASTER_KEYS'],
      'connector-gohighlevel': ['CONNECTORS_MASTER_KEYS'],
    };
    for (const name of platformServices) {
      const environment = compose.services[name]!.environment ?? {};
      for (const variable of ['PLATFORM_TOKEN_SECRET', ...(required[name] ?? [])]) {
        expect({ name, variable, set: String(environment[variable] ?? '').includes(':?') }).toEqual(
          {
            name,
            variable,
            set: true,
          },
        );
      }
    }
  });

  it('has a three-broker KRaft cluster in its own profile', () => {
    const brokers = ['kafka-1', 'kafka-2', 'kafka-3'].map((name) => compose.services[name]);
    for (const broker of brokers) {
      expect(broker?.profiles).toEqual(['kafka-cluster']);
      expect(broker?.environment?.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(
        '1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093',
      );
      expect(broker?.environment?.KAFKA_MIN_INSYNC_REPLICAS).toBe(2);
    }
    expect(brokers.map((broker) => broker?.environment?.KAFKA_NODE_ID)).toEqual([1, 2, 3]);
  });
});
