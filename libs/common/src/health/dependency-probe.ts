import { withTimeout } from '../util/with-timeout';

export type DependencyState = 'up' | 'down';

/** Whether a dependency answers within the bound; it never throws, so one probe cannot fail a health answer. */
export async function probeDependency(check: () => Promise<unknown>, timeoutMs = 1_500): Promise<DependencyState> {
  try {
    await withTimeout(check(), timeoutMs, 'health check');
    return 'up';
  } catch {
    return 'down';
  }
}

/** A health answer: `ok` (200) when every dependency is up, else `degraded` (503) with which one is down. */
export function healthReport<T extends Record<string, DependencyState>>(checks: T): { httpStatus: 200 | 503; body: { status: 'ok' | 'degraded'; checks: T } } {
  const ok = Object.values(checks).every((state) => state === 'up');
  return { httpStatus: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', checks } };
}
