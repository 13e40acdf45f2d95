import { ServiceUnavailableException } from '@nestjs/common';
import type {
  HealthCheckAttempt,
  HealthCheckResult,
  HealthCheckService,
  HealthCheckStatus,
  HealthIndicatorFunction,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';

/** How long a dependency may take to answer a health probe before it counts as down. */
export const HEALTH_PROBE_TIMEOUT_MS = 1_500;

export type DependencyState = 'up' | 'down';

/** `key` is up when `check` settles within the bound, down when it fails or takes longer. */
export function probe<K extends string>(indicators: HealthIndicatorService, key: K, check: () => Promise<unknown>): HealthCheckAttempt<K> {
  return indicators
    .check(key)
    .attempt(async () => {
      await check();
    })
    .withTimeout(HEALTH_PROBE_TIMEOUT_MS);
}

/**
 * Terminus runs the checks; the answers keep the shape orchestrators, the admission bench and the
 * README read (`status: ok | busy | degraded`, `checks: { name: up | down }`), which terminus's own
 * body (`status: ok | degraded | error | shutting_down`, `info`, `error`, `details`) cannot say:
 * its `degraded` (impaired, still 200) is our `busy`, its `error` our `degraded` (503).
 */
const ANSWERS: Record<HealthCheckStatus, { httpStatus: 200 | 503; status: 'ok' | 'busy' | 'degraded' }> = {
  ok: { httpStatus: 200, status: 'ok' },
  degraded: { httpStatus: 200, status: 'busy' },
  error: { httpStatus: 503, status: 'degraded' },
  shutting_down: { httpStatus: 503, status: 'degraded' },
};

export interface HealthAnswer<K extends string> {
  httpStatus: 200 | 503;
  status: 'ok' | 'busy' | 'degraded';
  /** Each indicator's result by its key. */
  details: HealthIndicatorResult<K>;
}

/** Runs `indicators` through terminus; a failed check is an answer (503), not an exception. */
export async function checkHealth<K extends string>(health: HealthCheckService, indicators: HealthIndicatorFunction[]): Promise<HealthAnswer<K>> {
  let result: HealthCheckResult;
  try {
    result = await health.check(indicators);
  } catch (error) {
    // Terminus reports a failed check by throwing a 503 whose body is the result.
    if (!(error instanceof ServiceUnavailableException)) throw error;
    result = error.getResponse() as HealthCheckResult;
  }
  return { ...ANSWERS[result.status], details: result.details as HealthIndicatorResult<K> };
}

/** The `checks` of an answer: each dependency up or down. */
export function dependencyStates<K extends string>(details: HealthIndicatorResult<K>): Record<K, DependencyState> {
  const entries = Object.entries(details) as Array<[K, { status: string }]>;
  return Object.fromEntries(entries.map(([key, { status }]) => [key, status === 'down' ? 'down' : 'up'])) as Record<K, DependencyState>;
}
