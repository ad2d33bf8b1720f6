// `npm run connectors -- resync <hubspot|gohighlevel> [--since <ISO 8601>]`:
// reconciliation with a CRM, run by its connector (POST
// /integrations/<crm>/resync, the same as the admin API): a progress bar
// while it pages through the CRM's contacts, then its report (compared,
// created, updated, unchanged, conflicts, unlinked, deleted, skipped,
// errors). The connector saves its cursor after every page: stopping this
// tool does not stop the run, and a restarted connector resumes it.
// `npm run connectors -- resync-status <crm> <run-id>` shows a run's report.
// The connector is found at CONNECTOR_<CRM>_URL, else where `npm start`
// runs it (.data/platform.json); the call is signed with the platform's
// service token key (PLATFORM_TOKEN_SECRET or .data/platform-token.key).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { findWorkspaceRoot } from '@engagement/config';
import { progressBar } from '@engagement/projections';
import { loadServiceTokenKey, signServiceToken } from '@engagement/service-auth';

const PROVIDERS = ['hubspot', 'gohighlevel'] as const;
const DEFAULT_PORTS: Record<string, number> = { hubspot: 3104, gohighlevel: 3105 };

interface ResyncReport {
  runId: string;
  status: 'running' | 'done' | 'failed';
  since: string | null;
  pages: number;
  counts: Record<string, number>;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

function connectorUrl(provider: string): string {
  const configured = process.env[`CONNECTOR_${provider.toUpperCase()}_URL`];
  if (configured) return configured.split(',')[0]!;
  try {
    const state = JSON.parse(readFileSync(join(findWorkspaceRoot(), '.data', 'platform.json'), 'utf8')) as {
      services?: { name: string; url: string }[];
    };
    const own = state.services?.find((s) => s.name === `connector-${provider}`);
    if (own) return own.url;
  } catch {
    /* not started by npm start */
  }
  return `http://127.0.0.1:${DEFAULT_PORTS[provider]}`;
}

async function call<T>(provider: string, method: string, path: string, body?: unknown): Promise<T> {
  const token = signServiceToken(loadServiceTokenKey(), {
    subject: 'service:ops',
    actor: 'ops:connectors-cli',
    scopes: ['admin'],
    audience: `connector-${provider}`,
    requestId: randomUUID(),
  });
  const response = await fetch(`${connectorUrl(provider)}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    const problem = (() => {
      try {
        return JSON.parse(text) as { detail?: string; title?: string };
      } catch {
        return {};
      }
    })();
    throw new Error(`${method} ${path}: ${response.status} ${problem.detail ?? problem.title ?? text.slice(0, 200)}`);
  }
  return JSON.parse(text) as T;
}

export function reportLines(report: ResyncReport): string[] {
  const c = report.counts;
  const n = (k: string) => String(c[k] ?? 0);
  return [
    `resync ${report.runId}: ${report.status}${report.since ? ` (since ${report.since})` : ' (full)'}, ${report.pages} page(s)`,
    `  compared ${n('compared')}  created ${n('created')}  updated ${n('updated')}  unchanged ${n('unchanged')}`,
    `  conflicts ${n('conflicts')}  unlinked ${n('unlinked')}  deleted ${n('deleted')}  skipped ${n('skipped')}  errors ${n('errors')}`,
    ...(report.error ? [`  error: ${report.error}`] : []),
  ];
}

function checkProvider(provider: string): void {
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw new Error(`unknown CRM "${provider}" (one of ${PROVIDERS.join(', ')})`);
}

async function resync(provider: string, since: string | undefined): Promise<number> {
  checkProvider(provider);
  if (since !== undefined && Number.isNaN(Date.parse(since))) throw new Error(`--since "${since}" is not an ISO 8601 time`);
  const { runId } = await call<{ runId: string }>(provider, 'POST', `/integrations/${provider}/resync`, since ? { since } : {});
  const bar = progressBar(`resync ${provider}`);
  let report: ResyncReport;
  for (;;) {
    report = await call<ResyncReport>(provider, 'GET', `/integrations/${provider}/resync/${runId}`);
    bar.update(report.counts.compared ?? 0, null);
    if (report.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  bar.finish();
  for (const line of reportLines(report)) process.stdout.write(`${line}\n`);
  return report.status === 'done' && (report.counts.errors ?? 0) === 0 ? 0 : 1;
}

async function status(provider: string, runId: string): Promise<number> {
  checkProvider(provider);
  const report = await call<ResyncReport>(provider, 'GET', `/integrations/${provider}/resync/${runId}`);
  for (const line of reportLines(report)) process.stdout.write(`${line}\n`);
  return report.status === 'done' ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('connectors').description('the CRM connectors: reconciliation with a CRM').exitOverride();
  program
    .command('resync <crm>')
    .description('page through the CRM contacts and apply the differences (full, or --since a time)')
    .option('--since <time>', 'only records modified at or after this ISO 8601 time')
    .action(async (crm: string, options: { since?: string }) => {
      code = await resync(crm, options.since);
    });
  program
    .command('resync-status <crm> <run-id>')
    .description("a resync run's progress and report")
    .action(async (crm: string, runId: string) => {
      code = await status(crm, runId);
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`connectors: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
