export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before it lets one trial through. */
  openMs: number;
}

/**
 * The hand-written circuit breaker the tenant cache used until cockatiel replaced it (issue 12),
 * kept only as the baseline bench:resolver-hit measures cockatiel's against. After
 * `failureThreshold` failures in a row it refuses for `openMs`, then lets a single trial call decide.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: BreakerState = 'closed';

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go to the dependency now; a true in half-open state is the one trial. */
  allows(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.openMs) this.current = 'half-open';
    if (this.current === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return true;
    }
    return false;
  }

  succeeded(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.current = 'closed';
  }

  failed(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.current === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.now();
    }
  }
}
