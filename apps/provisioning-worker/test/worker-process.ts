import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RawEnv } from '@tenantry/common';
import { childProcessEnv } from '@tenantry/testing';

const entry = join(__dirname, '../../../dist/apps/provisioning-worker/src/main.js');

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the worker consumes the queue. */
  ready: Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

/** A real worker process (the built one), so a crash test kills a process, not an exception. */
export function spawnWorker(env: RawEnv): WorkerProcess {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [entry], {
    env: childProcessEnv({
      QUEUE_LOCK_DURATION_MS: '1000',
      QUEUE_STALLED_INTERVAL_MS: '300',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_AFTER_MS: '1500',
      SHUTDOWN_TIMEOUT_MS: '3000',
      WORKER_METRICS_PORT: '0',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => output.includes('consuming tenant-operations') && resolve());
    void exited.then(() => reject(new Error(`worker exited before it was ready:\n${output}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    exited,
    ready,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
