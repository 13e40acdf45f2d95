import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { surviveConnectionErrors, withPoolClient } from '@tenantry/common';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';

const PROBE_TIMEOUT_MS = 1_500;

export interface RequestPoolState {
  /** Connections open. */
  size: number;
  idle: number;
  /** Requests waiting for a connection: the registry pool is saturated while this is above 0. */
  waiting: number;
}

/**
 * The registry's health: whether the admin database answers, asked on a connection of its own so
 * that a burst queueing for the request pool does not read as the database being down, and how
 * busy that request pool is.
 */
@Injectable()
export class RegistryHealth implements OnApplicationShutdown {
  private readonly probe: Pool;
  private pinging?: Promise<void>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    const { url } = dataSource.options as { url: string };
    this.probe = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: PROBE_TIMEOUT_MS, query_timeout: PROBE_TIMEOUT_MS });
    surviveConnectionErrors(this.probe, 'registry health probe');
  }

  /** Probes arriving together share one round trip. */
  ping(): Promise<void> {
    this.pinging ??= withPoolClient(this.probe, 'registry health probe', async (client) => {
      await client.query('SELECT 1');
    }).finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  requestPool(): RequestPoolState {
    // TypeORM's PostgreSQL driver keeps its pg Pool as `master` (typed any): an internal, so typeorm is
    // pinned and libs/tenancy's driver-internals.int-spec.ts says when it moves.
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    return { size: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.probe.end();
  }
}
