// What the three sample processes share: options from `--name value`
// arguments or SAMPLE_NAME environment variables, one JSON line per report
// on stdout (logs go to stderr), and a clean stop on SIGTERM.
import { parseArgs } from 'node:util';
import { Pool } from 'pg';

export interface OptionSpec {
  /** Used when neither the argument nor the environment variable is given; no default: required. */
  default?: string;
  help: string;
}

/**
 * `--stream-prefix x` or SAMPLE_STREAM_PREFIX=x (the argument wins).
 * Exits with a usage message when a required option is missing.
 */
export function readOptions<K extends string>(
  program: string,
  spec: Record<K, OptionSpec>,
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Record<K, string> {
  const names = Object.keys(spec) as K[];
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    strict: true,
  });
  const result = {} as Record<K, string>;
  const missing: K[] = [];
  for (const name of names) {
    const fromEnv = env[`SAMPLE_${name.toUpperCase().replace(/-/g, '_')}`];
    const value = (values[name] as string | undefined) ?? fromEnv ?? spec[name].default;
    if (value === undefined) missing.push(name);
    else result[name] = value;
  }
  if (missing.length > 0) {
    const usage = names
      .map(
        (n) =>
          `  --${n}  ${spec[n].help}${spec[n].default !== undefined ? ` (default ${spec[n].default})` : ''}`,
      )
      .join('\n');
    process.stderr.write(
      `${program}: missing ${missing.map((n) => `--${n}`).join(', ')}\n${usage}\n`,
    );
    process.exit(2);
  }
  return result;
}

export function integerOption(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${name} must be a non-negative integer; got "${raw}"`);
  return value;
}

/** One report line on stdout: the test harness and the benchmark read these. */
export function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * Runs `main`, which starts the work and returns how to stop it. SIGTERM
 * (or SIGINT) stops it, once started, and exits 0; a failure exits 1.
 */
export function runMain(program: string, main: () => Promise<() => Promise<void>>): void {
  const fail = (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${program}: ${text}\n`);
    process.exit(1);
  };
  const started = main();
  started.catch(fail);
  const terminate = (signal: NodeJS.Signals) => {
    process.removeAllListeners('SIGTERM').removeAllListeners('SIGINT');
    started
      .then((stop) => stop())
      .then(() => {
        report({ stopped: program, signal });
        process.exit(0);
      }, fail);
  };
  process.once('SIGTERM', terminate);
  process.once('SIGINT', terminate);
}

/**
 * A pg pool that survives the database going away. pg emits 'error' on a
 * client whose connection dies; the pool listens only while the client is
 * idle, so a client checked out for a transaction (applyKafkaBatch holds
 * one) would take the whole process down with an unhandled 'error' event.
 * The failing query still rejects, the caller retries, and the broken
 * client is dropped from the pool when released.
 */
export function resilientPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
