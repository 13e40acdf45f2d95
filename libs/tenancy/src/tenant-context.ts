import { Injectable } from '@nestjs/common';
import { TENANT_ID_KEY } from '@tenantry/common';
import type { TenantConnectionRecord } from '@tenantry/registry';
import { ClsService } from 'nestjs-cls';
import type { DataSource, EntityTarget, ObjectLiteral, Repository } from 'typeorm';
import { TenantConnectionManager } from './tenant-connection-manager';
import { TenantResolver } from './tenant-resolver';

const TENANT_RECORD_KEY = 'tenantRecord';

export class NoTenantContext extends Error {
  constructor() {
    super('no tenant in the current context: use @TenantScoped() on the route or runInTenant() outside HTTP');
  }
}

/**
 * The current tenant, kept in AsyncLocalStorage: services ask for the tenant's DataSource or a
 * repository without knowing which tenant it is, and never a request-scoped provider.
 */
@Injectable()
export class TenantContext {
  constructor(
    private readonly cls: ClsService,
    private readonly resolver: TenantResolver,
    private readonly connections: TenantConnectionManager,
  ) {}

  get tenantId(): string {
    const tenantId = this.cls.isActive() ? this.cls.get<string | undefined>(TENANT_ID_KEY) : undefined;
    if (!tenantId) throw new NoTenantContext();
    return tenantId;
  }

  /** Resolves the current tenant (refusing a suspended or unknown one) and remembers it for the rest of the request. */
  async resolve(): Promise<TenantConnectionRecord> {
    const cached = this.cls.get<TenantConnectionRecord | undefined>(TENANT_RECORD_KEY);
    if (cached && cached.tenantId === this.tenantId) return cached;
    const record = await this.resolver.resolveActive(this.tenantId);
    this.cls.set(TENANT_RECORD_KEY, record);
    return record;
  }

  async dataSource(): Promise<DataSource> {
    return this.connections.dataSourceFor(await this.resolve());
  }

  async repository<T extends ObjectLiteral>(entity: EntityTarget<T>): Promise<Repository<T>> {
    return (await this.dataSource()).getRepository(entity);
  }

  /** The same tenant context outside HTTP (workers, scripts): `fn` sees `tenantId` as the current tenant. */
  runInTenant<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.cls.run(() => {
      this.cls.set(TENANT_ID_KEY, tenantId);
      return fn();
    });
  }
}
