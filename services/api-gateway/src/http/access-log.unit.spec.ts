import { flushAccessLog, writeAccessLog } from './access-log';

describe('access log', () => {
  it('writes one JSON line per request, batched on the next turn of the event loop', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const entry = {
        method: 'GET',
        path: '/api/contacts/a"b\\c',
        status: 200,
        durationMs: 3,
        apiKeyId: '1e119164-64ab-4c3a-9638-6c6e98f9cb23',
        correlationId: 'corr-1',
      };
      writeAccessLog(entry);
      writeAccessLog({ ...entry, status: 401, apiKeyId: null });
      expect(writes).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(writes).toHaveLength(1);

      const lines = writes[0]!.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[2]).toBe('');
      const first = JSON.parse(lines[0]!) as Record<string, unknown>;
      // The shape of every other line the gateway logs (Nest's ConsoleLogger, json: true).
      expect(Object.keys(first)).toEqual(['level', 'pid', 'timestamp', 'message', 'context']);
      expect(first).toMatchObject({ level: 'log', pid: process.pid, context: 'http' });
      expect(first.message).toEqual(entry);
      expect(JSON.parse(lines[1]!)).toMatchObject({ message: { status: 401, apiKeyId: null } });

      flushAccessLog(); // nothing left
      expect(writes).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});
