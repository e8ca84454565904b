/** At most `max` tasks at once; the others start in arrival order. */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idlers: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((start) => this.waiting.push(start));
    else this.running++;
    try {
      return await task();
    } finally {
      // A waiting task takes this slot over, so `running` stays the same.
      const next = this.waiting.shift();
      if (next) next();
      else if (--this.running === 0) for (const resolve of this.idlers.splice(0)) resolve();
    }
  }

  /** Resolves once no task runs or waits. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idlers.push(resolve));
  }
}
