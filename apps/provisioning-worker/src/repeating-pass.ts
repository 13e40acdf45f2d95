import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/**
 * A worker's background pass (reconciliation, sweeps, the pooler budget): run every `interval()`
 * milliseconds from start-up (never when it is 0 or less), never two at once (a call while one runs
 * shares it), and waited for at shutdown. The timer does not hold the process open.
 */
export abstract class RepeatingPass implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  /** Milliseconds between passes; 0 or less: none on a timer. */
  protected abstract interval(): number;

  /** One pass; how much it did. It reports its own failures rather than throw. */
  protected abstract pass(): Promise<number>;

  onApplicationBootstrap(): void {
    const every = this.interval();
    if (every <= 0) return;
    this.timer = setInterval(() => void this.once(), every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass now, or the one running. */
  protected once(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }
}
