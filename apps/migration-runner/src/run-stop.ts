/** Why a fleet run was asked to stop early, as recorded: `interrupted` (a signal) or `crashed` (a failure elsewhere in the process). */
export interface RunInterruption {
  status: 'interrupted' | 'crashed';
  /** Given as the reason of every tenant the run did not reach, e.g. "interrupted by SIGTERM". */
  reason: string;
}

/**
 * Stops a fleet run from outside. After `request`, no tenant starts; those in flight are waited
 * for until `released` (after `drainMs`, or at once on a second request). A crash outranks an
 * interruption, which cannot hide it.
 */
export class RunStop {
  private interruption?: RunInterruption;
  private timer?: NodeJS.Timeout;
  private release!: () => void;
  readonly released = new Promise<void>((resolve) => (this.release = resolve));

  get requested(): RunInterruption | undefined {
    return this.interruption;
  }

  request(interruption: RunInterruption, drainMs: number): void {
    if (!this.interruption || interruption.status === 'crashed') this.interruption = interruption;
    if (this.timer || drainMs === 0) {
      this.done();
      return;
    }
    this.timer = setTimeout(() => this.done(), drainMs);
    this.timer.unref();
  }

  /** The run ended: nothing is waited for any more. */
  done(): void {
    clearTimeout(this.timer);
    this.release();
  }
}
