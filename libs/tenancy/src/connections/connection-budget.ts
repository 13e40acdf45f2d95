import { TenantConnectionsExhausted } from './tenant-connections-exhausted.error';

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

/**
 * The process-wide cap on connections to tenant databases, whatever the number of tenants. A
 * connection holds a permit from before it connects until it has closed, so the cap counts every
 * socket the server sees. When none is free, `reclaim` is asked to close an idle connection
 * elsewhere; waiters are served first come, first served, and give up after `acquireTimeoutMs`.
 */
export class ConnectionBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  /** Connections already being closed for waiters: asking for more would close one too many. */
  private reclaiming = 0;

  /** `reclaim` closes one idle connection somewhere and says whether it found one. */
  constructor(
    readonly capacity: number,
    private readonly acquireTimeoutMs: number,
    private readonly reclaim: () => boolean,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('the connection cap must be at least 1');
  }

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Whether a connection could be opened now without waiting or closing another one. */
  hasRoom(): boolean {
    return this.waiters.length === 0 && this.used < this.capacity;
  }

  acquire(): Promise<void> {
    if (this.hasRoom()) {
      this.used += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(
            new TenantConnectionsExhausted(`all ${this.capacity} tenant connections of this process stayed busy for ${this.acquireTimeoutMs} ms; try again shortly`),
          );
          this.serveWaiters();
        }, this.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
      this.relieve();
    });
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
    this.reclaiming = Math.max(0, this.reclaiming - 1);
    this.serveWaiters();
  }

  /** Closes idle connections for the permits waiters still lack (called too when a connection goes idle). */
  relieve(): void {
    let missing = this.used + this.waiters.length - this.capacity - this.reclaiming;
    while (missing > 0 && this.reclaim()) {
      this.reclaiming += 1;
      missing -= 1;
    }
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.used < this.capacity) {
      const waiter = this.waiters.shift() as Waiter;
      this.used += 1;
      waiter.grant();
    }
  }
}
