// A progress line for long operator runs: redrawn in place on a terminal,
// one line every few seconds when the output is a file or a pipe.
export interface ProgressReporter {
  update(done: number, total: number | null): void;
  finish(): void;
}

export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  const started = Date.now();
  let lastDraw = 0;
  const interactive = Boolean(stream.isTTY);
  const line = (done: number, total: number | null) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = Math.round(done / seconds);
    if (total === null || total === 0) return `${label} ${done} events, ${rate} events/s`;
    const ratio = Math.min(done / total, 1);
    const width = 30;
    const filled = Math.round(ratio * width);
    const eta = rate > 0 ? Math.max(Math.round((total - done) / rate), 0) : 0;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(1)}% ${done}/${total} events, ${rate} events/s, eta ${eta}s`;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - lastDraw < (interactive ? 100 : 5_000)) return;
      lastDraw = now;
      if (interactive) stream.write(`\r${line(done, total)}\x1b[K`);
      else stream.write(`${line(done, total)}\n`);
    },
    finish() {
      if (interactive) stream.write('\n');
    },
  };
}
