import { RoundLoop } from './round-loop';

/** A loop whose rounds answer from a script, and a way to wait for the n-th round. */
function scripted(answers: Array<number | Error>) {
  const calls: number[] = [];
  const errors: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const loop = new RoundLoop({
    // Long enough that only wake() or a round with work moves it on.
    idleMs: 60_000,
    onError: (error) => errors.push(error.message),
    round: async () => {
      calls.push(calls.length + 1);
      for (const w of waiters.filter((w) => w.n <= calls.length)) w.resolve();
      const answer = answers.shift() ?? 0;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  const roundsDone = (n: number) =>
    calls.length >= n
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return { loop, calls, errors, roundsDone };
}

describe('RoundLoop', () => {
  it('runs the next round at once after work, and waits for wake() after none', async () => {
    const { loop, calls, roundsDone } = scripted([3, 2, 0, 1, 0]);
    loop.start();
    await roundsDone(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(3); // the third found nothing: the loop waits
    loop.wake();
    await roundsDone(5);
    await loop.stop();
    expect(calls).toHaveLength(5);
    expect(loop.stopped).toBe(true);
  });

  it('reports a failed round and tries again when woken', async () => {
    const { loop, errors, roundsDone } = scripted([new Error('database busy'), 0]);
    loop.start();
    await roundsDone(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['database busy']);
    loop.wake();
    await roundsDone(2);
    await loop.stop();
  });
});
