import { DelegateBackoff, type FailureReason, handleWhen, type IRetryBackoffContext, retry } from 'cockatiel';

/** How a fault that passes is waited out: the first wait, its cap as it doubles, and the time after which no new try starts. */
export interface TransientRetryOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  budgetMs: number;
}

/**
 * Microsoft's guidance for Azure SQL: "wait for 5 seconds before your first retry … For each
 * subsequent retry, the delay should grow exponentially, up to a maximum of 60 seconds", and "set a
 * maximum number of retries"; "most of these reconfiguration events finish in less than 60 seconds".
 * Three minutes of tries covers one such event with room to spare, and then the saga's own attempts
 * (each with its own backoff, the tenant lock let go in between) take over.
 * https://learn.microsoft.com/azure/azure-sql/database/troubleshoot-common-connectivity-issues
 */
export const AZURE_TRANSIENT_RETRY: TransientRetryOptions = { firstDelayMs: 5_000, maxDelayMs: 60_000, budgetMs: 3 * 60_000 };

/** What a failed try says about another: none, or one after the policy's backoff, or after the wait the server asked for (capped). */
export type RetryAdvice = 'give-up' | 'backoff' | { afterMs: number };

// A guard only: the budget ends the tries first.
const MAX_TRIES = 100;

/**
 * Runs `work`, and again after each failure (a thrown error, or a result `advise` calls a failure)
 * that `advise` says may pass, waiting firstDelayMs, then twice that, up to maxDelayMs (a little more
 * at random, so that clients hit by one fault do not all come back at once), or the server's wait
 * when it named one, never above maxDelayMs. No try starts once budgetMs has passed since the first;
 * then the last failure is the answer (thrown, or returned).
 */
export function withTransientRetry<T>(options: TransientRetryOptions, advise: (failure: FailureReason<T>) => RetryAdvice, work: () => Promise<T>): Promise<T> {
  const policy = retry(
    handleWhen((error) => advise({ error }) !== 'give-up').orWhenResult((value) => advise({ value: value as T }) !== 'give-up'),
    {
      maxAttempts: MAX_TRIES,
      backoff: new DelegateBackoff<IRetryBackoffContext<unknown>, number>((context, doublings = 0) => {
        const advice = advise(context.result as FailureReason<T>);
        const exponential = Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** doublings * (1 + Math.random() / 5));
        const delay = typeof advice === 'object' ? Math.min(options.maxDelayMs, Math.max(0, advice.afterMs)) : exponential;
        return { delay, state: doublings + 1 };
      }),
    },
  );
  let last: FailureReason<T> | undefined;
  return policy.execute(async ({ signal }) => {
    // The budget ran out during the wait: the failure before it stands, and nothing more is tried.
    if (signal.aborted && last) {
      if ('error' in last) throw last.error;
      return last.value;
    }
    try {
      const value = await work();
      last = { value };
      return value;
    } catch (error) {
      last = { error };
      throw error;
    }
  }, AbortSignal.timeout(options.budgetMs));
}
