// Runs the benchmarks in bench/: every `<name>.bench.ts` by default, or only
// the names given (`npm run bench -- event-store`). Each runs in its own
// process, `node -r @swc-node/register bench/<name>.bench.ts`, with
// SWC_NODE_PROJECT=bench/tsconfig.json so that swc applies tsconfig.base.json
// (decorators, decorator metadata, and the `@engagement/*` paths: there is no
// root tsconfig.json for @swc-node/register to find on its own).
// Exits non-zero if a benchmark failed (an error, not a missed goal).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `bench: Node ${process.versions.node} is too old; run it with \`npm run bench\` (Node 24).`,
  );
  process.exit(1);
}

const available = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();
const requested = process.argv
  .slice(2)
  .map((arg) => arg.replace(/\.bench\.ts$/, '').replace(/^bench\//, ''));
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(
    `bench: unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`,
  );
  process.exit(1);
}
const names = requested.length > 0 ? requested : available;

const failed = [];
for (const name of names) {
  const file = join(benchDir, `${name}.bench.ts`);
  console.log(`\n=== bench: ${name} (${relative(root, file)}) ===`);
  const started = Date.now();
  // As the services run (infra/services.mjs): kafkajs's negative-delay warning silenced.
  const flags = ['--disable-warning=TimeoutNegativeWarning', '-r', '@swc-node/register'];
  const result = spawnSync(process.execPath, [...flags, file], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SWC_NODE_PROJECT: join(benchDir, 'tsconfig.json') },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status === 0) {
    console.log(`=== bench: ${name} done in ${seconds} s ===`);
  } else {
    const why = result.error
      ? result.error.message
      : result.signal
        ? `signal ${result.signal}`
        : `exit code ${result.status}`;
    console.error(`=== bench: ${name} FAILED (${why}) after ${seconds} s ===`);
    failed.push(name);
  }
}
if (failed.length > 0) {
  console.error(`bench: failed: ${failed.join(', ')}`);
  process.exit(1);
}
