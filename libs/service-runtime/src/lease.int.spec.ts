// Two "instances" (two Leases on one database) competing for the same
// leases: one runs the work, the other stands by; when the holder's
// connection dies the holder stops its work and the standby takes over.
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadPlatformConfig } from '@engagement/config';
import { Leases, leaseHolder, type LeasedWork } from './lease';
import { serviceLog } from './log';

const { databaseUrl } = loadPlatformConfig();
const quiet = {
  ...serviceLog('lease-test'),
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Records which instance runs the work, and checks it never runs twice at once. */
class WorkLog {
  running = new Set<string>();
  overlaps = 0;
  starts: string[] = [];
  stops: string[] = [];
  work(instance: string) {
    return (): LeasedWork => {
      if (this.running.size > 0) this.overlaps++;
      this.running.add(instance);
      this.starts.push(instance);
      return {
        stop: async () => {
          this.stops.push(instance);
          this.running.delete(instance);
        },
      };
    };
  }
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Leases', () => {
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const opened: Leases[] = [];
  const open = (service: string) => {
    const leases = new Leases({ databaseUrl, service, log: quiet, retryMs: 100 });
    opened.push(leases);
    return leases;
  };
  afterAll(async () => {
    await Promise.all(opened.map((l) => l.close()));
    await pool.end();
  });

  it('runs the work in one instance at a time; when the holder’s session dies it stops, and the work resumes in one', async () => {
    const name = `lease-test:${randomUUID()}`;
    const log = new WorkLog();
    const first = open('lease-test-a');
    const firstHandle = first.hold(name, log.work('a'));
    await until('a holds the lease', () => firstHandle.held && log.running.has('a'));
    const second = open('lease-test-b');
    const secondHandle = second.hold(name, log.work('b'));
    // The standby has tried, several times, and stays standing by.
    await new Promise((r) => setTimeout(r, 500));
    expect(secondHandle.held).toBe(false);
    expect(log.starts).toEqual(['a']);
    expect(await leaseHolder(pool, name)).toBe(first.applicationName);

    // The holder's session ends (as when PostgreSQL loses it): the holder
    // stops its work; whichever instance tries first then runs it again.
    await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
      [first.applicationName],
    );
    await until('the work ran again', () => log.starts.length === 2 && log.running.size === 1);
    expect(log.stops[0]).toBe('a');
    expect(log.overlaps).toBe(0);
    const holder = log.starts[1] === 'a' ? first : second;
    const standby = holder === first ? second : first;
    expect(await leaseHolder(pool, name)).toBe(holder.applicationName);

    // The holder goes away (its connection ends): the standby takes over.
    await holder.close();
    await until('the standby took over', () => log.starts.length === 3);
    expect(await leaseHolder(pool, name)).toBe(standby.applicationName);
    expect(log.overlaps).toBe(0);
  });

  it('gives the lease up when the work is stopped, and nobody holds it after close', async () => {
    const name = `lease-test:${randomUUID()}`;
    const log = new WorkLog();
    const first = open('lease-test-c');
    const second = open('lease-test-d');
    const firstHandle = first.hold(name, log.work('c'));
    await until('c holds it', () => firstHandle.held);
    const secondHandle = second.hold(name, log.work('d'));
    await firstHandle.stop();
    expect(log.running.has('c')).toBe(false);
    await until('d took over', () => secondHandle.held && log.running.has('d'));
    await second.close();
    expect(log.running.size).toBe(0);
    await until('nobody holds it', async () => (await leaseHolder(pool, name)) === null);
  });

  it('tries again when the work cannot start', async () => {
    const name = `lease-test:${randomUUID()}`;
    let attempts = 0;
    const leases = open('lease-test-e');
    const handle = leases.hold(name, () => {
      attempts++;
      if (attempts < 3) throw new Error('not yet');
      return { stop: async () => undefined };
    });
    await until('third attempt holds it', () => attempts === 3 && handle.held);
    expect(await leaseHolder(pool, name)).toBe(leases.applicationName);
  });
});
