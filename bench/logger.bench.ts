// Our JSON logger (libs/observability createLogger: deep key redaction and
// secrets masked inside strings) beside pino, the usual choice for NestJS
// hot paths, on the same log lines, in one process:
//   - pino with `redact` paths: what pino offers (fixed paths, no masking
//     inside strings, so a Bearer token in an error message goes out as is);
//   - pino with our redact() as its log formatter: pino doing the same job
//     as ours.
// Each writes to a sink that drops the bytes, so the figures are the cost of
// building and serialising a line. Since issue 13, createLogger itself is
// pino with our redact() as its formatter: the first and last contenders
// should then be close. Issue 13 asks to use a well-kept library
// where it does the job at least as fast; this says whether it does.
//   npm run bench -- logger     (BENCH_LINES, default 200000)
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger } from '@engagement/observability';
import { maskSecrets, redact } from '../libs/observability/src/redact';

const LINES = Number(process.env.BENCH_LINES ?? 200_000);

const fields = {
  method: 'POST',
  path: '/api/contacts',
  status: 201,
  durationMs: 4.2,
  apiKeyId: '78321205-3541-4076-850a-88956ffa1326',
  correlationId: 'b2f5e1b4-9a55-4c43-9d1e-1f6f0f3c9f61',
  upstream: { name: 'contacts', attempt: 1, headers: { authorization: 'Bearer abc.def.ghi' } },
  error: 'upstream answered 502 for Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
};

let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    bytes += chunk.length;
    done();
  },
});

function run(
  label: string,
  log: (i: number) => void,
): { label: string; linesPerSecond: number; microsPerLine: number } {
  for (let i = 0; i < 5_000; i++) log(i); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) log(i);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    label,
    linesPerSecond: Math.round(LINES / seconds),
    microsPerLine: Number(((seconds / LINES) * 1e6).toFixed(2)),
  };
}

const ours = createLogger('bench', { write: (line) => void sink.write(line) });
const pinoPaths = pino(
  {
    base: { service: 'bench' },
    redact: ['upstream.headers.authorization', '*.authorization', 'authorization'],
  },
  sink,
);
const pinoOurs = pino(
  {
    base: { service: 'bench' },
    formatters: { log: (object) => redact(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        if (typeof args[0] === 'object' && typeof args[1] === 'string')
          args[1] = maskSecrets(args[1]);
        method.apply(this, args as Parameters<typeof method>);
      },
    },
  },
  sink,
);

const contenders: [string, (i: number) => void][] = [
  ['ours (createLogger)', (i) => ours.info('request done', { ...fields, i })],
  ['pino, redact paths', (i) => pinoPaths.info({ ...fields, i }, 'request done')],
  ['pino + our redact()', (i) => pinoOurs.info({ ...fields, i }, 'request done')],
];
// Two rounds, interleaved, the better of each kept: the machine is shared and noisy.
const rounds = [
  contenders.map(([label, log]) => run(label, log)),
  contenders.map(([label, log]) => run(label, log)),
];
const results = rounds[0]!.map((first, i) =>
  first.linesPerSecond >= rounds[1]![i]!.linesPerSecond ? first : rounds[1]![i]!,
);

// What each puts on the line for the secret inside a message string.
const leak = (write: (w: Writable) => void) => {
  let line = '';
  const capture = new Writable({
    write(chunk: Buffer, _e, done) {
      line += chunk.toString();
      done();
    },
  });
  write(capture);
  return line.includes('eyJhbGciOiJIUzI1NiJ9') ? 'leaks the Bearer token in `error`' : 'masks it';
};
const leaks = {
  ours: leak((w) => createLogger('x', { write: (l) => void w.write(l) }).info('m', fields)),
  pinoPaths: leak((w) => pino({ redact: ['*.authorization'] }, w).info(fields, 'm')),
};

const baseline = results[0]!.linesPerSecond;
console.log(`logger: ${LINES} lines each, ${(bytes / 1e6).toFixed(0)} MB written to a null sink`);
for (const r of results) {
  console.log(
    `  ${r.label.padEnd(24)} ${String(r.linesPerSecond).padStart(9)} lines/s  ${r.microsPerLine} µs/line  ${(r.linesPerSecond / baseline).toFixed(2)}x ours`,
  );
}
console.log(
  `  secrets inside strings: ours ${leaks.ours}; pino with redact paths ${leaks.pinoPaths}`,
);
console.log(JSON.stringify({ bench: 'logger', lines: LINES, results, leaks }));
