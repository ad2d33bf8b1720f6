// The operators' command line for projections and entity history:
//   projections list | rebuild <name> | audit <name> | swap <name>
//   history <stream-id>
// It is a function of (arguments, dependencies, output) so that tests run
// it in-process; tools/ wraps it with the platform's real registry.
import { toWireEvent, type EventStore } from '@engagement/event-store';
import { Command, CommanderError } from 'commander';
import type { Pool } from 'pg';
import { inTransaction } from './apply-batch';
import { readCheckpoint } from './projection-checkpoints';
import type { ProjectionDefinition } from './projection';
import {
  auditProjection,
  rebuildProjection,
  rebuildSchemaOf,
  swapProjection,
  type RebuildSummary,
} from './replay';
import type { ProgressReporter } from './progress';

export interface CliDependencies {
  store: EventStore;
  pool: Pool;
  projections: ProjectionDefinition[];
  out: (line: string) => void;
  progress?: (label: string) => ProgressReporter;
}

/**
 * Parses the arguments with commander (usage, --help, unknown commands) and
 * runs the command. Returns the process exit code: 2 for a usage error.
 */
export async function runProjectionsCli(args: string[], deps: CliDependencies): Promise<number> {
  const { out } = deps;
  let code = 0;
  const program = new Command('projections')
    .description('rebuild, audit and swap the read models of the running platform')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => out(text.trimEnd()),
      writeErr: (text) => out(text.trimEnd()),
    });
  program
    .command('list')
    .description('every projection with its checkpoint and lag')
    .action(async () => {
      code = await list(deps);
    });
  const commands = {
    rebuild: 'rebuild from position zero into a fresh schema beside the live one',
    audit: 'rebuild and compare with the live tables; exit 1 on any difference',
    swap: 'put the rebuilt tables in place of the live ones',
  } as const;
  for (const [command, description] of Object.entries(commands)) {
    program
      .command(`${command} <projection>`)
      .description(description)
      .action(async (name: string) => {
        code = await runCommand(command as keyof typeof commands, name, deps);
      });
  }
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  if (args.length === 0) {
    out(program.helpInformation().trimEnd());
    return 2;
  }
  return code;
}

async function runCommand(
  command: 'rebuild' | 'audit' | 'swap',
  name: string,
  deps: CliDependencies,
): Promise<number> {
  const { out } = deps;
  const projection = deps.projections.find((p) => p.name === name);
  if (!projection) {
    out(
      `unknown projection "${name}"; known: ${deps.projections.map((p) => p.name).join(', ') || 'none'}`,
    );
    return 2;
  }
  const ctx = { store: deps.store, pool: deps.pool, progress: deps.progress };
  if (command === 'rebuild') {
    printSummary(out, await rebuildProjection(ctx, projection));
    out(
      `rebuilt into schema ${rebuildSchemaOf(projection)}; run "projections swap ${name}" to put it live`,
    );
    return 0;
  }
  if (command === 'swap') {
    const { archiveSchema, position } = await swapProjection(ctx, projection);
    out(
      `swapped ${name}: live tables now rebuilt up to position ${position}; old tables kept in schema ${archiveSchema}`,
    );
    return 0;
  }
  const report = await auditProjection(ctx, projection);
  printSummary(out, report.rebuild);
  for (const live of report.live)
    out(`live    ${live.table}: ${live.rows} rows, checksum ${live.checksum}`);
  for (const d of report.differences) {
    out(
      JSON.stringify({
        table: d.table,
        kind: d.kind,
        key: d.key,
        live: d.live,
        rebuilt: d.rebuilt,
      }),
    );
  }
  if (report.differenceCount > report.differences.length) {
    out(`... and ${report.differenceCount - report.differences.length} more differing rows`);
  }
  out(
    report.differenceCount === 0
      ? `audit ${name}: identical`
      : `audit ${name}: ${report.differenceCount} differing rows`,
  );
  return report.differenceCount === 0 ? 0 : 1;
}

/** Prints every event of one stream, with metadata, as JSON lines. */
export async function runHistoryCli(
  args: string[],
  deps: { store: Pick<EventStore, 'readStream'>; out: (line: string) => void },
): Promise<number> {
  const [streamId] = args;
  if (!streamId) {
    deps.out('usage: history <stream-id>');
    return 2;
  }
  const events = await deps.store.readStream(streamId);
  for (const event of events) deps.out(JSON.stringify(toWireEvent(event)));
  if (events.length === 0) {
    deps.out(`no events in stream ${streamId}`);
    return 1;
  }
  return 0;
}

async function list(deps: CliDependencies): Promise<number> {
  for (const projection of deps.projections) {
    const checkpoint = await inTransaction(deps.pool, 'public', async (client) => {
      const exists = await client.query(
        `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'projection_checkpoints'`,
        [projection.schema],
      );
      return exists.rowCount === 0
        ? null
        : readCheckpoint(client, projection.schema, projection.name);
    });
    const lag = checkpoint === null ? null : await countAfter(deps.store, projection, checkpoint);
    deps.out(
      `${projection.name.padEnd(32)} schema=${projection.schema} source=${projection.source} ` +
        (checkpoint === null ? 'not started' : `checkpoint=${checkpoint} lag=${lag} events`),
    );
  }
  return 0;
}

const LAG_COUNT_CAP = 100_000;

async function countAfter(
  store: EventStore,
  projection: ProjectionDefinition,
  after: bigint,
): Promise<string> {
  let count = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 10_000, filter: projection.filter });
    count += page.events.length;
    if (count >= LAG_COUNT_CAP) return `>=${LAG_COUNT_CAP}`;
    if (page.events.length < 10_000) return String(count);
    after = page.checkpoint;
  }
}

function printSummary(out: (line: string) => void, s: RebuildSummary): void {
  out(
    `rebuild ${s.projection}: ${s.eventsRead} events read, ${s.rowsWritten} rows written, ` +
      `${s.seconds.toFixed(2)} s, ${s.eventsPerSecond} events/s, position ${s.position}`,
  );
  for (const t of s.tables) out(`rebuilt ${t.table}: ${t.rows} rows, checksum ${t.checksum}`);
}
