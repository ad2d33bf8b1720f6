// `npm run projections -- list | rebuild <name> | audit <name> | swap <name>`
import { runProjectionsCli } from '@engagement/projections';
import { openPlatformOperations } from './platform-operations';

async function main(): Promise<number> {
  const ops = await openPlatformOperations();
  try {
    return await runProjectionsCli(process.argv.slice(2), {
      store: ops.store,
      pool: ops.pool,
      projections: ops.projections,
      out: (line) => process.stdout.write(`${line}\n`),
    });
  } finally {
    await ops.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`projections: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
