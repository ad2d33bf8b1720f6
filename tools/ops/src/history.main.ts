// `npm run history -- <stream-id>`: the stream's events with metadata, one
// JSON object per line; contact streams show personal data in clear while
// its key exists (placeholders once erased), and so do the fields events
// and messaging seal with a contact's key (null once erased; read with keys
// from the running contacts service).
import { runHistoryCli } from '@engagement/projections';
import { openPlatformOperations } from './platform-operations';

async function main(): Promise<number> {
  const ops = await openPlatformOperations();
  try {
    const store = {
      readStream: async (streamId: string) =>
        Promise.all((await ops.store.readStream(streamId)).map((event) => ops.readable(event))),
    };
    return await runHistoryCli(process.argv.slice(2), {
      store,
      out: (line) => process.stdout.write(`${line}\n`),
    });
  } finally {
    await ops.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`history: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
