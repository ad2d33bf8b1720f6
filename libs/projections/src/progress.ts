// A progress bar for long operator runs (cli-progress): redrawn in place on
// a terminal; when the output is a file or a pipe, one plain line every few
// seconds instead, so logs of a CI run or a cron job stay readable.
import { SingleBar } from 'cli-progress';

export interface ProgressReporter {
  update(done: number, total: number | null): void;
  finish(): void;
}

export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  if (stream.isTTY) return terminalBar(label, stream);
  return plainLines(label, stream);
}

function terminalBar(label: string, stream: NodeJS.WriteStream): ProgressReporter {
  const begun = Date.now();
  let bar: SingleBar | null = null;
  let counting: boolean | null = null;
  return {
    update(done, total) {
      const known = total !== null && total > 0;
      if (bar === null || counting !== known) {
        bar?.stop();
        counting = known;
        bar = new SingleBar({
          stream,
          format: known
            ? `${label} [{bar}] {percentage}% {value}/{total} events, {speed} events/s, eta {eta}s`
            : `${label} {value} events, {speed} events/s`,
          barsize: 30,
          hideCursor: true,
        });
        bar.start(known ? total : 0, done, { speed: 0 });
      }
      if (known) bar.setTotal(total);
      bar.update(done, { speed: rate(done) });
    },
    finish() {
      bar?.stop();
    },
  };

  function rate(done: number): number {
    return Math.round(done / Math.max((Date.now() - begun) / 1000, 0.001));
  }
}

function plainLines(label: string, stream: NodeJS.WriteStream): ProgressReporter {
  const begun = Date.now();
  let lastLine = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - lastLine < 5_000) return;
      lastLine = now;
      const rate = Math.round(done / Math.max((now - begun) / 1000, 0.001));
      const of = total !== null && total > 0 ? `/${total}` : '';
      stream.write(`${label} ${done}${of} events, ${rate} events/s\n`);
    },
    finish() {},
  };
}
