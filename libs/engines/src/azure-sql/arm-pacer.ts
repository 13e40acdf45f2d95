import { setTimeout as sleep } from 'node:timers/promises';

/** ARM's three subscription buckets: GET/HEAD are reads, DELETE deletes, the rest writes. */
export type ArmRequestKind = 'reads' | 'writes' | 'deletes';

export interface TokenBucketLimit {
  burst: number;
  perSecond: number;
}

export type ArmRateLimits = Record<ArmRequestKind, TokenBucketLimit>;

/**
 * ARM's limits since its 2024 move to regional token buckets: per subscription, per principal, per
 * operation type, "Subscription reads 250 bucket size, 25 refill rate per sec; deletes 200, 10;
 * writes 200, 10", answered 429 with Retry-After beyond them, and each answer says what is left in
 * x-ms-ratelimit-remaining-subscription-reads / -writes / -deletes.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 */
export const ARM_RATE_LIMITS: ArmRateLimits = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
  deletes: { burst: 200, perSecond: 10 },
};

export function armRequestKind(method: string): ArmRequestKind {
  if (method === 'GET' || method === 'HEAD') return 'reads';
  return method === 'DELETE' ? 'deletes' : 'writes';
}

/** A clock the pacer reads and sleeps on; tests pass a fake one. */
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: PacerClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

// After a 429 the refill this process allows itself is halved (down to this share of ARM's), and
// creeps back by this share for each request ARM takes: other processes draw on the same bucket.
const FLOOR_SHARE = 1 / 16;
const RECOVERY_SHARE = 1 / 100;

class Bucket {
  private tokens: number;
  private refilledAt: number;
  private perSecond: number;
  private pausedUntil = 0;
  // Requests let through and not answered yet: ARM's bucket has not spent their tokens yet, and stops refilling at its size all the same.
  private inFlight = 0;
  // Waiters in arrival order, so a request is not starved by later ones.
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: TokenBucketLimit,
    private readonly clock: PacerClock,
  ) {
    this.tokens = limit.burst;
    this.perSecond = limit.perSecond;
    this.refilledAt = clock.now();
  }

  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  settled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /** ARM's own count of what is left is the truth: other processes and principals draw on it too. */
  observeRemaining(remaining: number): void {
    this.refill();
    this.tokens = Math.min(this.tokens, remaining);
  }

  accepted(): void {
    this.perSecond = Math.min(this.limit.perSecond, this.perSecond + this.limit.perSecond * RECOVERY_SHARE);
  }

  /** ARM refused: nothing is sent before its Retry-After, and this process draws more slowly for a while. */
  throttled(retryAfterMs: number): void {
    this.refill();
    this.tokens = 0;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + retryAfterMs);
    this.perSecond = Math.max(this.limit.perSecond * FLOOR_SHARE, this.perSecond / 2);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(Math.max(0, this.limit.burst - this.inFlight), this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      this.refill();
      const paused = this.pausedUntil - this.clock.now();
      if (paused > 0) {
        await this.clock.sleep(paused);
        continue;
      }
      if (this.tokens >= 1) {
        this.tokens -= 1;
        this.inFlight += 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
    }
  }
}

/**
 * Paces this process's ARM requests so that they stay inside ARM's buckets instead of being answered
 * 429: one token bucket per subscription and request kind mirroring ARM's, fed by the remaining
 * counts ARM reports and by its 429s. Every ARM request of the process goes through the one pacer
 * (a pipeline policy, see arm-pipeline.ts), so a burst of tenants queues here, not at ARM.
 */
export class ArmPacer {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: ArmRateLimits = ARM_RATE_LIMITS,
    private readonly clock: PacerClock = REAL_CLOCK,
  ) {}

  /** Waits for a token of the request's bucket; each token taken is given back to `observe` once the request is over, answered or not. */
  take(subscription: string, kind: ArmRequestKind): Promise<void> {
    return this.bucket(subscription, kind).take();
  }

  /** What ARM said about a request let through (nothing, when none came): the count left in its bucket, and whether it refused it (429, with its wait). */
  observe(subscription: string, kind: ArmRequestKind, answer: { remaining?: number; throttledForMs?: number } | undefined): void {
    const bucket = this.bucket(subscription, kind);
    bucket.settled();
    if (!answer) return;
    if (answer.remaining !== undefined) bucket.observeRemaining(answer.remaining);
    if (answer.throttledForMs === undefined) bucket.accepted();
    else bucket.throttled(answer.throttledForMs);
  }

  private bucket(subscription: string, kind: ArmRequestKind): Bucket {
    const key = `${subscription.toLowerCase()}:${kind}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Bucket(this.limits[kind], this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
