import { join } from 'node:path';
import type { RawEnv } from '@tenantry/common';
import { spawnBuiltApp, type BuiltApp } from '@tenantry/testing';

const entry = join(__dirname, '../../../dist/apps/provisioning-worker/src/main.js');

export type WorkerProcess = BuiltApp;

/** A real worker process (the built one), so a crash test kills a process, not an exception; ready once it consumes the queue. */
export function spawnWorker(env: RawEnv): WorkerProcess {
  return spawnBuiltApp(
    entry,
    {
      QUEUE_LOCK_DURATION_MS: '1000',
      QUEUE_STALLED_INTERVAL_MS: '300',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_AFTER_MS: '1500',
      SHUTDOWN_TIMEOUT_MS: '3000',
      WORKER_METRICS_PORT: '0',
      ...env,
    },
    /consuming tenant-operations/,
  );
}
