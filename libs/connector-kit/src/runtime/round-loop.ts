// The connector's background workers (the push loop, the inbound applier)
// work in rounds: a round that found work is followed by the next at once,
// one that found none by a pause of idleMs that wake() cuts short. A failed
// round is reported and tried again after the pause; stop() lets the round
// under way finish.
export class RoundLoop {
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly options: {
      round: () => Promise<number>;
      idleMs: number;
      onError: (error: Error) => void;
    },
  ) {}

  /** True once stop() was called: a long round ends early. */
  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopping) {
        let worked = 0;
        try {
          worked = await this.options.round();
        } catch (error) {
          this.options.onError(error as Error);
        }
        if (worked === 0 && !this.stopping) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.options.idleMs);
            this.wakeUp = () => {
              clearTimeout(timer); // a stopped loop leaves no timer behind
              resolve();
            };
          });
          this.wakeUp = null;
        }
      }
    })();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
  }
}
