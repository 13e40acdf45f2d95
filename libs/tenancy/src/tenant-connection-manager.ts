import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { TenantConnectionRecord } from '@tenantry/registry';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { TENANT_ENTITIES } from '@tenantry/tenant-schema';
import { DataSource } from 'typeorm';
import { TENANCY_OPTIONS, type TenancyOptions } from './tenancy-options';

interface PoolEntry {
  /** The protected secret the pool was opened with: a rotated credential must not reuse it. */
  secret: string;
  dataSource: Promise<DataSource>;
}

/**
 * One DataSource per tenant, opened with the tenant's own login. Concurrent callers share one
 * initialize(); the least recently used pool is destroyed beyond `maxPools`.
 */
@Injectable()
export class TenantConnectionManager implements OnApplicationShutdown {
  private readonly logger = new Logger(TenantConnectionManager.name);
  private readonly pools = new Map<string, PoolEntry>();

  constructor(
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
    @Inject(TENANCY_OPTIONS) private readonly options: TenancyOptions,
  ) {}

  async dataSourceFor(record: TenantConnectionRecord): Promise<DataSource> {
    const existing = this.pools.get(record.tenantId);
    if (existing && existing.secret === record.secret) {
      this.pools.delete(record.tenantId);
      this.pools.set(record.tenantId, existing);
      return existing.dataSource;
    }
    if (existing) this.close(record.tenantId);
    const entry: PoolEntry = { secret: record.secret, dataSource: this.open(record) };
    this.pools.set(record.tenantId, entry);
    entry.dataSource.catch(() => {
      if (this.pools.get(record.tenantId) === entry) this.pools.delete(record.tenantId);
    });
    this.evictBeyondLimit();
    return entry.dataSource;
  }

  /** Drops a tenant's pool (suspension, deletion, rotated credentials). */
  close(tenantId: string): void {
    const entry = this.pools.get(tenantId);
    if (!entry) return;
    this.pools.delete(tenantId);
    entry.dataSource
      .then((dataSource) => dataSource.destroy())
      .catch((error: unknown) => this.logger.warn({ tenant_id: tenantId, err: error }, 'closing tenant pool failed'));
  }

  get openPools(): number {
    return this.pools.size;
  }

  async onApplicationShutdown(): Promise<void> {
    const entries = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(entries.map(async (entry) => (await entry.dataSource).destroy()));
  }

  private async open(record: TenantConnectionRecord): Promise<DataSource> {
    const password = await this.protector.unprotect(record.secret, record.tenantId);
    const dataSource = new DataSource({
      type: 'postgres',
      host: record.host,
      port: record.port,
      database: record.database,
      username: record.username,
      password,
      entities: TENANT_ENTITIES,
      synchronize: false,
      logging: false,
      extra: { max: this.options.poolSize, idleTimeoutMillis: 30_000, application_name: `tenantry:${record.code}` },
    });
    return dataSource.initialize();
  }

  private evictBeyondLimit(): void {
    while (this.pools.size > this.options.maxPools) {
      const oldest = this.pools.keys().next().value as string;
      this.close(oldest);
    }
  }
}
