import { AZURE_TRANSIENT_RETRY, type RetryAdvice, withTransientRetry } from './transient-retry';

class Passing extends Error {}
class Lasting extends Error {}

/** Fails with `failures` in turn, then answers 'done'; records when each try started. */
function flaky(failures: Error[]) {
  const at: number[] = [];
  return {
    at,
    work: async () => {
      at.push(performance.now());
      const failure = failures.shift();
      if (failure) throw failure;
      return 'done';
    },
  };
}

const gaps = (at: number[]) => at.slice(1).map((time, i) => time - at[i]);
const byKind = (failure: { error: unknown } | { value: unknown }): RetryAdvice => ('error' in failure && failure.error instanceof Passing ? 'backoff' : 'give-up');

describe('withTransientRetry', () => {
  it('follows Microsoft’s numbers by default: 5 s first, doubling to 60 s, for three minutes', () => {
    expect(AZURE_TRANSIENT_RETRY).toEqual({ firstDelayMs: 5_000, maxDelayMs: 60_000, budgetMs: 180_000 });
  });

  it('waits the first delay, then doubles it up to the cap, and answers once the fault passes', async () => {
    const { at, work } = flaky([new Passing(), new Passing(), new Passing(), new Passing()]);
    await expect(withTransientRetry({ firstDelayMs: 40, maxDelayMs: 100, budgetMs: 60_000 }, byKind, work)).resolves.toBe('done');
    expect(at).toHaveLength(5);
    const [first, second, third, fourth] = gaps(at);
    expect(first).toBeGreaterThanOrEqual(39);
    expect(second).toBeGreaterThanOrEqual(79);
    // Capped: 160 and 320 would be next.
    expect(third).toBeGreaterThanOrEqual(99);
    expect(fourth).toBeGreaterThanOrEqual(99);
  });

  it('does not try again what may not pass', async () => {
    const { at, work } = flaky([new Lasting('no such login')]);
    await expect(withTransientRetry({ firstDelayMs: 10, maxDelayMs: 10, budgetMs: 60_000 }, byKind, work)).rejects.toThrow('no such login');
    expect(at).toHaveLength(1);
  });

  it('waits what the server asked for, but never more than the cap', async () => {
    const { at, work } = flaky([new Passing(), new Passing()]);
    const asked = (failure: { error: unknown } | { value: unknown }): RetryAdvice => ('error' in failure ? { afterMs: at.length === 1 ? 60 : 3_600_000 } : 'give-up');
    await withTransientRetry({ firstDelayMs: 1, maxDelayMs: 150, budgetMs: 60_000 }, asked, work);
    const [first, second] = gaps(at);
    expect(first).toBeGreaterThanOrEqual(59);
    // An hour asked for; the cap (150 ms) was waited instead.
    expect(second).toBeGreaterThanOrEqual(149);
    expect(second).toBeLessThan(3_600_000);
  });

  it('starts no try once its budget has passed, and then gives the last failure', async () => {
    const failures = Array.from({ length: 50 }, (_, i) => new Passing(`fault ${i + 1}`));
    const { at, work } = flaky(failures);
    const attempt = withTransientRetry({ firstDelayMs: 100, maxDelayMs: 100, budgetMs: 350 }, byKind, work);
    await expect(attempt).rejects.toThrow(/^fault \d+$/);
    // Each wait is at least 100 ms, so at most four tries fit in 350 ms (fewer on a busy machine).
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect(at.length).toBeLessThanOrEqual(4);
    await expect(attempt).rejects.toThrow(`fault ${at.length}`);
  });

  it('treats a result the advice calls a failure as one, and returns the last such result when it gives up', async () => {
    let tries = 0;
    const busy = async () => ({ status: ++tries < 3 ? 503 : 200 });
    const advise = (failure: { error: unknown } | { value: { status: number } }): RetryAdvice =>
      'value' in failure && failure.value.status === 503 ? 'backoff' : 'give-up';
    expect(await withTransientRetry({ firstDelayMs: 5, maxDelayMs: 5, budgetMs: 60_000 }, advise, busy)).toEqual({ status: 200 });
    expect(tries).toBe(3);
    tries = -100;
    expect(await withTransientRetry({ firstDelayMs: 50, maxDelayMs: 50, budgetMs: 120 }, advise, busy)).toEqual({ status: 503 });
  });
});
