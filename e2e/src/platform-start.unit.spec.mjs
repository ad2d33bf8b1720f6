// `npm start` while services run: the same settings start again, other ones
// are refused before anything is rewritten (infra/start-settings.mjs, pure:
// nothing is started or stopped here). An ES module, as the infra scripts
// are: jest loads it natively (--experimental-vm-modules).
import {
  instanceName,
  instancePort,
  instancesRequested,
  requestedSettings,
  startConflict,
} from '../../infra/start-settings.mjs';

const running = [
  { name: 'contacts', pid: 4242 },
  { name: 'api-gateway', pid: 4243 },
];
const embedded = {
  databaseUrl: 'postgres://postgres:postgres@127.0.0.1:54329/engagement',
  postgres: 'embedded',
  kafkaBrokers: '127.0.0.1:9092',
  kafka: 'local',
};
const external = {
  databaseUrl: 'postgres://app:secret@db.internal:5432/engagement',
  postgres: 'external',
  kafkaBrokers: 'k1:9092,k2:9092',
  kafka: 'external',
};

function conflict(recorded, env, localPostgresUsable = true) {
  return startConflict({
    recorded,
    requested: requestedSettings(env, { localPostgresUsable }),
    running,
  });
}

describe('a second npm start', () => {
  it('goes on with the settings the platform runs with', () => {
    expect(conflict(embedded, { PG_FORCE_EMBEDDED: '1' })).toBeNull();
    // No local server: the embedded one is what it resolves to anyway.
    expect(conflict(embedded, {}, false)).toBeNull();
    expect(
      conflict(external, {
        DATABASE_URL: 'postgres://app:secret@db.internal:5432/engagement',
        KAFKA_BROKERS: 'k2:9092, k1:9092',
      }),
    ).toBeNull();
    // The database name postgres.mjs adds when the URL names none.
    expect(
      conflict(external, {
        DATABASE_URL: 'postgres://app:secret@db.internal:5432',
        KAFKA_BROKERS: 'k1:9092,k2:9092',
      }),
    ).toBeNull();
  });

  it('refuses without PG_FORCE_EMBEDDED=1 after starting with it, saying what runs on what and how to stop it', () => {
    const message = conflict(embedded, {});
    expect(message).toContain('contacts (pid 4242), api-gateway (pid 4243)');
    expect(message).toContain(
      'PostgreSQL: runs on embedded postgres://postgres:***@127.0.0.1:54329/engagement',
    );
    expect(message).toContain('this start would use local 127.0.0.1:5432');
    expect(message).toContain('npm stop');
    expect(message).not.toContain('Kafka:');
  });

  it('refuses another DATABASE_URL or other KAFKA_BROKERS, never showing a password', () => {
    const otherDatabase = conflict(external, {
      DATABASE_URL: 'postgres://app:secret@db.internal:5432/other',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
    });
    expect(otherDatabase).toContain(
      'this start would use external postgres://app:***@db.internal:5432/other',
    );
    expect(otherDatabase).not.toContain('secret');

    const otherBrokers = conflict(embedded, { PG_FORCE_EMBEDDED: '1', KAFKA_BROKERS: 'k9:9092' });
    expect(otherBrokers).toContain(
      'Kafka: runs on local 127.0.0.1:9092; this start would use external k9:9092',
    );
    expect(otherBrokers).not.toContain('PostgreSQL:');

    expect(conflict(embedded, { PG_FORCE_EMBEDDED: '1', KAFKA_PORT: '9093' })).toContain('Kafka:');
    expect(conflict(external, { KAFKA_BROKERS: 'k1:9092,k2:9092' })).toContain('PostgreSQL:');
  });

  it('refuses when the running services left no record of their settings', () => {
    expect(conflict({}, { PG_FORCE_EMBEDDED: '1' })).toContain('not in .data/platform.json');
  });

  it('lets anything change when no service runs', () => {
    const requested = requestedSettings(
      { DATABASE_URL: 'postgres://x@y/z' },
      { localPostgresUsable: true },
    );
    expect(startConflict({ recorded: embedded, requested, running: [] })).toBeNull();
  });
});

describe('PLATFORM_INSTANCES', () => {
  it('asks for 1 to 9 instances of each service, or for what runs when unset', () => {
    expect(instancesRequested({})).toBeNull();
    expect(instancesRequested({ PLATFORM_INSTANCES: '' })).toBeNull();
    expect(instancesRequested({ PLATFORM_INSTANCES: '2' })).toBe(2);
    for (const bad of ['0', '10', 'two', '1.5', '-1'])
      expect(() => instancesRequested({ PLATFORM_INSTANCES: bad })).toThrow(
        `PLATFORM_INSTANCES must be a whole number from 1 to 9, not "${bad}"`,
      );
  });

  it('names and places each further instance 100 ports on', () => {
    expect([1, 2, 3].map((i) => [instanceName('contacts', i), instancePort(3101, i)])).toEqual([
      ['contacts', 3101],
      ['contacts-2', 3201],
      ['contacts-3', 3301],
    ]);
  });

  it('refuses another number of instances while services run, and goes on when it is unset', () => {
    const running = { ...embedded, instances: 2 };
    expect(conflict(running, { PG_FORCE_EMBEDDED: '1' })).toBeNull();
    expect(conflict(running, { PG_FORCE_EMBEDDED: '1', PLATFORM_INSTANCES: '2' })).toBeNull();
    expect(conflict(running, { PG_FORCE_EMBEDDED: '1', PLATFORM_INSTANCES: '1' })).toContain(
      'instances: 2 of each service run; this start asks for 1 (PLATFORM_INSTANCES)',
    );
    // Emulators alone may stay.
    expect(
      startConflict({
        recorded: running,
        requested: requestedSettings(
          { PG_FORCE_EMBEDDED: '1', PLATFORM_INSTANCES: '1' },
          { localPostgresUsable: true },
        ),
        running: [{ name: 'smtp-emulator', pid: 4244, own: false }],
      }),
    ).toBeNull();
    // A platform recorded before instances were: one of each.
    expect(conflict(embedded, { PG_FORCE_EMBEDDED: '1', PLATFORM_INSTANCES: '3' })).toContain(
      'instances: 1 of each service run',
    );
  });
});
