// `npm run gdpr -- erasure-status <contact-id>`: where a contact's erasure
// has been applied, per service and per CRM, and when; from the receipts
// each service appends once it has removed the contact's personal data
// (@engagement/personal-data erasure-receipts). The services expected to
// answer are those `npm start` runs (.data/platform.json), or the
// comma-separated ERASURE_SERVICES; one that has not yet is shown as
// pending, and the exit code is 1 until every one has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { findWorkspaceRoot } from '@engagement/config';
import { erasureReceipts, type ErasureReceipt } from '@engagement/personal-data';
import { openPlatformOperations } from './platform-operations';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function expectedServices(): string[] {
  if (process.env.ERASURE_SERVICES) return process.env.ERASURE_SERVICES.split(',').filter(Boolean);
  try {
    const state = JSON.parse(
      readFileSync(join(findWorkspaceRoot(), '.data', 'platform.json'), 'utf8'),
    ) as { services?: { name: string }[] };
    return (state.services ?? []).map((service) => service.name);
  } catch {
    return ['contacts'];
  }
}

/** One line per expected service and per receipt; `complete` when every expected service applied it. */
export function erasureReport(
  receipts: ErasureReceipt[],
  expected: string[],
): { lines: string[]; complete: boolean } {
  const lines: string[] = [];
  let complete = true;
  const services = [...new Set([...expected, ...receipts.map((r) => r.service)])];
  for (const service of services) {
    const own = receipts.filter((r) => r.service === service);
    if (own.length === 0) {
      complete = false;
      lines.push(`${service.padEnd(24)} ${'(own tables)'.padEnd(18)} pending`);
    }
    for (const receipt of own) {
      const where = receipt.target ?? '(own tables)';
      lines.push(
        `${service.padEnd(24)} ${where.padEnd(18)} applied ${receipt.appliedAt}  ${receipt.detail}`,
      );
    }
  }
  return { lines, complete };
}

async function erasureStatus(contactId: string): Promise<number> {
  if (!UUID.test(contactId)) {
    process.stderr.write(`gdpr: "${contactId}" is not a contact id (a UUID)\n`);
    return 2;
  }
  const ops = await openPlatformOperations();
  try {
    const receipts = await erasureReceipts(ops.store, contactId.toLowerCase());
    if (receipts.length === 0) {
      process.stdout.write(`contact ${contactId}: no erasure recorded\n`);
      return 1;
    }
    const report = erasureReport(receipts, expectedServices());
    process.stdout.write(`erasure of contact ${contactId}:\n`);
    for (const line of report.lines) process.stdout.write(`  ${line}\n`);
    process.stdout.write(report.complete ? 'applied everywhere\n' : 'not yet applied everywhere\n');
    return report.complete ? 0 : 1;
  } finally {
    await ops.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('gdpr')
    .description("personal data across the platform's services")
    .exitOverride();
  program
    .command('erasure-status <contact-id>')
    .description(
      'where the erasure of a contact has been applied, per service and CRM (exit 1 until everywhere)',
    )
    .action(async (contactId: string) => {
      code = await erasureStatus(contactId);
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
    process.stderr.write(`gdpr: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
