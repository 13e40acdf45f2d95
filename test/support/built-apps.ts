import type { RawEnv } from '@tenantry/common';
import { spawnBuiltApp, type BuiltApp } from '@tenantry/common/testing';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository's root, found from here whether this runs from the sources (tests) or compiled into dist-bench (benchmarks). */
function repositoryRoot(from: string): string {
  return existsSync(join(from, 'package.json')) || dirname(from) === from ? from : repositoryRoot(dirname(from));
}

const dist = join(repositoryRoot(__dirname), 'dist');

/** Each process's entry point in the build (`npm run build`; npm test builds first). */
export const BUILT = {
  adminApi: join(dist, 'apps/admin-api/src/main.js'),
  worker: join(dist, 'apps/provisioning-worker/src/main.js'),
  migrationRunner: join(dist, 'apps/migration-runner/src/main.js'),
  drift: join(dist, 'apps/migration-runner/src/cli/drift.js'),
  businessApi: join(dist, 'apps/sample-business-api/src/main.js'),
  mintToken: join(dist, 'scripts/mint-token.js'),
} as const;

/** The built admin API on a free port; `(await app.ready)[1]` is its URL. */
export function spawnAdminApi(env: RawEnv): BuiltApp {
  return spawnBuiltApp(BUILT.adminApi, { ADMIN_API_PORT: '0', ...env }, /admin-api listening on (http:\/\/\S+)\s/);
}

/** The built sample business service on a free port; `(await app.ready)[1]` is its URL. */
export function spawnBusinessApi(env: RawEnv): BuiltApp {
  return spawnBuiltApp(BUILT.businessApi, { BUSINESS_API_PORT: '0', ...env }, /sample-business-api listening on (http:\/\/\S+)\s/);
}

/** The built worker, ready once it consumes the queue; `(await app.ready)[1]` is its metrics URL. */
export function spawnBuiltWorker(env: RawEnv): BuiltApp {
  return spawnBuiltApp(BUILT.worker, { WORKER_METRICS_PORT: '0', ...env }, /consuming tenant-operations; metrics on (http:\/\/\S+)\s/);
}

export type WorkerProcess = BuiltApp;

/** A worker for crash tests (a crash kills a process, not an exception): short locks, stall checks and reconciles, so a takeover comes quickly. */
export function spawnWorker(env: RawEnv): WorkerProcess {
  return spawnBuiltWorker({
    QUEUE_LOCK_DURATION_MS: '1000',
    QUEUE_STALLED_INTERVAL_MS: '300',
    RECONCILE_INTERVAL_MS: '500',
    RECONCILE_AFTER_MS: '1500',
    SHUTDOWN_TIMEOUT_MS: '3000',
    ...env,
  });
}
