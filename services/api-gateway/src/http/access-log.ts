// The access log: one JSON line per request, in the shape the Nest
// ConsoleLogger's json mode gives every other line of ours
//   {"level":"log","pid":1,"timestamp":1,"message":{"method":..,"path":..,
//    "status":..,"durationMs":..,"apiKeyId":..,"correlationId":..},"context":"http"}
// but built as one string from known fields (the ConsoleLogger walks every
// value through a replacer) and not written on the request's path: lines
// wait in a buffer that one process.stdout.write empties on the next
// setImmediate (or sooner if it grows large), at shutdown, and at exit.
// stdout to a file or pipe is synchronous on Linux, so this is one write
// per event-loop turn instead of one per request.

export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  apiKeyId: string | null;
  correlationId: string;
}

/** Past this many buffered characters the buffer is written at once. */
const FLUSH_AT_CHARS = 64 * 1024;

let pending = '';
let scheduled = false;
let exitHooked = false;

export function writeAccessLog(entry: AccessLogEntry): void {
  // method and path come from the request line: quoted by JSON.stringify.
  // correlationId is a UUID or matched SANE_ID, apiKeyId a UUID: nothing to escape.
  pending +=
    `{"level":"log","pid":${process.pid},"timestamp":${Date.now()},"message":{` +
    `"method":${JSON.stringify(entry.method)},"path":${JSON.stringify(entry.path)},` +
    `"status":${entry.status},"durationMs":${entry.durationMs},` +
    `"apiKeyId":${entry.apiKeyId === null ? 'null' : `"${entry.apiKeyId}"`},` +
    `"correlationId":"${entry.correlationId}"},"context":"http"}\n`;
  if (pending.length >= FLUSH_AT_CHARS) {
    flushAccessLog();
  } else if (!scheduled) {
    scheduled = true;
    setImmediate(flushAccessLog);
  }
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', flushAccessLog);
  }
}

/** Writes what is buffered. */
export function flushAccessLog(): void {
  scheduled = false;
  if (pending === '') return;
  const chunk = pending;
  pending = '';
  process.stdout.write(chunk);
}
