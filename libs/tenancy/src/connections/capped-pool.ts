/** What a pool tells the connection manager as its connections come and go. */
export interface PoolWatcher {
  /** A connection has connected. */
  opened(): void;
  /** A connection has left the pool (closed idle, reclaimed, broken). */
  closed(): void;
  /** A connection went back to the pool: the moment to free a slot for whoever waits for one. */
  idle(): void;
}

/** A tenant pool of either engine, as the process-wide cap sees it. */
export interface CappedPool {
  /** Connections open or opening. */
  readonly totalCount: number;
  /** Open connections no query holds. */
  readonly idleCount: number;
  /** Closes the longest-idle connection, freeing its slot under the cap; false when none is idle. */
  closeLongestIdle(): boolean;
  watch(watcher: PoolWatcher): void;
}
