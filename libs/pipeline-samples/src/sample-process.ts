// Starts one of the sample processes (writer, relay, consumer) as a child
// process, the way a service runs: its own Node 24, TypeScript through
// @swc-node/register. Tests and the benchmark use it to see the pipeline
// across real process boundaries, and to kill a process at any moment.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findWorkspaceRoot } from '@engagement/config';

export type SampleProcessKind = 'writer' | 'relay' | 'consumer';
export type ReportLine = Record<string, unknown>;

export interface SampleProcess {
  readonly kind: SampleProcessKind;
  readonly pid: number;
  /** The process's first `{"ready": ...}` line; rejects if it exits first. */
  readonly ready: Promise<ReportLine>;
  /** Resolves when the process has exited, however. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Called with every JSON line it prints on stdout from now on. */
  onReport(listener: (line: ReportLine) => void): void;
  /** The last lines it wrote on stderr (its logs), for failure messages and checks. */
  logs(): string;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAX_LOG_CHARS = 200_000;

/** `args` become `--name value`; `env` is added to this process's environment. */
export function startSampleProcess(
  kind: SampleProcessKind,
  args: Record<string, string | number>,
  env: NodeJS.ProcessEnv = {},
): SampleProcess {
  const root = findWorkspaceRoot(__dirname);
  const file = join(__dirname, `sample-${kind}.main.ts`);
  const argv = Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)]);
  const child = spawn(
    join(root, 'node_modules/.bin/node'),
    ['-r', '@swc-node/register', file, ...argv],
    {
      cwd: root,
      env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let logs = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    logs = (logs + chunk).slice(-MAX_LOG_CHARS);
  });
  const listeners: ((line: ReportLine) => void)[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<ReportLine>((resolve, reject) => {
    listeners.push((line) => {
      if ('ready' in line) resolve(line);
    });
    void exited.then(({ code, signal }) =>
      reject(
        new Error(
          `sample ${kind} exited (code ${code}, signal ${signal}) before it was ready:\n${logs.slice(-4_000)}`,
        ),
      ),
    );
  });
  ready.catch(() => undefined); // observed by whoever awaits it
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return; // not a report
    }
    if (typeof line === 'object' && line !== null)
      for (const listener of listeners) listener(line as ReportLine);
  });

  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    kind,
    pid: child.pid!,
    ready,
    exited,
    onReport: (listener) => listeners.push(listener),
    logs: () => logs,
    kill: (signal) => {
      if (!hasExited) child.kill(signal);
    },
    stop: async (timeoutMs = 20_000) => {
      if (!hasExited) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
