import type { RegistryRepositories } from '@tenantry/registry';

/**
 * Keeps a run's lease alive while its runner works, renewing it at a third of its length so that
 * one late or failed renewal does not lose it. A runner that dies stops renewing, and the run
 * reads as abandoned once the lease lapses.
 */
export class RunLease {
  private readonly timer: NodeJS.Timeout;

  constructor(runs: RegistryRepositories['migrationRuns'], runId: string, leaseMs: number, onError: (error: unknown) => void) {
    this.timer = setInterval(() => void runs.renewLease(runId, leaseMs).catch(onError), Math.floor(leaseMs / 3));
    this.timer.unref();
  }

  release(): void {
    clearInterval(this.timer);
  }
}
